import KeelCore
import KeelProviders
import NIOCore
import Testing

@Suite struct ChatRequestTranslationTests {
    @Test func openAIRequestBecomesAnAnthropicBody() throws {
        let request = try OpenAIChatDialect.decodeRequest(try UpstreamFixture.buffer("openai-chat-request-tools.json"), maxDepth: 64)
        #expect(request.unsupportedParameters == [])
        // Consecutive tool messages merged into one user turn, then the user's text joined to it.
        #expect(request.messages.map(\.role) == [.user, .assistant, .user])
        let json = try JSONValue(parsing: AnthropicChatDialect.encodeRequest(request, upstreamModel: "claude-sonnet-4-5-20250929"))

        #expect(json["model"] == .string("claude-sonnet-4-5-20250929"))
        #expect(json["max_tokens"] == .int(4_096))
        // The system message and the later developer message, in order.
        #expect(
            json["system"]
                == .array([
                    .object(["type": .string("text"), "text": .string("You are a weather assistant.")]),
                    .object(["type": .string("text"), "text": .string("Answer in one sentence.")]),
                ])
        )
        #expect(json["temperature"] == .double(0.7))
        #expect(json["top_p"] == .double(0.9))
        #expect(json["stop_sequences"] == .array([.string("\n\nHuman:")]))
        #expect(json["metadata"] == .object(["user_id": .string("user-1234")]))
        #expect(json["stream"] == .bool(true))
        #expect(json["tool_choice"] == .object(["type": .string("any"), "disable_parallel_tool_use": .bool(true)]))
        // reasoning_effort low: 2,048 thinking tokens, which fit under max_tokens 4,096.
        #expect(json["thinking"] == .object(["type": .string("enabled"), "budget_tokens": .int(2_048)]))
        let tool = try #require(json["tools"]?.array?.first)
        #expect(tool["name"] == .string("get_weather"))
        #expect(tool["input_schema"]?["required"] == .array([.string("location")]))

        let messages = try #require(json["messages"]?.array)
        #expect(messages.count == 3)
        let user = try #require(messages[0]["content"]?.array)
        #expect(user[1]["source"] == .object(["type": .string("url"), "url": .string("https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg")]))
        #expect(user[2]["source"] == .object(["type": .string("base64"), "media_type": .string("image/png"), "data": .string("iVBORw0KGgo=")]))
        let assistant = try #require(messages[1]["content"]?.array)
        #expect(assistant.map { $0["type"]?.string } == ["tool_use", "tool_use"])
        #expect(assistant[0]["id"] == .string("call_DdmO9pD3xa9XTPNJ32zg2hcA"))
        #expect(assistant[1]["input"] == .object(["location": .string("Tokyo")]))
        let results = try #require(messages[2]["content"]?.array)
        #expect(results.map { $0["type"]?.string } == ["tool_result", "tool_result", "text"])
        #expect(results[0]["tool_use_id"] == .string("call_DdmO9pD3xa9XTPNJ32zg2hcA"))
        #expect(results[0]["content"] == .string("18°C, cloudy"))
        #expect(results[1]["tool_use_id"] == .string("call_ABXv2ODXMCKnzNQR6MaB3Wxn"))
        #expect(results[2]["text"] == .string("Thanks! Summarise."))
    }

    @Test func reasoningEffortBecomesAThinkingBudgetThatFitsMaxTokens() throws {
        func anthropic(_ extra: String) throws -> JSONValue {
            let request = try OpenAIChatDialect.decodeRequest(body(#"{"model":"m","messages":[{"role":"user","content":"hi"}]"# + extra + "}"), maxDepth: 64)
            return try JSONValue(parsing: AnthropicChatDialect.encodeRequest(request, upstreamModel: "claude"))
        }
        let noLimit = try anthropic(#","reasoning_effort":"medium""#)
        #expect(noLimit["thinking"] == .object(["type": .string("enabled"), "budget_tokens": .int(8_192)]))
        #expect(noLimit["max_tokens"] == .int(4_096 + 8_192))
        let limited = try anthropic(#","reasoning_effort":"high","max_completion_tokens":5000"#)
        #expect(limited["thinking"]?["budget_tokens"] == .int(4_999))
        #expect(limited["max_tokens"] == .int(5_000))
        let plain = try anthropic("")
        #expect(plain["max_tokens"] == .int(AnthropicWire.defaultMaxTokens))
        #expect(plain["thinking"] == nil)
    }

    @Test func anthropicRequestBecomesAnOpenAIBody() throws {
        let request = try AnthropicChatDialect.decodeRequest(try UpstreamFixture.buffer("anthropic-messages-request-tools.json"), maxDepth: 64)
        #expect(request.unsupportedParameters == [])
        #expect(request.system == [.text("You are a weather assistant."), .text(ChatText("<long reference document>", cache: ChatCacheControl(ttl: .oneHour)))])
        #expect(request.reasoning == .budgetTokens(2_048))
        let json = try JSONValue(parsing: OpenAIChatDialect.encodeRequest(request, upstreamModel: "gpt-4o"))

        #expect(json["model"] == .string("gpt-4o"))
        #expect(json["max_completion_tokens"] == .int(2_048))
        #expect(json["temperature"] == .double(0.5))
        #expect(json["stop"] == .array([.string("END")]))
        #expect(json["user"] == .string("user-1234"))
        #expect(json["tool_choice"] == .string("required"))
        #expect(json["parallel_tool_calls"] == .bool(false))
        #expect(json["reasoning_effort"] == .string("low"))
        #expect(json["stream"] == nil)
        #expect(json["tools"]?.array?.first?["function"]?["name"] == .string("get_weather"))

        let messages = try #require(json["messages"]?.array)
        #expect(messages.map { $0["role"]?.string } == ["system", "user", "assistant", "tool", "tool", "user"])
        #expect(messages[0]["content"]?.array?.map { $0["text"]?.string } == ["You are a weather assistant.", "<long reference document>"])
        let parts = try #require(messages[1]["content"]?.array)
        #expect(parts[1]["image_url"]?["url"] == .string("data:image/jpeg;base64,/9j/4AAQSkZJRg=="))
        #expect(parts[2]["image_url"]?["url"] == .string("https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg"))
        #expect(messages[2]["content"] == .string("Let me check both cities."))
        let calls = try #require(messages[2]["tool_calls"]?.array)
        #expect(calls.map { $0["id"]?.string } == ["toolu_01Paris", "toolu_01Tokyo"])
        #expect(calls[0]["function"]?["arguments"] == .string(#"{"location":"Paris"}"#))
        #expect(messages[3]["tool_call_id"] == .string("toolu_01Paris"))
        #expect(messages[3]["content"] == .string("18°C, cloudy"))
        #expect(messages[4]["tool_call_id"] == .string("toolu_01Tokyo"))
        #expect(messages[4]["content"] == .string("25°C, sunny"))
        #expect(messages[5]["content"] == .string("Now summarise in one sentence."))
    }

    @Test func streamingToOpenAIAlwaysAsksForUsage() throws {
        let request = try AnthropicChatDialect.decodeRequest(body(#"{"model":"c","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#), maxDepth: 64)
        let json = try JSONValue(parsing: OpenAIChatDialect.encodeRequest(request, upstreamModel: "gpt-4o"))
        #expect(json["stream_options"] == .object(["include_usage": .bool(true)]))
    }

    @Test(arguments: [
        ("gpt-4o", "call_abc.def:1", "call_abc_def_1"),
        ("gpt-4o", "toolu_ok-1", "toolu_ok-1"),
    ])
    func toolIDsAreMadeAcceptableToAnthropic(_ model: String, _ id: String, _ expected: String) throws {
        let request = ChatRequest(
            model: model,
            messages: [
                ChatMessage(role: .assistant, content: [.toolCall(ChatToolCall(id: id, name: "f", arguments: "{}"))]),
                ChatMessage(role: .user, content: [.toolResult(ChatToolResult(toolCallID: id, content: [.text("ok")], isError: true))]),
            ]
        )
        let json = try JSONValue(parsing: AnthropicChatDialect.encodeRequest(request, upstreamModel: "claude"))
        #expect(json["messages"]?.array?[0]["content"]?.array?[0]["id"] == .string(expected))
        #expect(json["messages"]?.array?[1]["content"]?.array?[0]["tool_use_id"] == .string(expected))
        #expect(json["messages"]?.array?[1]["content"]?.array?[0]["is_error"] == .bool(true))
    }

    // MARK: Refusals of what the other side cannot express

    @Test(arguments: [
        (#""logprobs":true"#, "logprobs"),
        (#""top_logprobs":2"#, "top_logprobs"),
        (#""n":2"#, "n"),
        (#""logit_bias":{"50256":-100}"#, "logit_bias"),
        (#""seed":42"#, "seed"),
        (#""presence_penalty":0.5"#, "presence_penalty"),
        (#""frequency_penalty":-0.5"#, "frequency_penalty"),
        (#""store":true"#, "store"),
        (#""service_tier":"flex""#, "service_tier"),
        (#""modalities":["text","audio"]"#, "modalities"),
        (#""audio":{"voice":"alloy","format":"wav"}"#, "audio"),
        (#""prediction":{"type":"content","content":"x"}"#, "prediction"),
        (#""web_search_options":{}"#, "web_search_options"),
        (#""functions":[{"name":"f"}]"#, "functions"),
        (#""verbosity":"low""#, "verbosity"),
        (#""tools":[{"type":"custom","custom":{"name":"grammar"}}]"#, "tools[0]"),
    ])
    func openAIParameterWithoutAnthropicMeaningIsRefused(_ member: String, _ parameter: String) throws {
        let request = try OpenAIChatDialect.decodeRequest(body(#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"# + member + "}"), maxDepth: 64)
        #expect(request.unsupportedParameters == [parameter])
        let error = keelError { () throws(KeelError) in _ = try AnthropicChatDialect.encodeRequest(request, upstreamModel: "claude") }
        #expect(error == .invalidRequest("The parameter '\(parameter)' is not supported by this model's provider.", param: parameter))
    }

    @Test func audioContentIsRefusedForAnthropic() throws {
        let request = try OpenAIChatDialect.decodeRequest(
            body(#"{"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAA","format":"wav"}}]}]}"#),
            maxDepth: 64
        )
        let error = keelError { () throws(KeelError) in _ = try AnthropicChatDialect.encodeRequest(request, upstreamModel: "claude") }
        #expect(error?.message == "The parameter 'messages[0].content[0].input_audio' is not supported by this model's provider.")
    }

    @Test(arguments: [
        (#""response_format":{"type":"json_object"}"#, "response_format", "The parameter 'response_format' (JSON mode) is not supported by this model's provider; describe the JSON you want in the prompt or use a tool."),
        (#""response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object"}}}"#, "response_format", "The parameter 'response_format' (JSON mode) is not supported by this model's provider; describe the JSON you want in the prompt or use a tool."),
        (#""temperature":1.5"#, "temperature", "Invalid 'temperature': this model's provider accepts values from 0 to 1, but got 1.5."),
        (#""reasoning_effort":"low","max_tokens":1000"#, "max_tokens", "Reasoning on this model's provider needs 'max_tokens' above 1024, but got 1000."),
    ])
    func openAIValueAnthropicCannotHonourIsRefused(_ member: String, _ parameter: String, _ message: String) throws {
        let request = try OpenAIChatDialect.decodeRequest(body(#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"# + member + "}"), maxDepth: 64)
        let error = keelError { () throws(KeelError) in _ = try AnthropicChatDialect.encodeRequest(request, upstreamModel: "claude") }
        #expect(error == .invalidRequest(message, param: parameter))
        #expect(error?.httpStatus == 400)
    }

    @Test(arguments: [
        (#""top_k":5"#, "top_k"),
        (#""container":"container_1""#, "container"),
        (#""mcp_servers":[{"type":"url","url":"https://mcp.test","name":"m"}]"#, "mcp_servers"),
        (#""service_tier":"standard_only""#, "service_tier"),
        (#""tools":[{"type":"web_search_20250305","name":"web_search"}]"#, "tools.0"),
    ])
    func anthropicParameterWithoutOpenAIMeaningIsRefused(_ member: String, _ parameter: String) throws {
        let request = try AnthropicChatDialect.decodeRequest(body(#"{"model":"c","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"# + member + "}"), maxDepth: 64)
        let error = keelError { () throws(KeelError) in _ = try OpenAIChatDialect.encodeRequest(request, upstreamModel: "gpt-4o") }
        #expect(error == .invalidRequest("The parameter '\(parameter)' is not supported by this model's provider.", param: parameter))
    }

    @Test func documentBlocksAndImagesInToolResultsAreRefusedForOpenAI() throws {
        let document = try AnthropicChatDialect.decodeRequest(
            body(#"{"model":"c","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"read"},{"type":"document","source":{"type":"url","url":"https://x.test/a.pdf"}}]}]}"#),
            maxDepth: 64
        )
        let documentError = keelError { () throws(KeelError) in _ = try OpenAIChatDialect.encodeRequest(document, upstreamModel: "gpt-4o") }
        #expect(documentError?.param == "messages.0.content.1")
        let image = try AnthropicChatDialect.decodeRequest(
            body(#"{"model":"c","max_tokens":10,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"image","source":{"type":"url","url":"https://x.test/a.png"}}]}]}]}"#),
            maxDepth: 64
        )
        let imageError = keelError { () throws(KeelError) in _ = try OpenAIChatDialect.encodeRequest(image, upstreamModel: "gpt-4o") }
        #expect(imageError?.message == "Images in tool results are not supported by this model's provider.")
    }
}
