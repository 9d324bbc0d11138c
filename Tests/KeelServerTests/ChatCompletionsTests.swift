import Foundation
import KeelCore
import KeelSimulator
import KeelServer
import KeelTesting
import NIOHTTP1
import Testing

@Suite("Chat completions over loopback")
struct ChatCompletionsTests {
    @Test func nonStreamingAnswerPassesThroughAndIsRecordedWithExactUsageAndCost() async throws {
        try await TestKeel.run { keel in
            let body = chatBody("Tell me about harbours")
            let response = try await keel.post("/v1/chat/completions", json: body)
            let direct = try await keel.postDirect("/v1/chat/completions", json: body)
            #expect(response.status == 200)
            #expect(response.bodyIgnoringCreated == direct.bodyIgnoringCreated)
            #expect(response.headers["x-keel-provider"] == "sim")
            let requestID = try #require(response.headers["x-keel-request-id"])
            let usage = try #require(response.json?["usage"] as? [String: Any])
            let prompt = try #require(usage["prompt_tokens"] as? Int)
            let completion = try #require(usage["completion_tokens"] as? Int)

            await keel.shutdown()
            let records = try await keel.records()
            #expect(records.count == 1)
            let record = try #require(records.first)
            #expect(record.id.rawValue == requestID)
            #expect(record.outcome == .success)
            #expect(record.status == 200)
            #expect(record.usage.inputTokens == Int64(prompt))
            #expect(record.usage.outputTokens == Int64(completion))
            // keel-sim-chat costs $1.00 / 1M input and $2.00 / 1M output: 1000 and 2000 n$ per token.
            #expect(record.cost == USDNanos(Int64(prompt) * 1_000 + Int64(completion) * 2_000))
            #expect(response.headers["x-keel-cost-usd"] == record.cost.decimalString)
            #expect(record.keyID?.rawValue == "admin")
            #expect(record.provider == "sim" && record.deployment == "keel-sim-chat" && record.attempts == 1)
            #expect(record.attemptLog.isEmpty)
        }
    }

    @Test func streamWithIncludeUsageEndsWithTheExactUsageChunkThatIsRecorded() async throws {
        try await TestKeel.run { keel in
            let body = chatBody("Stream please", extra: #""stream":true,"stream_options":{"include_usage":true}"#)
            let response = try await keel.post("/v1/chat/completions", json: body)
            #expect(response.status == 200)
            #expect(response.headers["content-type"]?.hasPrefix("text/event-stream") == true)
            #expect(response.events.last == "[DONE]")
            let usageEvent = try #require(response.jsonEvents.last)
            #expect((usageEvent["choices"] as? [Any])?.isEmpty == true)
            let usage = try #require(usageEvent["usage"] as? [String: Any])

            let plain = try await keel.post("/v1/chat/completions", json: chatBody("Stream please"))
            let plainMessage = ((plain.json?["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
            #expect(response.streamedText == plainMessage)

            await keel.shutdown()
            let record = try #require(try await keel.records().first { $0.stream })
            #expect(record.outcome == .success)
            #expect(record.usage.inputTokens == Int64(usage["prompt_tokens"] as? Int ?? -1))
            #expect(record.usage.outputTokens == Int64(usage["completion_tokens"] as? Int ?? -1))
            #expect(record.ttftMicros != nil)
            #expect(record.cost > .zero)
        }
    }

    @Test func streamWithoutIncludeUsageHidesTheUsageChunkButStillMetersExactly() async throws {
        try await TestKeel.run { keel in
            let streamed = try await keel.post("/v1/chat/completions", json: chatBody("Count me", extra: #""stream":true"#))
            #expect(streamed.status == 200)
            #expect(streamed.events.last == "[DONE]")
            #expect(streamed.jsonEvents.allSatisfy { ($0["choices"] as? [Any])?.isEmpty == false })
            #expect(!streamed.body.contains(#""prompt_tokens""#))

            let plain = try await keel.post("/v1/chat/completions", json: chatBody("Count me"))
            let usage = try #require(plain.json?["usage"] as? [String: Any])
            await keel.shutdown()
            let record = try #require(try await keel.records().first { $0.stream })
            #expect(record.usage.inputTokens == Int64(usage["prompt_tokens"] as? Int ?? -1))
            #expect(record.usage.outputTokens == Int64(usage["completion_tokens"] as? Int ?? -1))
        }
    }

    @Test func toolCallsAndParametersPassThroughUnchanged() async throws {
        try await TestKeel.run { keel in
            let tools = #""tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},{"type":"function","function":{"name":"get_time","parameters":{"type":"object","properties":{"zone":{"type":"string"}}}}}],"tool_choice":"auto","temperature":0.2,"top_p":0.9,"max_completion_tokens":50,"stop":["\n\n"],"response_format":{"type":"text"}"#
            for stream in [false, true] {
                let body = chatBody("Weather and time?", extra: tools + (stream ? #","stream":true"# : ""))
                let viaGateway = try await keel.post("/v1/chat/completions", json: body)
                let direct = try await keel.postDirect("/v1/chat/completions", json: body)
                #expect(viaGateway.status == 200)
                if stream {
                    #expect(viaGateway.body.contains(#""tool_calls""#))
                    #expect(viaGateway.body.contains(#""finish_reason":"tool_calls""#))
                } else {
                    #expect(viaGateway.bodyIgnoringCreated == direct.bodyIgnoringCreated)
                    let message = (viaGateway.json?["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any]
                    #expect((message?["tool_calls"] as? [Any])?.count == 2)
                }
            }
        }
    }

    @Test func modelAliasIsRewrittenToTheUpstreamModelOnly() async throws {
        try await TestKeel.run(configure: { configuration in
            configuration.models.append(.init(name: "team-default", routes: [.init(provider: "sim", model: "keel-sim-chat")]))
        }) { keel in
            let response = try await keel.post("/v1/chat/completions", json: chatBody("alias", model: "team-default"))
            let direct = try await keel.postDirect("/v1/chat/completions", json: chatBody("alias", model: "keel-sim-chat"))
            #expect(response.status == 200)
            #expect(response.bodyIgnoringCreated == direct.bodyIgnoringCreated)
            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.requestedModel == "team-default" && record.model == "team-default" && record.deployment == "keel-sim-chat")
        }
    }

    @Test func embeddingsInFloatAndBase64AreForwardedAndMetered() async throws {
        try await TestKeel.run { keel in
            let float = try await keel.post("/v1/embeddings", json: #"{"model":"keel-sim-embed","input":["a b c","d e"],"dimensions":8}"#)
            #expect(float.status == 200)
            let data = try #require(float.json?["data"] as? [[String: Any]])
            #expect(data.count == 2)
            #expect((data[0]["embedding"] as? [Double])?.count == 8)
            let base64 = try await keel.post("/v1/embeddings", json: #"{"model":"keel-sim-embed","input":"hello","encoding_format":"base64"}"#)
            #expect(base64.status == 200)
            #expect(((base64.json?["data"] as? [[String: Any]])?.first?["embedding"] as? String) != nil)
            let promptTokens = (float.json?["usage"] as? [String: Any])?["prompt_tokens"] as? Int
            await keel.shutdown()
            let records = try await keel.records()
            #expect(records.count == 2)
            #expect(records.allSatisfy { $0.operation == "embeddings" && $0.outcome == .success })
            let first = try #require(records.last)
            #expect(first.usage.inputTokens == Int64(promptTokens ?? -1))
            // keel-sim-embed costs $0.02 / 1M: 20 n$ per token.
            #expect(first.cost == USDNanos(first.usage.inputTokens * 20))
        }
    }
}
