import Foundation
import KeelSimulator
import Testing

@Suite("Chat completions")
struct ChatCompletionTests {
    @Test func nonStreamingAnswerHasTheOpenAIShapeAndExactUsage() async throws {
        try await SimulatorHarness.run { sim in
            let body = SimulatorHarness.chatBody()
            let reply = try await sim.post("/v1/chat/completions", body)
            #expect(reply.status == 200)
            #expect(reply.header("content-type") == "application/json")
            let json = try reply.json()
            #expect((json["id"] as? String)?.hasPrefix("chatcmpl-") == true)
            #expect(json["object"] as? String == "chat.completion")
            #expect(json["model"] as? String == "keel-sim-chat")
            #expect(json["created"] is Int)
            #expect(json["system_fingerprint"] as? String == "keel-sim")
            #expect(json[path: "choices", 0, "index"] as? Int == 0)
            #expect(json[path: "choices", 0, "message", "role"] as? String == "assistant")
            #expect(json[path: "choices", 0, "message", "refusal"] is NSNull)
            #expect(json[path: "choices", 0, "logprobs"] is NSNull)
            #expect(json[path: "choices", 0, "finish_reason"] as? String == "stop")

            let content = try #require(json[path: "choices", 0, "message", "content"] as? String)
            let words = content.split(separator: " ")
            #expect((8...40).contains(words.count))
            #expect(content.hasSuffix(" "))

            // 3 + (4 + "Be brief." = 3) + (4 + "Hello there, simulator." = 2 + 2 + 3)
            let prompt =
                3 + (4 + SimulatedTokenizer.count("Be brief."))
                + (4 + SimulatedTokenizer.count("Hello there, simulator."))
            #expect(json[path: "usage", "prompt_tokens"] as? Int == prompt)
            #expect(json[path: "usage", "completion_tokens"] as? Int == words.count)
            #expect(json[path: "usage", "total_tokens"] as? Int == prompt + words.count)
            #expect(json[path: "usage", "prompt_tokens_details", "cached_tokens"] as? Int == 0)
            #expect(json[path: "usage", "completion_tokens_details", "reasoning_tokens"] as? Int == 0)
            #expect(SimulatedTokenizer.count(content) == words.count)
        }
    }

    @Test func streamingSendsOneChunkPerTokenThenUsageThenDone() async throws {
        try await SimulatorHarness.run { sim in
            let body = SimulatorHarness.chatBody(extra: #","stream":true,"stream_options":{"include_usage":true}"#)
            let reply = try await sim.post("/v1/chat/completions", body)
            #expect(reply.status == 200)
            #expect(reply.header("content-type") == "text/event-stream")
            #expect(reply.events.last == "[DONE]")
            let chunks = try reply.chunks()
            #expect(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
            #expect(Set(chunks.compactMap { $0["id"] as? String }).count == 1)

            let first = try #require(chunks.first)
            #expect(first[path: "choices", 0, "delta", "role"] as? String == "assistant")
            #expect(first[path: "choices", 0, "delta", "content"] as? String == "")

            let usageChunk = try #require(chunks.last)
            #expect((usageChunk["choices"] as? [Any])?.isEmpty == true)
            let completionTokens = try #require(usageChunk[path: "usage", "completion_tokens"] as? Int)

            let contentChunks = chunks.dropFirst().dropLast()
            #expect(contentChunks.count == completionTokens)
            #expect(contentChunks.allSatisfy { $0.keys.contains("usage") && $0["usage"] is NSNull })
            for (offset, chunk) in contentChunks.enumerated() {
                let text = try #require(chunk[path: "choices", 0, "delta", "content"] as? String)
                #expect(text.hasSuffix(" ") && SimulatedTokenizer.count(text) == 1)
                let finish = chunk[path: "choices", 0, "finish_reason"]
                if offset == contentChunks.count - 1 {
                    #expect(finish as? String == "stop")
                } else {
                    #expect(finish is NSNull)
                }
            }
        }
    }

    @Test func streamedTextAndUsageEqualTheNonStreamedAnswer() async throws {
        try await SimulatorHarness.run { sim in
            let extra = #","max_tokens":30"#
            let plain = try await sim.post(
                "/v1/chat/completions", SimulatorHarness.chatBody("Tell me a story", extra: extra)
            ).json()
            let streamed = try await sim.post(
                "/v1/chat/completions",
                SimulatorHarness.chatBody(
                    "Tell me a story", extra: extra + #","stream":true,"stream_options":{"include_usage":true}"#)
            )
            let chunks = try streamed.chunks()
            let text = chunks.compactMap { $0[path: "choices", 0, "delta", "content"] as? String }.joined()
            #expect(text == plain[path: "choices", 0, "message", "content"] as? String)
            let streamedUsage = try #require(chunks.last?["usage"] as? NSDictionary)
            let plainUsage = try #require(plain["usage"] as? NSDictionary)
            #expect(streamedUsage == plainUsage)
            let finish = chunks.compactMap { $0[path: "choices", 0, "finish_reason"] as? String }
            #expect(finish == [plain[path: "choices", 0, "finish_reason"] as? String])
        }
    }

    @Test func streamWithoutIncludeUsageCarriesNoUsageField() async throws {
        try await SimulatorHarness.run { sim in
            let reply = try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody(extra: #","stream":true"#))
            let chunks = try reply.chunks()
            #expect(!chunks.isEmpty)
            #expect(chunks.allSatisfy { !$0.keys.contains("usage") })
            #expect(reply.events.last == "[DONE]")
        }
    }

    @Test func theSameBodyGetsTheSameAnswerAndIdAndADifferentPromptDoesNot() async throws {
        try await SimulatorHarness.run { sim in
            let body = SimulatorHarness.chatBody("What is the weather?")
            let first = try await sim.post("/v1/chat/completions", body).json()
            let second = try await sim.post("/v1/chat/completions", body).json()
            #expect(first["id"] as? String == second["id"] as? String)
            #expect(
                first[path: "choices", 0, "message", "content"] as? String == second[
                    path: "choices", 0, "message", "content"] as? String)
            let other = try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody("What is the time?"))
                .json()
            #expect(other["id"] as? String != first["id"] as? String)
            #expect(
                other[path: "choices", 0, "message", "content"] as? String != first[
                    path: "choices", 0, "message", "content"] as? String)
        }
    }

    @Test func maxTokensCapsTheAnswerWithFinishReasonLength() async throws {
        try await SimulatorHarness.run { sim in
            let json = try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody(extra: #","max_tokens":3"#))
                .json()
            #expect(json[path: "choices", 0, "finish_reason"] as? String == "length")
            #expect(json[path: "usage", "completion_tokens"] as? Int == 3)
            let content = try #require(json[path: "choices", 0, "message", "content"] as? String)
            #expect(content.split(separator: " ").count == 3)

            let roomy = try await sim.post(
                "/v1/chat/completions", SimulatorHarness.chatBody(extra: #","max_completion_tokens":100"#)
            ).json()
            #expect(roomy[path: "choices", 0, "finish_reason"] as? String == "stop")
        }
    }

    @Test func stopSequenceCutsTheTextBeforeIt() async throws {
        try await SimulatorHarness.run { sim in
            let plain = try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody("Stop test")).json()
            let content = try #require(plain[path: "choices", 0, "message", "content"] as? String)
            let words = content.split(separator: " ").map(String.init)
            let stopWord = words[3]
            let expected = String(content[..<content.range(of: stopWord)!.lowerBound])

            for stop in [#""\#(stopWord)""#, #"["zzzz","\#(stopWord)"]"#] {
                let json = try await sim.post(
                    "/v1/chat/completions", SimulatorHarness.chatBody("Stop test", extra: #","stop":\#(stop)"#)
                ).json()
                #expect(json[path: "choices", 0, "message", "content"] as? String == expected)
                #expect(json[path: "choices", 0, "finish_reason"] as? String == "stop")
                #expect(json[path: "usage", "completion_tokens"] as? Int == SimulatedTokenizer.count(expected))
            }
        }
    }

    @Test func jsonModeAnswersWithAJSONObject() async throws {
        try await SimulatorHarness.run { sim in
            for format in [
                #"{"type":"json_object"}"#,
                #"{"type":"json_schema","json_schema":{"name":"a","schema":{"type":"object"}}}"#,
            ] {
                let json = try await sim.post(
                    "/v1/chat/completions", SimulatorHarness.chatBody(extra: #","response_format":\#(format)"#)
                ).json()
                let content = try #require(json[path: "choices", 0, "message", "content"] as? String)
                let object = try JSONSerialization.jsonObject(with: Data(content.utf8)) as? [String: Any]
                #expect(object?["answer"] is String)
            }
        }
    }

    @Test func reasoningModelReportsReasoningTokensInsideCompletionTokens() async throws {
        try await SimulatorHarness.run { sim in
            let json = try await sim.post(
                "/v1/chat/completions", SimulatorHarness.chatBody(model: "keel-sim-reasoning")
            ).json()
            let content = try #require(json[path: "choices", 0, "message", "content"] as? String)
            #expect(json[path: "usage", "completion_tokens_details", "reasoning_tokens"] as? Int == 16)
            #expect(json[path: "usage", "completion_tokens"] as? Int == SimulatedTokenizer.count(content) + 16)
        }
    }

    @Test func fixedOutputTokensOfAModelSetTheAnswerLength() async throws {
        try await SimulatorHarness.run(models: [SimulatedModel(name: "fixed", outputTokens: 5)]) { sim in
            let json = try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody(model: "fixed")).json()
            #expect(json[path: "usage", "completion_tokens"] as? Int == 5)
        }
    }
}
