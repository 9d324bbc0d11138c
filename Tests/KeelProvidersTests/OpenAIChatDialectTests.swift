import KeelCore
import KeelProviders
import NIOCore
import Testing

@Suite struct OpenAIChatDialectTests {
    let prices = PriceCatalog.builtIn()

    struct ResponseCase: CustomTestStringConvertible, Sendable {
        let fixture: String
        let usage: TokenUsage
        let costNanos: Int64
        let stopReason: ChatStopReason
        var testDescription: String { self.fixture }
    }

    @Test(arguments: [
        ResponseCase(fixture: "openai-chat-plain.json", usage: TokenUsage(inputTokens: 19, outputTokens: 10), costNanos: 8_850, stopReason: .endTurn),
        ResponseCase(fixture: "openai-chat-parallel-tools.json", usage: TokenUsage(inputTokens: 82, outputTokens: 49), costNanos: 695_000, stopReason: .toolUse),
        ResponseCase(
            fixture: "openai-chat-cache-read.json",
            usage: TokenUsage(inputTokens: 2_006, outputTokens: 300, cachedInputTokens: 1_920),
            costNanos: 5_615_000,
            stopReason: .endTurn
        ),
        ResponseCase(
            fixture: "openai-chat-reasoning.json",
            usage: TokenUsage(inputTokens: 50, outputTokens: 1_200, reasoningTokens: 1_024),
            costNanos: 5_335_000,
            stopReason: .endTurn
        ),
        ResponseCase(fixture: "openai-chat-refusal.json", usage: TokenUsage(inputTokens: 81, outputTokens: 11), costNanos: 312_500, stopReason: .refusal),
    ])
    func completeAnswerDecodesWithExactUsageAndCost(_ testCase: ResponseCase) throws {
        let response = try OpenAIChatDialect.decodeResponse(try UpstreamFixture.buffer(testCase.fixture))
        #expect(response.usage == testCase.usage)
        #expect(response.stopReason == testCase.stopReason)
        #expect(self.prices.cost(of: response.usage, model: response.model) == USDNanos(testCase.costNanos))
    }

    @Test func plainAnswerDecodesFieldByField() throws {
        let response = try OpenAIChatDialect.decodeResponse(try UpstreamFixture.buffer("openai-chat-plain.json"))
        #expect(response.id == "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT")
        #expect(response.model == "gpt-4o-mini-2024-07-18")
        #expect(response.content == [.text("Hello! How can I assist you today?")])
        #expect(response.stopSequence == nil)
    }

    @Test func parallelToolCallsKeepTheirIDsAndOrder() throws {
        let response = try OpenAIChatDialect.decodeResponse(try UpstreamFixture.buffer("openai-chat-parallel-tools.json"))
        #expect(
            response.content == [
                .toolCall(ChatToolCall(id: "call_DdmO9pD3xa9XTPNJ32zg2hcA", name: "get_weather", arguments: #"{"location":"Paris, France"}"#)),
                .toolCall(ChatToolCall(id: "call_ABXv2ODXMCKnzNQR6MaB3Wxn", name: "get_weather", arguments: #"{"location":"Tokyo, Japan"}"#)),
            ]
        )
    }

    @Test func refusalIsARefusalPartAndStopReason() throws {
        let response = try OpenAIChatDialect.decodeResponse(try UpstreamFixture.buffer("openai-chat-refusal.json"))
        #expect(response.content == [.refusal("I'm sorry, I cannot assist with that request.")])
        let anthropic = try JSONValue(parsing: AnthropicChatDialect.encodeResponse(response, model: "claude-via-gpt"))
        #expect(anthropic["stop_reason"] == .string("refusal"))
        #expect(anthropic["content"]?.array?.first?["text"] == .string("I'm sorry, I cannot assist with that request."))
    }

    @Test func encodedAnswerUsesOpenAIUsageConvention() throws {
        let response = ChatResponse(
            id: "msg_01",
            model: "claude-sonnet-4-5-20250929",
            content: [
                .thinking(ChatThinking(text: "Plan.", signature: "sig")),
                .text("Checking."),
                .toolCall(ChatToolCall(id: "toolu_01", name: "get_weather", arguments: #"{"location":"Paris"}"#)),
            ],
            stopReason: .toolUse,
            usage: TokenUsage(inputTokens: 1_821, outputTokens: 393, cachedInputTokens: 100, cacheWriteTokens: 200, cacheWrite1hTokens: 1_500)
        )
        let json = try JSONValue(parsing: OpenAIChatDialect.encodeResponse(response, model: "gpt-alias"))
        #expect(json["object"] == .string("chat.completion"))
        #expect(json["id"] == .string("msg_01"))
        #expect(json["model"] == .string("gpt-alias"))
        let choice = try #require(json["choices"]?.array?.first)
        #expect(choice["finish_reason"] == .string("tool_calls"))
        let message = try #require(choice["message"])
        #expect(message["content"] == .string("Checking."))
        #expect(message["reasoning_content"] == .string("Plan."))
        #expect(message["thinking_blocks"]?.array?.first?["signature"] == .string("sig"))
        let call = try #require(message["tool_calls"]?.array?.first)
        #expect(call["id"] == .string("toolu_01"))
        #expect(call["type"] == .string("function"))
        #expect(call["function"]?["arguments"] == .string(#"{"location":"Paris"}"#))
        let usage = try #require(json["usage"])
        #expect(usage["prompt_tokens"] == .int(1_821))
        #expect(usage["completion_tokens"] == .int(393))
        #expect(usage["total_tokens"] == .int(2_214))
        #expect(usage["prompt_tokens_details"]?["cached_tokens"] == .int(100))
    }

    @Test func errorBodyFixtureIsAnUpstreamRejection() throws {
        let error = OpenAIFailure.error(status: 400, body: try UpstreamFixture.buffer("openai-chat-error.json"), retryAfter: nil, secret: nil)
        #expect(error.httpStatus == 400)
        #expect(error.message.hasPrefix("Invalid 'messages[1].tool_calls': empty array."))
    }

    // MARK: Client request errors, as OpenAI words them

    struct BadRequest: CustomTestStringConvertible, Sendable {
        let body: String
        let message: String
        let param: String?
        var testDescription: String { self.message }
    }

    @Test(arguments: [
        BadRequest(body: #"{"messages":[{"role":"user","content":"hi"}]}"#, message: "You must provide a model parameter.", param: "model"),
        BadRequest(body: #"{"model":"gpt-4o"}"#, message: "Missing required parameter: 'messages'.", param: "messages"),
        BadRequest(
            body: #"{"model":"gpt-4o","messages":"hi"}"#,
            message: "Invalid type for 'messages': expected an array, but got a string instead.",
            param: "messages"
        ),
        BadRequest(
            body: #"{"model":"gpt-4o","messages":[]}"#,
            message: "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
            param: "messages"
        ),
        BadRequest(
            body: #"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"temperature":3}"#,
            message: "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 3 instead.",
            param: "temperature"
        ),
        BadRequest(
            body: #"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"temperature":"hot"}"#,
            message: "Invalid type for 'temperature': expected a decimal, but got a string instead.",
            param: "temperature"
        ),
        BadRequest(
            body: #"{"model":"gpt-4o","messages":[{"role":"robot","content":"hi"}]}"#,
            message: "Invalid value: 'robot'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.",
            param: "messages[0].role"
        ),
        BadRequest(
            body: #"{"model":"gpt-4o","messages":[{"content":"hi"}]}"#,
            message: "Missing required parameter: 'messages[0].role'.",
            param: "messages[0].role"
        ),
        BadRequest(
            body: #"{"model":"gpt-4o","messages":[{"role":"tool","content":"18C"}]}"#,
            message: "Missing required parameter: 'messages[0].tool_call_id'.",
            param: "messages[0].tool_call_id"
        ),
        BadRequest(
            body: #"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"max_tokens":0}"#,
            message: "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead.",
            param: "max_tokens"
        ),
        BadRequest(
            body: #"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":"yes"}"#,
            message: "Invalid type for 'stream': expected a boolean, but got a string instead.",
            param: "stream"
        ),
        BadRequest(
            body: #"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"reasoning_effort":"extreme"}"#,
            message: "Invalid value: 'extreme'. Supported values are: 'minimal', 'low', 'medium', and 'high'.",
            param: "reasoning_effort"
        ),
        BadRequest(body: #"{"model":"gpt-4o","messages":["#, message: "We could not parse the JSON body of your request (unexpected end of input at byte 30).", param: nil),
    ])
    func clientMistakeIsTheErrorOpenAIGives(_ bad: BadRequest) {
        let error = keelError { () throws(KeelError) in _ = try OpenAIChatDialect.decodeRequest(body(bad.body), maxDepth: 64) }
        #expect(error?.message == bad.message)
        #expect(error?.param == bad.param)
        #expect(error?.httpStatus == 400)
        #expect(error?.openAIType == "invalid_request_error")
    }

    @Test func harmlessParametersAreAccepted() throws {
        let request = try OpenAIChatDialect.decodeRequest(
            body(
                #"""
                {"model":"gpt-4o","n":1,"logprobs":false,"presence_penalty":0,"frequency_penalty":0,"service_tier":"auto",
                 "prompt_cache_key":"k","logit_bias":{},"seed":null,"stream":true,"stream_options":{"include_usage":true},
                 "messages":[{"role":"user","name":"ann","content":[{"type":"image_url","image_url":{"url":"https://x.test/a.png","detail":"low"}}]}]}
                """#
            ),
            maxDepth: 64
        )
        #expect(request.unsupportedParameters == [])
        #expect(request.streamUsage)
        #expect(request.messages == [ChatMessage(role: .user, content: [.image(.url("https://x.test/a.png"))])])
    }
}
