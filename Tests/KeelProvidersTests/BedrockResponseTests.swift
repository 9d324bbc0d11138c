import KeelCore
import NIOCore
import Testing

@testable import KeelProviders

@Suite("Bedrock answers")
struct BedrockResponseTests {
    /// Claude 3.5 Haiku on Bedrock (us-east-1 on-demand): $0.80 / $4.00 per million, cache reads
    /// $0.08, cache writes $1.00.
    private let model = "anthropic.claude-3-5-haiku-20241022-v1:0"
    private var prices: PriceCatalog {
        PriceCatalog.builtIn(overrides: [self.model: ModelPrice(usd: "0.80", "4.00", cached: "0.08", write: "1.00")])
    }

    private func decode(_ fixture: String) throws -> ChatResponse {
        try BedrockChatDialect.decodeResponse(try UpstreamFixture.buffer(fixture))
    }

    @Test func plainAnswer() throws {
        let response = try self.decode("bedrock-converse-plain.json")
        #expect(response.content == [.text("Hello! How can I help you today?")])
        #expect(response.stopReason == .endTurn)
        #expect(response.id.hasPrefix("bedrock-"))
        #expect(response.usage == TokenUsage(inputTokens: 12, outputTokens: 10))
        #expect(self.prices.cost(of: response.usage, model: self.model) == USDNanos(9_600 + 40_000))
    }

    @Test func toolUseKeepsBedrocksIDAndInput() throws {
        let response = try self.decode("bedrock-converse-tool-use.json")
        #expect(
            response.content == [
                .text("I'll look up the weather in Seattle."),
                .toolCall(ChatToolCall(id: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", name: "get_weather", arguments: #"{"location":"Seattle, WA","unit":"celsius"}"#)),
            ]
        )
        #expect(response.stopReason == .toolUse)
        #expect(response.usage == TokenUsage(inputTokens: 397, outputTokens: 61))
        #expect(self.prices.cost(of: response.usage, model: self.model) == USDNanos(317_600 + 244_000))
    }

    @Test func parallelToolUse() throws {
        let response = try self.decode("bedrock-converse-parallel-tools.json")
        #expect(
            response.content == [
                .toolCall(ChatToolCall(id: "tooluse_paris_weather", name: "get_weather", arguments: #"{"location":"Paris"}"#)),
                .toolCall(ChatToolCall(id: "tooluse_paris_time", name: "get_time", arguments: #"{"timezone":"Europe/Paris"}"#)),
            ]
        )
        #expect(response.usage == TokenUsage(inputTokens: 420, outputTokens: 88))
    }

    @Test func cacheReadsAreAddedToTheInputThatExcludesThem() throws {
        let response = try self.decode("bedrock-converse-cache-read.json")
        // inputTokens (24) excludes the 4,092 read from the cache: totalTokens 4,166 = 24 + 4,092 + 50.
        #expect(response.usage == TokenUsage(inputTokens: 4_116, outputTokens: 50, cachedInputTokens: 4_092))
        #expect(response.usage.totalTokens == 4_166)
        // 24 × $0.80/M + 4,092 × $0.08/M + 50 × $4/M
        #expect(self.prices.cost(of: response.usage, model: self.model) == USDNanos(19_200 + 327_360 + 200_000))
    }

    @Test func cacheWritesAreAddedToTheInputThatExcludesThem() throws {
        let response = try self.decode("bedrock-converse-cache-write.json")
        #expect(response.usage == TokenUsage(inputTokens: 4_053, outputTokens: 313, cacheWriteTokens: 4_042))
        #expect(response.usage.totalTokens == 4_366)
        // 11 × $0.80/M + 4,042 × $1/M + 313 × $4/M
        #expect(self.prices.cost(of: response.usage, model: self.model) == USDNanos(8_800 + 4_042_000 + 1_252_000))
    }

    @Test func reasoningBecomesThinkingWithItsSignature() throws {
        let response = try self.decode("bedrock-converse-reasoning.json")
        #expect(
            response.content == [
                .thinking(ChatThinking(text: "The user asks for 17 × 23. 17 × 20 = 340, 17 × 3 = 51, total 391.", signature: "EqoBCkgIARABGAIiQJx1example")),
                .text("17 × 23 = 391."),
            ]
        )
        #expect(response.stopReason == .maxTokens)
    }

    @Test(arguments: [
        ("end_turn", ChatStopReason.endTurn), ("tool_use", .toolUse), ("max_tokens", .maxTokens), ("stop_sequence", .stopSequence),
        ("content_filtered", .contentFilter), ("guardrail_intervened", .contentFilter),
    ])
    func stopReasonsMap(value: String, expected: ChatStopReason) {
        #expect(BedrockChatDialect.stopReason(value) == expected)
    }

    @Test func aBodyWithoutOutputIsABadResponse() {
        let error = #expect(throws: KeelError.self) { try BedrockChatDialect.decodeResponse(ByteBuffer(string: #"{"stopReason":"end_turn"}"#)) }
        #expect(error?.metricLabel == "upstream_bad_response")
    }
}

@Suite("Bedrock failures")
struct BedrockFailureTests {
    @Test func throttlingIsRateLimited() throws {
        let error = BedrockFailure.error(
            status: 429, errorType: "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
            body: try UpstreamFixture.buffer("bedrock-error-throttling.json"), retryAfter: "2"
        )
        #expect(error.metricLabel == "upstream_rate_limited")
        #expect(error.retryAfterSeconds == 2)
    }

    @Test func validationIsRejectedWithAWSsMessage() throws {
        let error = BedrockFailure.error(
            status: 400, errorType: "ValidationException", body: try UpstreamFixture.buffer("bedrock-error-validation.json"), retryAfter: nil
        )
        #expect(error.metricLabel == "upstream_rejected")
        #expect(error.httpStatus == 400)
        #expect(error.message.contains("text content blocks must be non-empty"))
    }

    @Test func accessDeniedIsTheGatewaysCredentials() throws {
        let error = BedrockFailure.error(
            status: 403, errorType: "AccessDeniedException", body: try UpstreamFixture.buffer("bedrock-error-access-denied.json"), retryAfter: nil
        )
        #expect(error.httpStatus == 502)
        #expect(!error.isRetryable)
    }

    @Test(arguments: [
        ("ModelNotReadyException", 429, "upstream_unavailable"), ("ServiceUnavailableException", 503, "upstream_unavailable"),
        ("InternalServerException", 500, "upstream_unavailable"), ("ModelTimeoutException", 408, "upstream_timeout"),
        ("ModelErrorException", 424, "upstream_unavailable"), ("ResourceNotFoundException", 404, "upstream_rejected"),
    ])
    func exceptionsAreClassifiedByName(type: String, status: Int, label: String) {
        #expect(BedrockFailure.error(status: status, errorType: type, body: nil, retryAfter: nil).metricLabel == label)
    }

    @Test func withoutATypeTheStatusDecides() {
        #expect(BedrockFailure.error(status: 429, errorType: nil, body: nil, retryAfter: nil).metricLabel == "upstream_rate_limited")
        #expect(BedrockFailure.error(status: 502, errorType: nil, body: nil, retryAfter: nil).metricLabel == "upstream_unavailable")
    }
}
