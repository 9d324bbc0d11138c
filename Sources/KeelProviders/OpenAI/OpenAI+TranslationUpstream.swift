public import KeelCore
public import NIOCore

/// Writing a canonical request as an OpenAI chat-completions body.
///
/// - System parts become one leading `system` message.
/// - A user message's tool results become `tool` messages, in order, before a user message with
///   the rest of its parts (Anthropic puts results first in the turn, so order is kept).
/// - Thinking parts of earlier assistant turns are dropped: Chat Completions takes no reasoning
///   back, and OpenAI reasoning models do not use it across turns.
/// - Cache breakpoints are dropped: OpenAI caches prompts on its own.
/// - Streams always ask for `stream_options.include_usage`, so the gateway meters exactly.
/// - `max_tokens` is written as `max_completion_tokens` (what reasoning models require).
/// - A thinking budget becomes `reasoning_effort` (see ``AnthropicWire/reasoningEffort(budget:)``).
///
/// Refused, naming the parameter: anything in ``ChatRequest/unsupportedParameters``, `top_k`,
/// and images inside tool results (OpenAI tool messages carry text only).
extension OpenAIChatDialect {
    public static func encodeRequest(_ request: ChatRequest, upstreamModel: String) throws(KeelError) -> ByteBuffer {
        try Self.requestJSON(request, upstreamModel: upstreamModel).jsonBuffer
    }

    static func requestJSON(_ request: ChatRequest, upstreamModel: String) throws(KeelError) -> JSONValue {
        if let first = request.unsupportedParameters.first { throw .unsupportedParameter(first) }
        if request.topK != nil { throw .unsupportedParameter("top_k") }

        var body: [JSONValue.Member] = []
        body.add("model", .string(upstreamModel))
        body.add("messages", .array(try Self.messagesJSON(request)))
        if !request.tools.isEmpty {
            body.add("tools", .array(request.tools.map(Self.toolJSON)))
        }
        switch request.toolChoice {
        case nil: break
        case .auto?: body.add("tool_choice", .string("auto"))
        case .none?: body.add("tool_choice", .string("none"))
        case .required?: body.add("tool_choice", .string("required"))
        case .tool(let name)?:
            body.add("tool_choice", .object(["type": .string("function"), "function": .object(["name": .string(name)])]))
        }
        if let parallel = request.parallelToolCalls, !request.tools.isEmpty { body.add("parallel_tool_calls", .bool(parallel)) }
        body.add("max_completion_tokens", request.maxTokens.map(JSONValue.int))
        body.add("temperature", request.temperature.map(JSONValue.double))
        body.add("top_p", request.topP.map(JSONValue.double))
        if !request.stopSequences.isEmpty {
            body.add("stop", .array(request.stopSequences.map(JSONValue.string)))
        }
        switch request.reasoning {
        case nil: break
        case .effort(let effort)?: body.add("reasoning_effort", .string(effort))
        case .budgetTokens(let budget)?: body.add("reasoning_effort", .string(AnthropicWire.reasoningEffort(budget: budget)))
        }
        switch request.responseFormat {
        case nil: break
        case .text?: body.add("response_format", .object(["type": .string("text")]))
        case .jsonObject?: body.add("response_format", .object(["type": .string("json_object")]))
        case .jsonSchema(let name, let schema, let strict)?:
            body.add(
                "response_format",
                .object([
                    "type": .string("json_schema"),
                    "json_schema": .object(["name": .string(name), "schema": schema, "strict": strict.map(JSONValue.bool)]),
                ])
            )
        }
        body.add("user", request.user.map(JSONValue.string))
        if request.stream {
            body.add("stream", .bool(true))
            body.add("stream_options", .object(["include_usage": .bool(true)]))
        }
        return .object(body)
    }

    static func messagesJSON(_ request: ChatRequest) throws(KeelError) -> [JSONValue] {
        var messages: [JSONValue] = []
        let systemTexts = request.system.compactMap { part -> String? in
            if case .text(let text) = part { text.text } else { nil }
        }
        if systemTexts.count == 1 {
            messages.append(.object(["role": .string("system"), "content": .string(systemTexts[0])]))
        } else if !systemTexts.isEmpty {
            messages.append(.object(["role": .string("system"), "content": .array(systemTexts.map(Self.textPart))]))
        }
        for (position, message) in request.messages.enumerated() {
            switch message.role {
            case .user:
                var parts: [JSONValue] = []
                for part in message.content {
                    switch part {
                    case .toolResult(let result):
                        messages.append(try Self.toolMessage(result, path: "messages[\(position)]"))
                    case .text(let text):
                        parts.append(Self.textPart(text.text))
                    case .image(let image):
                        parts.append(Self.imagePart(image))
                    case .refusal(let text):
                        parts.append(Self.textPart(text))
                    case .toolCall, .thinking:
                        break
                    }
                }
                guard !parts.isEmpty else { continue }
                if parts.count == 1, let text = parts[0]["text"]?.string {
                    messages.append(.object(["role": .string("user"), "content": .string(text)]))
                } else {
                    messages.append(.object(["role": .string("user"), "content": .array(parts)]))
                }
            case .assistant:
                var text = ""
                var calls: [JSONValue] = []
                for part in message.content {
                    switch part {
                    case .text(let part): text += part.text
                    case .refusal(let refusal): text += refusal
                    case .toolCall(let call): calls.append(Self.toolCallJSON(call))
                    case .thinking, .image, .toolResult: break
                    }
                }
                var assistant: [JSONValue.Member] = []
                assistant.add("role", .string("assistant"))
                assistant.add("content", text.isEmpty && !calls.isEmpty ? .null : .string(text))
                if !calls.isEmpty { assistant.add("tool_calls", .array(calls)) }
                messages.append(.object(assistant))
            }
        }
        return messages
    }

    static func toolMessage(_ result: ChatToolResult, path: String) throws(KeelError) -> JSONValue {
        var texts: [String] = []
        for part in result.content {
            switch part {
            case .text(let text): texts.append(text.text)
            case .image: throw .invalidRequest("Images in tool results are not supported by this model's provider.", param: "\(path).content")
            default: break
            }
        }
        // `is_error` has no OpenAI counterpart; the result's text, which says what failed, goes as is.
        let content: JSONValue = texts.count > 1 ? .array(texts.map(Self.textPart)) : .string(texts.first ?? "")
        return .object(["role": .string("tool"), "tool_call_id": .string(result.toolCallID), "content": content])
    }

    static func textPart(_ text: String) -> JSONValue {
        .object(["type": .string("text"), "text": .string(text)])
    }

    static func imagePart(_ image: ChatImage) -> JSONValue {
        let url: String
        switch image {
        case .url(let value): url = value
        case .base64(let mediaType, let data): url = "data:\(mediaType);base64,\(data)"
        }
        return .object(["type": .string("image_url"), "image_url": .object(["url": .string(url)])])
    }

    static func toolJSON(_ tool: ChatTool) -> JSONValue {
        .object([
            "type": .string("function"),
            "function": .object([
                "name": .string(tool.name),
                "description": tool.description.map(JSONValue.string),
                "parameters": tool.parameters,
                "strict": tool.strict.map(JSONValue.bool),
            ]),
        ])
    }
}
