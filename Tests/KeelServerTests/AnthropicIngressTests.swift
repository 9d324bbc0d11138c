import Foundation
import KeelCore
import KeelServer
import NIOHTTP1
import KeelTesting
import Testing

/// `POST /v1/messages` as the Anthropic SDK uses it: `x-api-key`, `anthropic-version`, its error
/// shape and statuses, and `count_tokens`.
@Suite("Anthropic ingress")
struct AnthropicIngressTests {
    static let headers = [("anthropic-version", "2023-06-01")]
    /// A prompt long enough (well over 100 tokens) for the cache directives below.
    static let handbook = "Summarise the handbook: " + String(repeating: "every harbour keeps its own tide tables and pilot rules, ", count: 12)

    static func body(_ content: String, model: String = "via-anthropic", extra: String = "") -> String {
        #"{"model":"\#(model)","max_tokens":128,"messages":[{"role":"user","content":"\#(content)"}]\#(extra.isEmpty ? "" : "," + extra)}"#
    }

    @Test func sdkShapedStreamWithXAPIKeyPassesThroughAndMatchesTheRecord() async throws {
        try await TestKeel.run { keel in
            // The Anthropic SDK authenticates with x-api-key, not a bearer token.
            let response = try await keel.send(
                .POST,
                "/v1/messages",
                body: Self.body("Tell me about lighthouses", extra: #""stream":true"#),
                key: nil,
                headers: Self.headers + [("x-api-key", TestKeel.adminKey), ("anthropic-beta", "prompt-caching-2024-07-31")]
            )
            #expect(response.status == 200)
            let answer = try DialectAnswer.anthropic(response)
            #expect(answer.terminated && !answer.text.isEmpty && answer.stopReason == "end_turn")

            // Same dialect on both sides: the client reads what the upstream sent.
            let direct = try await keel.send(
                .POST,
                "/v1/messages",
                body: Self.body("Tell me about lighthouses", model: "keel-sim-chat", extra: #""stream":true"#),
                key: nil,
                headers: Self.headers + [("x-api-key", "direct")],
                to: keel.simulatorPort
            )
            #expect(try DialectAnswer.anthropic(direct).text == answer.text)

            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.operation == "messages")
            #expect(record.provider == "sim-anthropic")
            #expect(record.outcome == .success)
            #expect(record.usage.inputTokens == Int64(answer.inputTokens))
            #expect(record.usage.outputTokens == Int64(answer.outputTokens))
        }
    }

    @Test func cacheReadsAndWritesOfBothLifetimesAreRecordedAndPricedAsTheClientSeesThem() async throws {
        try await TestKeel.run { keel in
            let response = try await keel.post(
                "/v1/messages",
                json: Self.body(Self.handbook + " [sim cached=40 cache_write=30 cache_write_1h=20]"),
                headers: Self.headers
            )
            #expect(response.status == 200)
            let usage = try #require(response.json?["usage"] as? [String: Any])
            #expect(usage["cache_read_input_tokens"] as? Int == 40)
            let creation = try #require(usage["cache_creation"] as? [String: Any])
            #expect(creation["ephemeral_5m_input_tokens"] as? Int == 30)
            #expect(creation["ephemeral_1h_input_tokens"] as? Int == 20)
            let uncached = try #require(usage["input_tokens"] as? Int)

            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.usage.inputTokens == Int64(uncached + 90))
            #expect(record.usage.cachedInputTokens == 40)
            #expect(record.usage.cacheWriteTokens == 30)
            #expect(record.usage.cacheWrite1hTokens == 20)
            let expected = PriceCatalog.builtIn().cost(of: record.usage, model: "keel-sim-chat")
            #expect(record.cost == expected)
            #expect(response.headers["x-keel-cost-usd"] == expected.decimalString)
        }
    }

    @Test func openAIClientGetsExactUsageFromAnAnthropicUpstreamsCacheFields() async throws {
        try await TestKeel.run { keel in
            let response = try await keel.post(
                "/v1/chat/completions",
                json: chatBody(Self.handbook + " [sim cached=40 cache_write=30]", model: "via-anthropic", extra: #""stream":true,"stream_options":{"include_usage":true}"#)
            )
            #expect(response.status == 200)
            let usage = try #require(response.jsonEvents.last?["usage"] as? [String: Any])
            let prompt = try #require(usage["prompt_tokens"] as? Int)
            #expect((usage["prompt_tokens_details"] as? [String: Any])?["cached_tokens"] as? Int == 40)

            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.usage.inputTokens == Int64(prompt))
            #expect(record.usage.cachedInputTokens == 40 && record.usage.cacheWriteTokens == 30)
        }
    }

    struct ErrorCase: Sendable, CustomTestStringConvertible {
        let name: String
        let path: String
        let body: String
        let key: String?
        let status: Int
        let type: String
        var testDescription: String { self.name }
    }

    static let errorCases: [ErrorCase] = [
        ErrorCase(name: "missing key", path: "/v1/messages", body: body("x"), key: nil, status: 401, type: "authentication_error"),
        ErrorCase(name: "missing max_tokens", path: "/v1/messages", body: #"{"model":"via-anthropic","messages":[{"role":"user","content":"x"}]}"#, key: TestKeel.adminKey, status: 400, type: "invalid_request_error"),
        ErrorCase(name: "missing messages", path: "/v1/messages", body: #"{"model":"via-anthropic","max_tokens":5}"#, key: TestKeel.adminKey, status: 400, type: "invalid_request_error"),
        ErrorCase(name: "malformed JSON", path: "/v1/messages", body: #"{"model":"#, key: TestKeel.adminKey, status: 400, type: "invalid_request_error"),
        ErrorCase(name: "unknown model", path: "/v1/messages", body: body("x", model: "claude-nope"), key: TestKeel.adminKey, status: 404, type: "not_found_error"),
        ErrorCase(name: "upstream overloaded (529 passes through)", path: "/v1/messages", body: body("[sim status=529]"), key: TestKeel.adminKey, status: 529, type: "overloaded_error"),
        ErrorCase(name: "upstream rate limit", path: "/v1/messages", body: body("[sim status=429 retry_after=0]"), key: TestKeel.adminKey, status: 429, type: "rate_limit_error"),
        ErrorCase(name: "count_tokens without messages", path: "/v1/messages/count_tokens", body: #"{"model":"via-anthropic"}"#, key: TestKeel.adminKey, status: 400, type: "invalid_request_error"),
    ]

    @Test(arguments: errorCases)
    func errorsAreAnthropicShapedWithTheRightStatus(_ errorCase: ErrorCase) async throws {
        try await TestKeel.run { keel in
            let response = try await keel.post(errorCase.path, json: errorCase.body, key: errorCase.key, headers: Self.headers)
            #expect(response.status == errorCase.status, "\(response.body)")
            #expect(response.json?["type"] as? String == "error")
            let error = try #require(response.json?["error"] as? [String: Any])
            #expect(error["type"] as? String == errorCase.type)
            #expect((error["message"] as? String)?.isEmpty == false)
            #expect(!response.body.contains("sk-ant-upstream-secret"))
            await keel.shutdown()
            #expect(try await keel.records().count == (errorCase.status == 401 ? 0 : 1))
        }
    }

    @Test func countTokensIsForwardedToAnAnthropicUpstreamAndAgreesWithTheMessageUsage() async throws {
        try await TestKeel.run { keel in
            let body = Self.body("How many tokens is this?")
            let count = try await keel.post("/v1/messages/count_tokens", json: body, headers: Self.headers)
            #expect(count.status == 200)
            let counted = try #require(count.json?["input_tokens"] as? Int)
            let message = try await keel.post("/v1/messages", json: body, headers: Self.headers)
            let usage = try #require(message.json?["usage"] as? [String: Any])
            #expect(usage["input_tokens"] as? Int == counted)

            // An upstream without a token-counting endpoint is refused clearly, not guessed.
            let refused = try await keel.post("/v1/messages/count_tokens", json: Self.body("x", model: "via-openai"), headers: Self.headers)
            #expect(refused.status == 400)
            #expect(((refused.json?["error"] as? [String: Any])?["message"] as? String)?.contains("Token counting is not supported") == true)
        }
    }

    @Test func aDeploymentThatCannotServeTheRequestIsPassedOverForOneThatCan() async throws {
        try await TestKeel.run(configure: { configuration in
            // Bedrock cannot take an image by URL; the OpenAI route behind it can.
            configuration.models.append(
                .init(name: "vision", routes: [.init(provider: "sim-bedrock", model: "keel-sim-chat"), .init(provider: "sim", model: "keel-sim-chat")])
            )
        }) { keel in
            let image = #"{"model":"vision","messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]}"#
            let response = try await keel.post("/v1/chat/completions", json: image)
            #expect(response.status == 200, "\(response.body)")
            #expect(response.headers["x-keel-provider"] == "sim")
        }
    }
}
