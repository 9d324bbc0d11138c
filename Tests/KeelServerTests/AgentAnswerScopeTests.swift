import Foundation
import KeelCore
import KeelServer
import KeelTesting
import Synchronization
import Testing

/// Tool calls in model answers held to the agent's `tools`, with the providers' own answers
/// (their documentation's examples, served verbatim by a loopback upstream): a complete answer
/// calling a tool outside the scope is refused; a stream releases nothing of the call and ends
/// with an error event, or is refused whole when the call comes before anything else.
///
/// The OpenAI answers call `get_weather` twice; the Anthropic answers write some text, then call
/// `get_weather` and `get_time`. The requests offer no tool: the calls are the model's own.
@Suite("Tool calls in agents' answers")
struct AgentAnswerScopeTests {
    static func send(
        _ keel: TestGateway,
        client: APIDialect,
        model: String,
        stream: Bool,
        key: String
    ) async throws
        -> TestResponse
    {
        let extra = stream ? #""stream":true"# : ""
        if client == .anthropic {
            return try await keel.post(
                "/v1/messages",
                json: AnthropicIngressTests.body("weather and time?", model: model, extra: extra),
                key: key
            )
        }
        return try await keel.post(
            "/v1/chat/completions",
            json: chatBody("weather and time?", model: model, extra: extra),
            key: key
        )
    }

    static func run(_ body: @Sendable (TestGateway, [String: String]) async throws -> Void) async throws {
        try await GuardUpstream.run(configure: { _ in }) { upstream, keel in
            upstream.fixture.withLock { $0 = "parallel-tools" }
            var keys: [String: String] = [:]
            for (id, tools) in [
                ("weather", #"["get_weather"]"#), ("clock", #"["get_time","search/*"]"#), ("both", #"["get_*"]"#),
            ] {
                _ = try await AgentRegistryTests.register(keel, #"{"id":"\#(id)","name":"\#(id)","tools":\#(tools)}"#)
                keys[id] = try await AgentRegistryTests.agentKey(keel, agent: id)
            }
            try await body(keel, keys)
        }
    }

    @Test(arguments: [APIDialect.openAI, .anthropic])
    func completeAnswersCallingAToolOutsideTheScopeAreRefused(client: APIDialect) async throws {
        try await Self.run { keel, keys in
            let passthrough = client == .anthropic ? "echo-anthropic" : "echo-openai"
            let translated = client == .anthropic ? "echo-openai" : "echo-anthropic"
            // get_weather only: the OpenAI answer passes, the Anthropic one (get_time too) does not.
            let openAIAnswer = try await Self.send(
                keel,
                client: client,
                model: client == .openAI ? passthrough : translated,
                stream: false,
                key: keys["weather"]!
            )
            #expect(openAIAnswer.status == 200, "\(openAIAnswer.body)")
            #expect(openAIAnswer.body.contains("get_weather"))
            let anthropicAnswer = try await Self.send(
                keel,
                client: client,
                model: client == .anthropic ? passthrough : translated,
                stream: false,
                key: keys["weather"]!
            )
            #expect(anthropicAnswer.status == 403, "\(anthropicAnswer.body)")
            #expect(anthropicAnswer.body.contains("calls the tool 'get_time'"), "\(anthropicAnswer.body)")
            #expect(!anthropicAnswer.body.contains("toolu_"), "nothing of the answer is released")
            if client == .openAI {
                #expect(AgentRegistryTests.refusal(anthropicAnswer) == "agent_scope_violation")
            } else {
                #expect(anthropicAnswer.json?["type"] as? String == "error")
            }
            // get_time and search tools only: the OpenAI answer's get_weather is refused.
            let clock = try await Self.send(
                keel,
                client: client,
                model: "echo-openai",
                stream: false,
                key: keys["clock"]!
            )
            #expect(clock.status == 403 && clock.body.contains("calls the tool 'get_weather'"), "\(clock.body)")
            // Both in scope through a pattern.
            let both = try await Self.send(
                keel,
                client: client,
                model: "echo-anthropic",
                stream: false,
                key: keys["both"]!
            )
            #expect(both.status == 200 && both.body.contains("get_time"), "\(both.body)")

            await keel.shutdown()
            let records = try await keel.records()
            #expect(records.count == 4)
            let refused = records.filter { $0.status == 403 }
            #expect(refused.count == 2)
            for record in refused {
                #expect(record.errorClass == "agent_scope_violation")
                #expect(record.usage.outputTokens > 0, "the upstream's usage is kept: it billed the answer")
            }
        }
    }

    @Test(arguments: [APIDialect.openAI, .anthropic])
    func streamsWithholdACallOutsideTheScopeAndEndWithAnError(client: APIDialect) async throws {
        try await Self.run { keel, keys in
            // The Anthropic stream: text, get_weather, then get_time, outside the scope.
            let cut = try await Self.send(
                keel,
                client: client,
                model: "echo-anthropic",
                stream: true,
                key: keys["weather"]!
            )
            #expect(cut.status == 200, "\(cut.body)")
            #expect(cut.body.contains("get_weather"), "the call in scope went out: \(cut.body)")
            #expect(!cut.body.contains(#""name":"get_time""#), "the call outside it did not: \(cut.body)")
            if client == .openAI {
                #expect(cut.body.contains(#""code":"agent_scope_violation""#), "\(cut.body)")
                #expect(!cut.body.contains("[DONE]"))
            } else {
                #expect(cut.body.contains("event: error"), "\(cut.body)")
                #expect(!cut.body.contains("message_stop"))
            }
            // The OpenAI stream starts with get_weather: refused before anything went out.
            let refused = try await Self.send(
                keel,
                client: client,
                model: "echo-openai",
                stream: true,
                key: keys["clock"]!
            )
            #expect(refused.status == 403, "\(refused.body)")
            #expect(refused.body.contains("calls the tool 'get_weather'"), "\(refused.body)")
            // In scope: the whole stream, to its end.
            let whole = try await Self.send(
                keel,
                client: client,
                model: "echo-anthropic",
                stream: true,
                key: keys["both"]!
            )
            #expect(whole.status == 200 && whole.body.contains("get_time"), "\(whole.body)")
            #expect(whole.body.contains(client == .openAI ? "[DONE]" : "message_stop"), "\(whole.body)")

            await keel.shutdown()
            let records = try await keel.records()
            #expect(records.count == 3)
            let interrupted = try #require(records.first { $0.outcome == .interrupted })
            #expect(interrupted.errorClass == "agent_scope_violation" && interrupted.status == 200)
            let whole403 = try #require(records.first { $0.status == 403 })
            #expect(whole403.errorClass == "agent_scope_violation")
            #expect(records.filter { $0.outcome == .success }.count == 1)
        }
    }
}
