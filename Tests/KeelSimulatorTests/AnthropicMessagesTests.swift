import Foundation
import KeelSimulator
import Testing

@Suite("Anthropic Messages")
struct AnthropicMessagesTests {
    static let headers = [("x-api-key", "sk-ant-test"), ("anthropic-version", "2023-06-01"), ("content-type", "application/json")]

    static func body(_ text: String = "Hello there, simulator.", model: String = "keel-sim-chat", extra: String = "") -> String {
        #"{"model":"\#(model)","max_tokens":4096,"system":"Be brief.","messages":[{"role":"user","content":\#(JSONWriterForTests.quoted(text))}]\#(extra)}"#
    }

    static let weather =
        #"{"name":"get_weather","description":"Weather of a city","input_schema":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city","days"]}}"#

    static func post(_ sim: SimulatorHarness, _ body: String, path: String = "/v1/messages") async throws -> SimulatorHarness.Reply {
        try await sim.post(path, body, headers: Self.headers)
    }

    @Test func plainMessageHasTheMessageShapeAndExactUsage() async throws {
        try await SimulatorHarness.run { sim in
            let reply = try await Self.post(sim, Self.body())
            #expect(reply.status == 200)
            #expect(reply.header("request-id")?.hasPrefix("req_") == true)
            let json = try reply.json()
            #expect((json["id"] as? String)?.hasPrefix("msg_") == true)
            #expect(json["type"] as? String == "message")
            #expect(json["role"] as? String == "assistant")
            #expect(json["model"] as? String == "keel-sim-chat")
            #expect(json["stop_reason"] as? String == "end_turn")
            #expect(json["stop_sequence"] is NSNull)
            let content = try #require(json["content"] as? [[String: Any]])
            #expect(content.count == 1)
            #expect(content[0]["type"] as? String == "text")
            let text = try #require(content[0]["text"] as? String)
            let prompt = 3 + (4 + SimulatedTokenizer.count("Be brief.")) + (4 + SimulatedTokenizer.count("Hello there, simulator."))
            #expect(json[path: "usage", "input_tokens"] as? Int == prompt)
            #expect(json[path: "usage", "output_tokens"] as? Int == SimulatedTokenizer.count(text))
            #expect(json[path: "usage", "cache_read_input_tokens"] as? Int == 0)
            #expect(json[path: "usage", "cache_creation_input_tokens"] as? Int == 0)
            #expect(json[path: "usage", "cache_creation", "ephemeral_5m_input_tokens"] as? Int == 0)
        }
    }

    @Test func streamIsTheRealEventSequenceWithTheSameTextAndUsage() async throws {
        try await SimulatorHarness.run { sim in
            let plain = try await Self.post(sim, Self.body("[sim tokens=5] stream me")).json()
            let reply = try await Self.post(sim, Self.body("[sim tokens=5] stream me", extra: #","stream":true"#))
            #expect(reply.status == 200)
            #expect(reply.header("content-type") == "text/event-stream")
            let events = reply.namedEvents
            let names = events.map { $0.name ?? "" }
            let expected = ["message_start", "content_block_start", "ping"]
                + Array(repeating: "content_block_delta", count: 5)
                + ["content_block_stop", "message_delta", "message_stop"]
            #expect(names == expected)
            let datas = try events.map { try jsonObject($0.data) }
            #expect(zip(events, datas).allSatisfy { $0.0.name == $0.1["type"] as? String })
            #expect((datas[0][path: "message", "content"] as? [Any])?.isEmpty == true)
            #expect(datas[0][path: "message", "stop_reason"] is NSNull)
            #expect(datas[0][path: "message", "usage", "input_tokens"] as? Int == plain[path: "usage", "input_tokens"] as? Int)
            #expect(datas[0][path: "message", "usage", "output_tokens"] as? Int == 1)
            #expect(datas[1][path: "content_block", "type"] as? String == "text")
            let text = datas.compactMap { $0[path: "delta", "type"] as? String == "text_delta" ? $0[path: "delta", "text"] as? String : nil }.joined()
            #expect(text == plain[path: "content", 0, "text"] as? String)
            let delta = datas[datas.count - 2]
            #expect(delta[path: "delta", "stop_reason"] as? String == "end_turn")
            #expect(delta[path: "usage", "output_tokens"] as? Int == plain[path: "usage", "output_tokens"] as? Int)
            #expect(delta[path: "usage", "input_tokens"] as? Int == plain[path: "usage", "input_tokens"] as? Int)
        }
    }

    @Test func toolUseIsABlockWhoseStreamedJSONConcatenatesToItsInput() async throws {
        try await SimulatorHarness.run { sim in
            let extra = #","tools":[\#(Self.weather)],"tool_choice":{"type":"any"}"#
            let plain = try await Self.post(sim, Self.body(extra: extra)).json()
            #expect(plain["stop_reason"] as? String == "tool_use")
            let block = try #require((plain["content"] as? [[String: Any]])?.first)
            #expect(block["type"] as? String == "tool_use")
            #expect((block["id"] as? String)?.hasPrefix("toolu_") == true)
            #expect(block["name"] as? String == "get_weather")
            #expect(block["input"] as? NSDictionary == ["city": "value-1", "days": 2] as NSDictionary)
            let toolTokens = SimulatedTokenizer.count("get_weather") + SimulatedTokenizer.count(#"{"city":"value-1","days":2}"#)
            #expect(plain[path: "usage", "output_tokens"] as? Int == toolTokens)

            let stream = try await Self.post(sim, Self.body(extra: extra + #","stream":true"#))
            let datas = try stream.namedEvents.map { try jsonObject($0.data) }
            let start = try #require(datas.first { $0["type"] as? String == "content_block_start" })
            #expect(start[path: "content_block", "type"] as? String == "tool_use")
            #expect(start[path: "content_block", "id"] as? String == block["id"] as? String)
            #expect((start[path: "content_block", "input"] as? [String: Any])?.isEmpty == true)
            let pieces = datas.compactMap { $0[path: "delta", "partial_json"] as? String }
            #expect(pieces.count >= 3)
            #expect(pieces.first == "")
            let input = try jsonObject(pieces.joined())
            #expect(input as NSDictionary == block["input"] as? NSDictionary)
            let stopReason = datas.first { $0["type"] as? String == "message_delta" }?[path: "delta", "stop_reason"] as? String
            #expect(stopReason == "tool_use")
        }
    }

    @Test func toolResultGetsATextAnswerAndNoneForbidsCalls() async throws {
        try await SimulatorHarness.run { sim in
            let body = #"{"model":"keel-sim-chat","max_tokens":100,"tools":[\#(Self.weather)],"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Oslo","days":1}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"}]}]}"#
            let json = try await Self.post(sim, body).json()
            #expect(json[path: "content", 0, "type"] as? String == "text")
            #expect(json["stop_reason"] as? String == "end_turn")
            let none = try await Self.post(sim, Self.body(extra: #","tools":[\#(Self.weather)],"tool_choice":{"type":"none"}"#)).json()
            #expect(none[path: "content", 0, "type"] as? String == "text")
        }
    }

    @Test func cacheDirectivesSplitThePromptAndCountTokensMatchesIt() async throws {
        try await SimulatorHarness.run { sim in
            let body = Self.body("[sim cached=3 cache_write=2 cache_write_1h=1] cache me")
            let json = try await Self.post(sim, body).json()
            let input = try #require(json[path: "usage", "input_tokens"] as? Int)
            #expect(json[path: "usage", "cache_read_input_tokens"] as? Int == 3)
            #expect(json[path: "usage", "cache_creation_input_tokens"] as? Int == 3)
            #expect(json[path: "usage", "cache_creation", "ephemeral_5m_input_tokens"] as? Int == 2)
            #expect(json[path: "usage", "cache_creation", "ephemeral_1h_input_tokens"] as? Int == 1)
            let counted = try await Self.post(sim, body, path: "/v1/messages/count_tokens")
            #expect(counted.status == 200)
            #expect(try counted.json()["input_tokens"] as? Int == input + 6)
            let openAI = try await sim.post(
                "/v1/chat/completions", SimulatorHarness.chatBody("[sim cached=3 cache_write=2 cache_write_1h=1] cache me")
            ).json()
            #expect(openAI[path: "usage", "prompt_tokens"] as? Int == input + 6)
            #expect(openAI[path: "usage", "prompt_tokens_details", "cached_tokens"] as? Int == 3)
        }
    }

    @Test func thinkingIsAFirstBlockCountedInOutputAndStreamedWithASignature() async throws {
        try await SimulatorHarness.run { sim in
            let extra = #","thinking":{"type":"enabled","budget_tokens":1024}"#
            let json = try await Self.post(sim, Self.body("[sim reasoning=6 tokens=4] think", extra: extra)).json()
            let content = try #require(json["content"] as? [[String: Any]])
            let types = content.compactMap { $0["type"] as? String }
            #expect(types == ["thinking", "text"])
            let thought = try #require(content[0]["thinking"] as? String)
            let signature = try #require(content[0]["signature"] as? String)
            #expect(SimulatedTokenizer.count(thought) == 6)
            #expect(!signature.isEmpty)
            #expect(json[path: "usage", "output_tokens"] as? Int == 10)

            let stream = try await Self.post(sim, Self.body("[sim reasoning=6 tokens=4] think", extra: extra + #","stream":true"#))
            let datas = try stream.namedEvents.map { try jsonObject($0.data) }
            let deltaTypes = datas.compactMap { $0[path: "delta", "type"] as? String }
            let expected = Array(repeating: "thinking_delta", count: 6) + ["signature_delta"] + Array(repeating: "text_delta", count: 4)
            #expect(deltaTypes == expected)
            let thinking = datas.compactMap { $0[path: "delta", "thinking"] as? String }.joined()
            #expect(thinking == thought)
            let signatures = datas.compactMap { $0[path: "delta", "signature"] as? String }
            #expect(signatures == [signature])
            let output = datas.first { $0["type"] as? String == "message_delta" }?[path: "usage", "output_tokens"] as? Int
            #expect(output == 10)

            let defaulted = try await Self.post(sim, Self.body("[sim tokens=4] think", extra: extra)).json()
            #expect(defaulted[path: "usage", "output_tokens"] as? Int == 20)
        }
    }

    @Test func stopSequenceAndMaxTokensSetTheStopReason() async throws {
        try await SimulatorHarness.run { sim in
            let plain = try await Self.post(sim, Self.body("[sim tokens=10] words")).json()
            let text = try #require(plain[path: "content", 0, "text"] as? String)
            let stop = String(text.split(separator: " ")[3])
            let stopped = try await Self.post(sim, Self.body("[sim tokens=10] words", extra: #","stop_sequences":["\#(stop)"]"#)).json()
            #expect(stopped["stop_reason"] as? String == "stop_sequence")
            #expect(stopped["stop_sequence"] as? String == stop)
            let capped = try await Self.post(sim, #"{"model":"keel-sim-chat","max_tokens":3,"messages":[{"role":"user","content":"[sim tokens=10] words"}]}"#).json()
            #expect(capped["stop_reason"] as? String == "max_tokens")
            #expect(capped[path: "usage", "output_tokens"] as? Int == 3)
        }
    }

    struct ErrorCase: Sendable, CustomTestStringConvertible {
        let name: String
        let body: String
        var headers: [(String, String)] = AnthropicMessagesTests.headers
        let status: Int
        let type: String
        var testDescription: String { self.name }
    }

    static let errorCases: [ErrorCase] = [
        ErrorCase(name: "missing max_tokens", body: #"{"model":"keel-sim-chat","messages":[{"role":"user","content":"hi"}]}"#, status: 400, type: "invalid_request_error"),
        ErrorCase(name: "missing anthropic-version", body: body(), headers: [("x-api-key", "k")], status: 400, type: "invalid_request_error"),
        ErrorCase(name: "malformed JSON", body: #"{"model":"#, status: 400, type: "invalid_request_error"),
        ErrorCase(name: "bad role", body: #"{"model":"keel-sim-chat","max_tokens":5,"messages":[{"role":"system","content":"hi"}]}"#, status: 400, type: "invalid_request_error"),
        ErrorCase(name: "unknown model", body: body(model: "claude-nope"), status: 404, type: "not_found_error"),
        ErrorCase(name: "status 401", body: body("[sim status=401]"), status: 401, type: "authentication_error"),
        ErrorCase(name: "status 403", body: body("[sim status=403]"), status: 403, type: "permission_error"),
        ErrorCase(name: "status 413", body: body("[sim status=413]"), status: 413, type: "request_too_large"),
        ErrorCase(name: "status 429", body: body("[sim status=429]"), status: 429, type: "rate_limit_error"),
        ErrorCase(name: "status 500", body: body("[sim status=500]"), status: 500, type: "api_error"),
        ErrorCase(name: "status 529", body: body("[sim status=529]"), status: 529, type: "overloaded_error"),
        ErrorCase(name: "error_type override", body: body("[sim status=400 error_type=billing_error]"), status: 400, type: "billing_error"),
    ]

    @Test(arguments: errorCases)
    func errorsHaveAnthropicsShapeAndStatus(_ refused: ErrorCase) async throws {
        try await SimulatorHarness.run { sim in
            let reply = try await sim.post("/v1/messages", refused.body, headers: refused.headers)
            #expect(reply.status == refused.status)
            let json = try reply.json()
            #expect(json["type"] as? String == "error")
            #expect(json[path: "error", "type"] as? String == refused.type)
            #expect((json[path: "error", "message"] as? String)?.isEmpty == false)
            #expect((json["request_id"] as? String)?.hasPrefix("req_") == true)
            #expect(json["request_id"] as? String == reply.header("request-id"))
        }
    }

    @Test func retryAfterAndConfiguredKeyAreHonoured() async throws {
        try await SimulatorHarness.run(apiKey: "sk-ant-test") { sim in
            let limited = try await Self.post(sim, Self.body("[sim status=429 retry_after=4]"))
            #expect(limited.status == 429)
            #expect(limited.header("retry-after") == "4")
            let wrong = try await sim.post("/v1/messages", Self.body(), headers: [("x-api-key", "nope"), ("anthropic-version", "2023-06-01")])
            #expect(wrong.status == 401)
            #expect(try wrong.json()[path: "error", "type"] as? String == "authentication_error")
            let bearer = try await sim.post("/v1/messages", Self.body(), headers: [("authorization", "Bearer sk-ant-test"), ("anthropic-version", "2023-06-01")])
            #expect(bearer.status == 200)
        }
    }

    @Test func midStreamErrorIsAnErrorEventThatEndsTheStream() async throws {
        try await SimulatorHarness.run { sim in
            let reply = try await Self.post(sim, Self.body("[sim fault=error after_tokens=2 tokens=6] hi", extra: #","stream":true"#))
            #expect(reply.status == 200)
            let events = reply.namedEvents
            let names = events.map { $0.name ?? "" }
            #expect(names == ["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "error"])
            let error = try jsonObject(try #require(events.last).data)
            #expect(error["type"] as? String == "error")
            #expect(error[path: "error", "type"] as? String == "overloaded_error")

            let limited = try await Self.post(sim, Self.body("[sim fault=error status=429 after_tokens=0] hi", extra: #","stream":true"#))
            let limitedError = try jsonObject(try #require(limited.namedEvents.last).data)
            #expect(limitedError[path: "error", "type"] as? String == "rate_limit_error")
            let plain = try await Self.post(sim, Self.body("[sim fault=error] hi"))
            #expect(plain.status == 529)
        }
    }

    @Test func truncatedAndMalformedStreamsBreakAsScripted() async throws {
        try await SimulatorHarness.run { sim in
            let truncated = try await Self.post(sim, Self.body("[sim fault=truncate after_tokens=2 tokens=6] hi", extra: #","stream":true"#))
            #expect(truncated.bodyError != nil)
            let names = truncated.namedEvents.map { $0.name ?? "" }
            #expect(names == ["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta"])
            let malformed = try await Self.post(sim, Self.body("[sim fault=malformed after_tokens=2 tokens=6] hi", extra: #","stream":true"#))
            let invalid = malformed.namedEvents.filter { (try? jsonObject($0.data)) == nil }
            #expect(invalid.count == 1)
            #expect(malformed.namedEvents.last?.name == "message_stop")
        }
    }
}

/// JSON string quoting for building request bodies in tests.
enum JSONWriterForTests {
    static func quoted(_ text: String) -> String {
        String(data: try! JSONSerialization.data(withJSONObject: [text]), encoding: .utf8)!.dropFirst().dropLast().description
    }
}
