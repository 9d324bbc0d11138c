import Foundation
import KeelCore
import KeelServer
import KeelSimulator
import KeelTesting
import Testing

/// `tracing.capture_content`: the prompt and the answer on the request's span, as the
/// OpenTelemetry GenAI conventions write them, exported to a fake OTLP collector over loopback.
@Suite("Tracing contents")
struct TracingContentTests {
    static func tracing(_ collector: OTLPTestCollector, maxBytes: Int = 65_536) -> KeelConfiguration.Tracing {
        var tracing = TracingTests.tracing(collector)
        tracing.captureContent = true
        tracing.contentMaxBytes = maxBytes
        return tracing
    }

    /// The JSON array an attribute holds.
    static func messages(_ span: CollectedSpan, _ key: String) throws -> [[String: Any]] {
        let text = try #require(span.attributes[key]?.string, "\(key) on \(span)")
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(value as? [[String: Any]], "\(key): \(text)")
    }

    static func parts(_ message: [String: Any]) -> [[String: Any]] {
        message["parts"] as? [[String: Any]] ?? []
    }

    @Test func aTranslatedStreamedToolCallHasItsPromptAndAnswerOnTheSpan() async throws {
        try await OTLPTestCollector.run { collector in
            try await TestKeel.run(configure: { $0.tracing = Self.tracing(collector) }) { keel in
                let request = DialectMatrixTests.request(.openAI, model: "via-anthropic", mode: .streamTools)
                let response = try await keel.post(request.path, json: request.body, headers: request.headers)
                #expect(response.status == 200)
                let answer = try DialectAnswer.openAI(response)
                let call = try #require(answer.toolCalls.first)
                await keel.shutdown()

                let (span, _) = try TracingTests.tree(try await collector.spans(count: 2))
                let system = try Self.messages(span, "gen_ai.system_instructions")
                #expect(system.count == 1)
                #expect(system.first?["type"] as? String == "text")
                #expect(system.first?["content"] as? String == "You are terse.")

                let input = try Self.messages(span, "gen_ai.input.messages")
                #expect(input.count == 1)
                #expect(input.first?["role"] as? String == "user")
                let prompt = Self.parts(try #require(input.first))
                #expect(prompt.first?["type"] as? String == "text")
                #expect(prompt.first?["content"] as? String == "What is the weather like in Lisbon today?")

                let output = try Self.messages(span, "gen_ai.output.messages")
                #expect(output.count == 1)
                let message = try #require(output.first)
                #expect(message["role"] as? String == "assistant")
                #expect(message["finish_reason"] as? String == "tool_call")
                let toolCall = try #require(Self.parts(message).first { $0["type"] as? String == "tool_call" })
                #expect(toolCall["name"] as? String == call.name)
                let arguments = try JSONSerialization.jsonObject(with: Data(call.arguments.utf8)) as? [String: Any]
                let traced = try #require(toolCall["arguments"] as? [String: Any], "arguments as a JSON object")
                #expect(traced["city"] as? String == arguments?["city"] as? String)
                #expect((toolCall["id"] as? String)?.isEmpty == false)
                #expect(span.attributes["keel.content.input_truncated"] == nil)
                #expect(span.attributes["keel.content.output_truncated"] == nil)
            }
        }
    }

    @Test func anAnthropicConversationWithToolResultsIsTracedInTheConventionsShape() async throws {
        try await OTLPTestCollector.run { collector in
            try await TestKeel.run(configure: { $0.tracing = Self.tracing(collector) }) { keel in
                let body = #"""
                    {"model":"via-openai","max_tokens":64,"system":[{"type":"text","text":"Answer in French."}],
                     "messages":[
                      {"role":"user","content":"Weather in Lisbon?"},
                      {"role":"assistant","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Lisbon"}}]},
                      {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"21 C, sunny"},{"type":"text","text":"Summarise it."}]}
                     ]}
                    """#
                let response = try await keel.post(
                    "/v1/messages",
                    json: body,
                    headers: [("anthropic-version", "2023-06-01")]
                )
                #expect(response.status == 200)
                let answer = try DialectAnswer.anthropic(response)
                #expect(!answer.text.isEmpty)
                await keel.shutdown()

                let (span, _) = try TracingTests.tree(try await collector.spans(count: 2))
                let system = try Self.messages(span, "gen_ai.system_instructions")
                #expect(system.first?["content"] as? String == "Answer in French.")
                let input = try Self.messages(span, "gen_ai.input.messages")
                #expect(input.map { $0["role"] as? String } == ["user", "assistant", "tool", "user"])
                guard input.count == 4 else { return }
                let assistant = Self.parts(input[1])
                #expect(assistant.map { $0["type"] as? String } == ["text", "tool_call"])
                #expect(assistant.last?["id"] as? String == "toolu_1")
                #expect((assistant.last?["arguments"] as? [String: Any])?["city"] as? String == "Lisbon")
                let result = try #require(Self.parts(input[2]).first)
                #expect(result["type"] as? String == "tool_call_response")
                #expect(result["id"] as? String == "toolu_1")
                #expect(result["response"] as? String == "21 C, sunny")
                #expect(Self.parts(input[3]).first?["content"] as? String == "Summarise it.")

                let output = try #require(try Self.messages(span, "gen_ai.output.messages").first)
                #expect(output["finish_reason"] as? String == "stop")
                #expect(Self.parts(output).map { $0["type"] as? String } == ["text"])
                #expect(Self.parts(output).first?["content"] as? String == answer.text)
            }
        }
    }

    @Test func contentsAreCutAtTheLimitAndACutStreamEndsInError() async throws {
        try await OTLPTestCollector.run { collector in
            try await TestKeel.run(configure: { $0.tracing = Self.tracing(collector, maxBytes: 12) }) { keel in
                keel.simulator.script.enqueue(try SimulatorDirectives(parsing: "fault=truncate after_tokens=3 tokens=12 tps=50"), count: 1)
                let response = try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody("é is two bytes, and this prompt is longer than twelve", extra: #""stream":true"#)
                )
                #expect(response.status == 200)
                let answer = try DialectAnswer.openAI(response)
                #expect(!answer.terminated && answer.errorEvent != nil, "the cut stream ends with an error event")
                await keel.shutdown()

                let (span, _) = try TracingTests.tree(try await collector.spans(count: 2))
                #expect(span.attributes["keel.outcome"]?.string == "interrupted")
                let input = try Self.messages(span, "gen_ai.input.messages")
                let user = try #require(input.first)
                let prompt = try #require(Self.parts(user).first?["content"] as? String)
                #expect(prompt == "é is two by", "cut at 12 bytes on a character boundary")
                #expect(span.attributes["keel.content.input_truncated"]?.bool == true)

                let output = try #require(try Self.messages(span, "gen_ai.output.messages").first)
                #expect(output["finish_reason"] as? String == "error", "the stream never finished")
                let text = try #require(Self.parts(output).first?["content"] as? String)
                #expect(answer.text.hasPrefix(text) && text.utf8.count <= 12 && !text.isEmpty)
                #expect(
                    span.attributes["keel.content.output_truncated"]?.bool == (answer.text.utf8.count > 12),
                    "cut only when the answer was longer: \(answer.text)"
                )
            }
        }
    }

    @Test func aCachedAnswerIsTracedWithItsContentToo() async throws {
        try await OTLPTestCollector.run { collector in
            try await TestKeel.run(configure: {
                $0.tracing = Self.tracing(collector)
                ResponseCacheTests.cacheOn()(&$0)
            }) { keel in
                // An Anthropic client: the replayed stream is read back in its dialect.
                let body = #"{"model":"keel-sim-chat","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"cache this answer"}]}"#
                let headers = [("anthropic-version", "2023-06-01")]
                let first = try await keel.post("/v1/messages", json: body, headers: headers)
                let second = try await keel.post("/v1/messages", json: body, headers: headers)
                #expect(second.headers["x-keel-cache"] == "hit")
                let text = try DialectAnswer.anthropic(first).text
                #expect(!text.isEmpty)
                #expect(try DialectAnswer.anthropic(second).text == text)
                await keel.shutdown()

                let spans = try await collector.spans(count: 3)
                let hit = try #require(spans.first { $0.attributes["keel.cache.hit"]?.bool == true })
                let output = try #require(try Self.messages(hit, "gen_ai.output.messages").first)
                #expect(Self.parts(output).first?["content"] as? String == text)
                #expect(output["finish_reason"] as? String == "stop")
                let input = try Self.messages(hit, "gen_ai.input.messages")
                #expect(Self.parts(try #require(input.first)).first?["content"] as? String == "cache this answer")
            }
        }
    }

    @Test func captureIsSetInTheFileOrByTheStandardVariable() throws {
        let off = try TracingConfigurationTests.parse("tracing: { endpoint: http://c:4318 }")
        #expect(off.captureContent == false)
        let file = try TracingConfigurationTests.parse(
            "tracing: { endpoint: http://c:4318, capture_content: true, content_max_bytes: 4096 }"
        )
        #expect(file.captureContent && file.contentMaxBytes == 4_096)
        let variable = try TracingConfigurationTests.parse(
            "tracing: { endpoint: http://c:4318 }",
            ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "TRUE"]
        )
        #expect(variable.captureContent)
        let overridden = try TracingConfigurationTests.parse(
            "tracing: { endpoint: http://c:4318, capture_content: true }",
            ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "no_content"]
        )
        #expect(overridden.captureContent == false)
        let error = try #require(
            throws: ConfigurationError.self,
            performing: {
                try TracingConfigurationTests.parse(
                    "tracing: { endpoint: http://c:4318, content_max_bytes: 0 }",
                    ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "sometimes"]
                )
            }
        )
        #expect(
            Set(error.issues.map(\.key)).isSuperset(of: [
                "tracing.content_max_bytes", "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
            ])
        )
    }
}
