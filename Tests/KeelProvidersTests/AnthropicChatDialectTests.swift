import KeelCore
import KeelProviders
import NIOCore
import Testing

@Suite struct AnthropicChatDialectTests {
    let prices = PriceCatalog.builtIn()

    struct ResponseCase: CustomTestStringConvertible, Sendable {
        let fixture: String
        let usage: TokenUsage
        let costNanos: Int64
        let stopReason: ChatStopReason
        var testDescription: String { self.fixture }
    }

    @Test(arguments: [
        ResponseCase(fixture: "anthropic-messages-plain.json", usage: TokenUsage(inputTokens: 2_095, outputTokens: 503), costNanos: 13_830_000, stopReason: .endTurn),
        ResponseCase(fixture: "anthropic-messages-stop-sequence.json", usage: TokenUsage(inputTokens: 18, outputTokens: 12), costNanos: 78_000, stopReason: .stopSequence),
        ResponseCase(fixture: "anthropic-messages-tool-use.json", usage: TokenUsage(inputTokens: 384, outputTokens: 92), costNanos: 2_532_000, stopReason: .toolUse),
        ResponseCase(fixture: "anthropic-messages-parallel-tools.json", usage: TokenUsage(inputTokens: 550, outputTokens: 110), costNanos: 3_300_000, stopReason: .toolUse),
        ResponseCase(
            fixture: "anthropic-messages-cache-read.json",
            usage: TokenUsage(inputTokens: 188_107, outputTokens: 393, cachedInputTokens: 188_086),
            costNanos: 62_383_800,
            stopReason: .endTurn
        ),
        // No `cache_creation` breakdown: the whole write is a five-minute write.
        ResponseCase(
            fixture: "anthropic-messages-cache-write-5m.json",
            usage: TokenUsage(inputTokens: 188_107, outputTokens: 393, cacheWriteTokens: 188_086),
            costNanos: 711_280_500,
            stopReason: .endTurn
        ),
        ResponseCase(
            fixture: "anthropic-messages-cache-write-1h.json",
            usage: TokenUsage(inputTokens: 1_821, outputTokens: 393, cacheWriteTokens: 200, cacheWrite1hTokens: 1_600),
            costNanos: 16_308_000,
            stopReason: .endTurn
        ),
        ResponseCase(fixture: "anthropic-messages-thinking.json", usage: TokenUsage(inputTokens: 40, outputTokens: 412), costNanos: 6_300_000, stopReason: .endTurn),
        ResponseCase(fixture: "anthropic-messages-refusal.json", usage: TokenUsage(inputTokens: 30, outputTokens: 9), costNanos: 225_000, stopReason: .refusal),
        // Server-side web search: $3 / 1M input, $15 / 1M output and $10 per 1,000 searches.
        ResponseCase(
            fixture: "anthropic-messages-web-search.json",
            usage: TokenUsage(inputTokens: 6_039, outputTokens: 931, webSearchRequests: 1),
            costNanos: 6_039 * 3_000 + 931 * 15_000 + 10_000_000,
            stopReason: .endTurn
        ),
    ])
    func completeAnswerDecodesWithExactUsageAndCost(_ testCase: ResponseCase) throws {
        let response = try AnthropicChatDialect.decodeResponse(try UpstreamFixture.buffer(testCase.fixture))
        #expect(response.usage == testCase.usage)
        #expect(response.stopReason == testCase.stopReason)
        #expect(self.prices.cost(of: response.usage, model: response.model) == USDNanos(testCase.costNanos))
    }

    @Test func usageRoundTripsThroughTheAnthropicShape() throws {
        let usage = TokenUsage(inputTokens: 1_821, outputTokens: 393, cachedInputTokens: 10, cacheWriteTokens: 200, cacheWrite1hTokens: 1_600)
        let json = AnthropicUsage.encode(usage)
        #expect(json["input_tokens"] == .int(11))
        #expect(json["cache_read_input_tokens"] == .int(10))
        #expect(json["cache_creation_input_tokens"] == .int(1_800))
        #expect(json["cache_creation"]?["ephemeral_1h_input_tokens"] == .int(1_600))
        #expect(AnthropicUsage.decode(json) == usage)
        #expect(json["server_tool_use"] == nil)

        let searched = TokenUsage(inputTokens: 100, outputTokens: 20, webSearchRequests: 3)
        #expect(AnthropicUsage.encode(searched)["server_tool_use"]?["web_search_requests"] == .int(3))
        #expect(AnthropicUsage.decode(AnthropicUsage.encode(searched)) == searched)
    }

    @Test func toolUseAnswerDecodesFieldByField() throws {
        let response = try AnthropicChatDialect.decodeResponse(try UpstreamFixture.buffer("anthropic-messages-tool-use.json"))
        #expect(response.id == "msg_01Aq9w938a90dw8q")
        #expect(response.model == "claude-sonnet-4-5-20250929")
        #expect(
            response.content == [
                .text("I'll check the current weather in San Francisco for you."),
                .toolCall(ChatToolCall(id: "toolu_01A09q90qw90lq917835lq9", name: "get_weather", arguments: #"{"location":"San Francisco, CA","unit":"celsius"}"#)),
            ]
        )
        let openAI = try JSONValue(parsing: OpenAIChatDialect.encodeResponse(response, model: "claude-alias"))
        let message = try #require(openAI["choices"]?.array?.first?["message"])
        #expect(openAI["choices"]?.array?.first?["finish_reason"] == .string("tool_calls"))
        #expect(message["content"] == .string("I'll check the current weather in San Francisco for you."))
        #expect(message["tool_calls"]?.array?.first?["id"] == .string("toolu_01A09q90qw90lq917835lq9"))
        #expect(openAI["usage"]?["prompt_tokens"] == .int(384))
    }

    @Test func stopSequenceIsKept() throws {
        let response = try AnthropicChatDialect.decodeResponse(try UpstreamFixture.buffer("anthropic-messages-stop-sequence.json"))
        #expect(response.stopSequence == ", 5")
        let openAI = try JSONValue(parsing: OpenAIChatDialect.encodeResponse(response, model: "m"))
        #expect(openAI["choices"]?.array?.first?["finish_reason"] == .string("stop"))
    }

    @Test func thinkingKeepsSignaturesAndRedactedBlocks() throws {
        let response = try AnthropicChatDialect.decodeResponse(try UpstreamFixture.buffer("anthropic-messages-thinking.json"))
        #expect(response.content.count == 3)
        #expect(
            response.content[0]
                == .thinking(
                    ChatThinking(text: "To compute 27 * 453: 27 * 400 = 10,800; 27 * 53 = 1,431; total 12,231.", signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds")
                )
        )
        guard case .thinking(let redacted) = response.content[1] else {
            Issue.record("expected redacted thinking")
            return
        }
        #expect(redacted.redactedData?.hasPrefix("EmwKAhgBEgy3va3pzix") == true)
        // Through an OpenAI client and back (its next turn), the blocks come back signed.
        let openAI = try JSONValue(parsing: OpenAIChatDialect.encodeResponse(response, model: "m"))
        var assistant = try #require(openAI["choices"]?.array?.first?["message"])
        assistant = .object((assistant.members ?? []).filter { $0.key != "annotations" && $0.key != "refusal" })
        let next = JSONValue.object([
            "model": .string("m"),
            "messages": .array([.object(["role": .string("user"), "content": .string("27*453?")]), assistant, .object(["role": .string("user"), "content": .string("And 28*453?")])]),
        ])
        let request = try OpenAIChatDialect.decodeRequest(next.jsonBuffer, maxDepth: 64)
        let anthropic = try JSONValue(parsing: AnthropicChatDialect.encodeRequest(request, upstreamModel: "claude-sonnet-4-5"))
        let blocks = try #require(anthropic["messages"]?.array?[1]["content"]?.array)
        #expect(blocks.map { $0["type"]?.string } == ["thinking", "redacted_thinking", "text"])
        #expect(blocks[0]["signature"] == .string("EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"))
        #expect(blocks[1]["data"] == redacted.redactedData.map(JSONValue.string))
    }

    @Test(arguments: [
        ("anthropic-messages-error-overloaded.json", 529, "overloaded_error"),
        ("anthropic-messages-error-invalid-request.json", 400, "invalid_request_error"),
    ])
    func errorBodyIsClassifiedByItsType(_ fixture: String, _ status: Int, _ type: String) throws {
        let buffer = try UpstreamFixture.buffer(fixture)
        let error = keelError { () throws(KeelError) in _ = try AnthropicChatDialect.decodeResponse(buffer) }
        #expect(error?.httpStatus == status)
        #expect(error?.anthropicType == type)
        let failure = AnthropicFailure.error(status: status, body: try UpstreamFixture.buffer(fixture), retryAfter: nil, secret: nil)
        #expect(failure.httpStatus == status)
    }

    @Test func encodedAnswerIsAnAnthropicMessage() throws {
        let response = ChatResponse(
            id: "chatcmpl-1",
            model: "gpt-4o",
            content: [.text("Hi"), .toolCall(ChatToolCall(id: "call_1", name: "f", arguments: #"{"a":1}"#))],
            stopReason: .toolUse,
            usage: TokenUsage(inputTokens: 2_006, outputTokens: 300, cachedInputTokens: 1_920)
        )
        let json = try JSONValue(parsing: AnthropicChatDialect.encodeResponse(response, model: "claude-alias"))
        #expect(json["type"] == .string("message"))
        #expect(json["role"] == .string("assistant"))
        #expect(json["model"] == .string("claude-alias"))
        #expect(json["stop_reason"] == .string("tool_use"))
        #expect(json["stop_sequence"] == .null)
        #expect(json["content"]?.array?[1]["input"] == .object(["a": .int(1)]))
        #expect(json["usage"]?["input_tokens"] == .int(86))
        #expect(json["usage"]?["cache_read_input_tokens"] == .int(1_920))
        #expect(json["usage"]?["output_tokens"] == .int(300))
    }

    // MARK: Client request errors, as Anthropic words them

    @Test(arguments: [
        (#"{"max_tokens":10,"messages":[]}"#, "model: Field required"),
        (#"{"model":"claude","max_tokens":10}"#, "messages: Field required"),
        (#"{"model":"claude","messages":[{"role":"user","content":"hi"}]}"#, "max_tokens: Field required"),
        (#"{"model":"claude","max_tokens":10,"messages":"hi"}"#, "messages: Input should be a valid list"),
        (#"{"model":"claude","max_tokens":"10","messages":[]}"#, "max_tokens: Input should be a valid integer"),
        (#"{"model":"claude","max_tokens":0,"messages":[]}"#, "max_tokens: Input should be greater than or equal to 1"),
        (#"{"model":"claude","max_tokens":10,"messages":[],"temperature":1.5}"#, "temperature: Input should be less than or equal to 1"),
        (#"{"model":"claude","max_tokens":10,"messages":[{"role":"system","content":"hi"}]}"#, "messages.0.role: Input should be 'user' or 'assistant'"),
        (#"{"model":"claude","max_tokens":10,"messages":[{"role":"user"}]}"#, "messages.0.content: Field required"),
        (#"{"model":"claude","max_tokens":10,"messages":[{"role":"user","content":[{"type":"tool_result"}]}]}"#, "messages.0.content.0.tool_use_id: Field required"),
    ])
    func clientMistakeIsTheErrorAnthropicGives(_ json: String, _ message: String) {
        let error = keelError { () throws(KeelError) in _ = try AnthropicChatDialect.decodeRequest(body(json), maxDepth: 64) }
        #expect(error?.message == message)
        #expect(error?.httpStatus == 400)
        #expect(error?.anthropicType == "invalid_request_error")
    }
}
