import KeelCore
import NIOCore
import Testing

@testable import KeelProviders

@Suite("Gemini answers")
struct GeminiResponseTests {
    private let prices = PriceCatalog.builtIn()

    private func decode(_ fixture: String) throws -> ChatResponse {
        try GeminiChatDialect.decodeResponse(try UpstreamFixture.buffer(fixture))
    }

    @Test func plainAnswerJoinsTextPartsAndCountsUsage() throws {
        let response = try self.decode("gemini-generate-content-plain.json")
        #expect(response.id == "Wn1ZaJ3NBPyTxN8P0dC_qA4")
        #expect(response.model == "gemini-2.0-flash")
        #expect(response.content == [.text("Hello! How can I help you today?")])
        #expect(response.stopReason == .endTurn)
        #expect(response.usage == TokenUsage(inputTokens: 8, outputTokens: 9))
        // 8 × $0.10/M + 9 × $0.40/M = 800 + 3,600 n$
        #expect(self.prices.cost(of: response.usage, model: response.model) == USDNanos(4_400))
    }

    @Test func aFunctionCallBecomesAToolCallWithAGeneratedID() throws {
        let response = try self.decode("gemini-generate-content-tool-use.json")
        #expect(response.stopReason == .toolUse)
        #expect(response.content.count == 1)
        guard case .toolCall(let call) = response.content[0] else {
            Issue.record("expected a tool call, got \(response.content)")
            return
        }
        #expect(call.name == "get_weather")
        #expect(call.arguments == #"{"location":"Boston, MA","unit":"celsius"}"#)
        #expect(call.id.hasPrefix("call_") && call.id.count == 29)
        #expect(response.usage == TokenUsage(inputTokens: 67, outputTokens: 18))
        // 67 × $0.30/M + 18 × $2.50/M
        #expect(self.prices.cost(of: response.usage, model: "gemini-2.5-flash") == USDNanos(20_100 + 45_000))
    }

    @Test func parallelFunctionCallsKeepTheirOrderAndGetDistinctIDs() throws {
        let response = try self.decode("gemini-generate-content-parallel-tools.json")
        #expect(response.stopReason == .toolUse)
        #expect(response.content.count == 3)
        #expect(response.content.first == .text("Let me check both."))
        guard case .toolCall(let first) = response.content[1], case .toolCall(let second) = response.content[2] else {
            Issue.record("expected two tool calls, got \(response.content)")
            return
        }
        #expect((first.name, first.arguments) == ("get_weather", #"{"location":"Paris"}"#))
        #expect((second.name, second.arguments) == ("get_time", #"{"timezone":"Europe/Paris"}"#))
        #expect(first.id != second.id)
        // 120 × $1.25/M + 30 × $10/M
        #expect(self.prices.cost(of: response.usage, model: response.model) == USDNanos(150_000 + 300_000))
    }

    @Test func cachedContentIsPartOfThePromptCount() throws {
        let response = try self.decode("gemini-generate-content-cache-read.json")
        #expect(response.usage == TokenUsage(inputTokens: 4_210, outputTokens: 52, cachedInputTokens: 4_096))
        #expect(response.usage.uncachedInputTokens == 114)
        // 114 × $0.30/M + 4,096 × $0.03/M + 52 × $2.50/M
        #expect(self.prices.cost(of: response.usage, model: response.model) == USDNanos(34_200 + 122_880 + 130_000))
    }

    @Test func thoughtsAreThinkingAndCountAsOutput() throws {
        let response = try self.decode("gemini-generate-content-reasoning.json")
        #expect(
            response.content == [
                .thinking(ChatThinking(text: "**Counting the primes**\n\nI list the primes below 20: 2, 3, 5, 7, 11, 13, 17, 19.")),
                .text("There are 8 prime numbers below 20."),
            ]
        )
        // candidatesTokenCount (25) excludes thoughtsTokenCount (310).
        #expect(response.usage == TokenUsage(inputTokens: 12, outputTokens: 335, reasoningTokens: 310))
        // 12 × $0.30/M + 335 × $2.50/M
        #expect(self.prices.cost(of: response.usage, model: response.model) == USDNanos(3_600 + 837_500))
    }

    @Test func maxTokensAndABlockedPromptMapToTheirStopReasons() throws {
        #expect(try self.decode("gemini-generate-content-max-tokens.json").stopReason == .maxTokens)
        let blocked = try self.decode("gemini-generate-content-prompt-blocked.json")
        #expect(blocked.stopReason == .contentFilter)
        #expect(blocked.content.isEmpty)
        #expect(blocked.usage == TokenUsage(inputTokens: 14))
    }

    @Test(arguments: [
        ("STOP", false, ChatStopReason.endTurn), ("STOP", true, .toolUse), ("MAX_TOKENS", false, .maxTokens),
        ("SAFETY", false, .contentFilter), ("RECITATION", false, .contentFilter), ("PROHIBITED_CONTENT", false, .contentFilter),
        ("OTHER", false, .endTurn),
    ])
    func finishReasonsMapToStopReasons(finishReason: String, hasToolCalls: Bool, expected: ChatStopReason) {
        #expect(GeminiChatDialect.stopReason(finishReason, hasToolCalls: hasToolCalls) == expected)
    }

    @Test func aBodyThatIsNotAnAnswerIsABadResponse() {
        let error = #expect(throws: KeelError.self) { try GeminiChatDialect.decodeResponse(ByteBuffer(string: #"{"candidates":[]}"#)) }
        #expect(error?.metricLabel == "upstream_bad_response")
        #expect(throws: KeelError.self) { try GeminiChatDialect.decodeResponse(ByteBuffer(string: "<html>")) }
    }
}

@Suite("Gemini failures")
struct GeminiFailureTests {
    @Test func resourceExhaustedIsRateLimitedWithTheRetryDelay() throws {
        let error = GeminiFailure.error(status: 429, body: try UpstreamFixture.buffer("gemini-error-rate-limited.json"), retryAfter: nil, secret: nil)
        #expect(error.metricLabel == "upstream_rate_limited")
        #expect(error.retryAfterSeconds == 37)
        #expect(error.isRetryable)
    }

    @Test func invalidArgumentIsRejectedWithGooglesMessage() throws {
        let error = GeminiFailure.error(status: 400, body: try UpstreamFixture.buffer("gemini-error-invalid-argument.json"), retryAfter: nil, secret: nil)
        #expect(error.metricLabel == "upstream_rejected")
        #expect(error.upstreamStatus == 400)
        #expect(error.httpStatus == 400)
        #expect(error.message.contains("contents is not specified"))
        #expect(!error.isRetryable)
    }

    @Test func anInvalidKeyIsTheGatewaysCredentialProblem() throws {
        let error = GeminiFailure.error(
            status: 400, body: try UpstreamFixture.buffer("gemini-error-api-key-invalid.json"), retryAfter: nil, secret: Secret("AIzaSecret")
        )
        #expect(error.metricLabel == "upstream_rejected")
        #expect(error.httpStatus == 502)
        #expect(!error.message.contains("AIzaSecret"))
        #expect(GeminiFailure.error(status: 403, body: nil, retryAfter: nil, secret: nil).httpStatus == 502)
    }

    @Test func unavailableIsRetryable() throws {
        let error = GeminiFailure.error(status: 503, body: try UpstreamFixture.buffer("gemini-error-unavailable.json"), retryAfter: nil, secret: nil)
        #expect(error.metricLabel == "upstream_unavailable")
        #expect(error.upstreamStatus == 503)
        #expect(error.isRetryable)
        #expect(GeminiFailure.error(status: 504, body: nil, retryAfter: nil, secret: nil).metricLabel == "upstream_timeout")
    }

    @Test func theAPIKeyIsScrubbedFromMessages() {
        let body = ByteBuffer(string: #"{"error":{"code":400,"message":"bad key AIzaSecret here","status":"INVALID_ARGUMENT"}}"#)
        let error = GeminiFailure.error(status: 400, body: body, retryAfter: nil, secret: Secret("AIzaSecret"))
        #expect(error.message == "bad key <redacted> here")
    }
}
