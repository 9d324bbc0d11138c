public import KeelCore

/// Canonical ↔ Converse translation: pure functions of their inputs.
extension BedrockChatDialect {
    // MARK: Request

    /// The Converse body for `request` on `upstreamModel` (the model itself goes in the URL).
    public static func body(for request: ChatRequest, upstreamModel: String) throws(KeelError) -> JSONValue {
        if let parameter = request.unsupportedParameters.first {
            throw KeelError.invalidRequest(
                "The parameter '\(parameter)' is not supported by the Bedrock upstream of this model.",
                param: parameter
            )
        }
        var members: [JSONValue.Member] = []
        let messages = try Self.messages(request.messages)
        members.append(.init(key: "messages", value: .array(messages.blocks)))
        if !request.system.isEmpty {
            members.append(.init(key: "system", value: .array(try Self.systemBlocks(request.system))))
        }
        var inference: [JSONValue.Member] = []
        if let maxTokens = request.maxTokens { inference.append(.init(key: "maxTokens", value: .int(maxTokens))) }
        if let temperature = request.temperature { inference.append(.init(key: "temperature", value: .double(temperature))) }
        if let topP = request.topP { inference.append(.init(key: "topP", value: .double(topP))) }
        if !request.stopSequences.isEmpty {
            inference.append(.init(key: "stopSequences", value: .array(request.stopSequences.map { .string($0) })))
        }
        if !inference.isEmpty { members.append(.init(key: "inferenceConfig", value: .object(inference))) }
        if let toolConfig = try Self.toolConfig(request, conversationHasToolBlocks: messages.hasToolBlocks) {
            members.append(.init(key: "toolConfig", value: toolConfig))
        }
        switch request.responseFormat {
        case nil, .text?:
            break
        case .jsonObject?, .jsonSchema?:
            throw KeelError.invalidRequest(
                "Bedrock's Converse API has no JSON response mode; describe the format in the prompt or use a tool.",
                param: "response_format"
            )
        }
        let additional = try Self.additionalModelRequestFields(request, upstreamModel: upstreamModel)
        if !additional.isEmpty { members.append(.init(key: "additionalModelRequestFields", value: .object(additional))) }
        return .object(members)
    }

    static func systemBlocks(_ parts: [ChatContent]) throws(KeelError) -> [JSONValue] {
        var blocks: [JSONValue] = []
        for part in parts {
            guard case .text(let text) = part else {
                throw KeelError.invalidRequest("Bedrock system prompts take text only.", param: "messages")
            }
            blocks.append(.object(["text": .string(text.text)]))
            if text.cache != nil { blocks.append(BedrockWire.cachePoint) }
        }
        return blocks
    }

    static func messages(_ messages: [ChatMessage]) throws(KeelError) -> (blocks: [JSONValue], hasToolBlocks: Bool) {
        var result: [JSONValue] = []
        var hasToolBlocks = false
        for message in messages {
            var blocks: [JSONValue] = []
            for part in message.content {
                switch part {
                case .text(let text):
                    // Converse rejects blank text blocks (OpenAI assistant turns with tool calls often have "").
                    if !text.text.isEmpty { blocks.append(.object(["text": .string(text.text)])) }
                    if text.cache != nil { blocks.append(BedrockWire.cachePoint) }
                case .refusal(let text):
                    if !text.isEmpty { blocks.append(.object(["text": .string(text)])) }
                case .image(let image):
                    blocks.append(try Self.imageBlock(image))
                case .toolCall(let call):
                    hasToolBlocks = true
                    blocks.append(
                        .object([
                            "toolUse": .object([
                                "toolUseId": .string(call.id), "name": .string(call.name),
                                "input": try GeminiChatDialect.arguments(of: call),
                            ])
                        ])
                    )
                case .toolResult(let toolResult):
                    hasToolBlocks = true
                    blocks.append(try Self.toolResultBlock(toolResult))
                case .thinking(let thinking):
                    if let data = thinking.redactedData {
                        blocks.append(.object(["reasoningContent": .object(["redactedContent": .string(data)])]))
                    } else {
                        blocks.append(
                            .object([
                                "reasoningContent": .object([
                                    "reasoningText": .object(["text": .string(thinking.text), "signature": thinking.signature.map { JSONValue.string($0) }])
                                ])
                            ])
                        )
                    }
                }
            }
            if blocks.isEmpty { continue }
            result.append(.object(["role": .string(message.role.rawValue), "content": .array(blocks)]))
        }
        return (result, hasToolBlocks)
    }

    static func imageBlock(_ image: ChatImage) throws(KeelError) -> JSONValue {
        switch image {
        case .url:
            throw KeelError.invalidRequest(
                "Bedrock does not fetch image URLs; send the image inline as a base64 data: URL.",
                param: "messages"
            )
        case .base64(let mediaType, let data):
            guard let format = BedrockWire.imageFormat(mediaType: mediaType) else {
                throw KeelError.invalidRequest(
                    "Bedrock takes PNG, JPEG, GIF and WebP images, not '\(mediaType)'.",
                    param: "messages"
                )
            }
            // Over HTTP the Converse API takes blob fields as base64 text.
            return .object(["image": .object(["format": .string(format), "source": .object(["bytes": .string(data)])])])
        }
    }

    static func toolResultBlock(_ result: ChatToolResult) throws(KeelError) -> JSONValue {
        var content: [JSONValue] = []
        for part in result.content {
            switch part {
            case .text(let text): content.append(.object(["text": .string(text.text)]))
            case .refusal(let text): content.append(.object(["text": .string(text)]))
            case .image(let image): content.append(try Self.imageBlock(image))
            default:
                throw KeelError.invalidRequest(
                    "The result of tool call '\(result.toolCallID)' holds content Bedrock tool results cannot carry.",
                    param: "messages"
                )
            }
        }
        return .object([
            "toolResult": .object([
                "toolUseId": .string(result.toolCallID),
                "content": .array(content),
                // `status` is only understood by some models (Claude); it is sent only for errors.
                "status": result.isError ? .string("error") : nil,
            ])
        ])
    }

    /// `toolConfig`, or `nil` when no tools are offered. Converse's `toolChoice` has no `none`:
    /// the tools are then left out, which Converse refuses once the conversation holds tool calls
    /// or results (they need a `toolConfig`), so that case is refused here with a clear message.
    static func toolConfig(_ request: ChatRequest, conversationHasToolBlocks: Bool) throws(KeelError) -> JSONValue? {
        guard !request.tools.isEmpty else { return nil }
        let choice: JSONValue?
        switch request.toolChoice {
        case nil: choice = nil
        case .auto?: choice = .object(["auto": .object([])])
        case .required?: choice = .object(["any": .object([])])
        case .tool(let name)?: choice = .object(["tool": .object(["name": .string(name)])])
        case .none?:
            guard !conversationHasToolBlocks else {
                throw KeelError.invalidRequest(
                    "tool_choice 'none' cannot be expressed on Bedrock in a conversation that contains tool calls; use 'auto'.",
                    param: "tool_choice"
                )
            }
            return nil
        }
        var tools: [JSONValue] = []
        for tool in request.tools {
            tools.append(
                .object([
                    "toolSpec": .object([
                        "name": .string(tool.name),
                        "description": tool.description.map { JSONValue.string($0) },
                        "inputSchema": .object(["json": tool.parameters]),
                    ])
                ])
            )
            if tool.cache != nil { tools.append(BedrockWire.cachePoint) }
        }
        return .object(["tools": .array(tools), "toolChoice": choice])
    }

    /// Model-specific fields. Only Anthropic's are known: `thinking` and `top_k`.
    static func additionalModelRequestFields(_ request: ChatRequest, upstreamModel: String) throws(KeelError) -> [JSONValue.Member] {
        let isAnthropic = upstreamModel.contains("anthropic.")
        var fields: [JSONValue.Member] = []
        if let topK = request.topK {
            guard isAnthropic else {
                throw KeelError.invalidRequest("top_k is not supported by the Bedrock model '\(upstreamModel)'.", param: "top_k")
            }
            fields.append(.init(key: "top_k", value: .int(topK)))
        }
        switch request.reasoning {
        case nil:
            break
        case .budgetTokens(let budget)?:
            guard isAnthropic else {
                throw KeelError.invalidRequest("Thinking budgets are not supported by the Bedrock model '\(upstreamModel)'.", param: "thinking")
            }
            fields.append(.init(key: "thinking", value: .object(["type": .string("enabled"), "budget_tokens": .int(budget)])))
        case .effort?:
            throw KeelError.invalidRequest(
                "Bedrock's Converse API takes no reasoning effort; use a thinking budget on an Anthropic model.",
                param: "reasoning_effort"
            )
        }
        return fields
    }

    // MARK: Response

    /// The canonical answer for a Converse response. Converse names neither the answer nor the
    /// model: the id is generated and the model left empty (the client encoder writes the name
    /// the client asked for).
    public static func response(from json: JSONValue) throws(KeelError) -> ChatResponse {
        guard let message = json["output"]?["message"], let blocks = message["content"]?.array else {
            throw KeelError.upstreamBadResponse("The Bedrock upstream returned no output message.")
        }
        var content: [ChatContent] = []
        for block in blocks {
            if let text = block["text"]?.string {
                content.append(.text(text))
            } else if let toolUse = block["toolUse"] {
                content.append(
                    .toolCall(
                        ChatToolCall(
                            id: toolUse["toolUseId"]?.string ?? "",
                            name: toolUse["name"]?.string ?? "",
                            arguments: toolUse["input"]?.jsonText ?? "{}"
                        )
                    )
                )
            } else if let reasoning = block["reasoningContent"] {
                if let text = reasoning["reasoningText"] {
                    content.append(.thinking(ChatThinking(text: text["text"]?.string ?? "", signature: text["signature"]?.string)))
                } else if let redacted = reasoning["redactedContent"]?.string {
                    content.append(.thinking(ChatThinking(text: "", redactedData: redacted)))
                }
            }
        }
        let stopSequence = json["additionalModelResponseFields"]?["stop_sequence"]?.string
        return ChatResponse(
            id: BedrockWire.newMessageID(),
            model: "",
            content: content,
            stopReason: Self.stopReason(json["stopReason"]?.string),
            stopSequence: stopSequence,
            usage: json["usage"].map(Self.usage(from:)) ?? .zero
        )
    }

    static func stopReason(_ value: String?) -> ChatStopReason {
        switch value {
        case "tool_use": .toolUse
        case "max_tokens", "model_context_window_exceeded": .maxTokens
        case "stop_sequence": .stopSequence
        case "content_filtered", "guardrail_intervened": .contentFilter
        default: .endTurn
        }
    }

    /// `usage` in Keel's convention. Bedrock's `inputTokens` EXCLUDES the prompt tokens read from
    /// and written to the cache (as Anthropic's `input_tokens` does): AWS's `TokenUsage` reference
    /// lists `cacheReadInputTokens` and `cacheWriteInputTokens` beside it, and `totalTokens` is
    /// their sum with `inputTokens` and `outputTokens`. So the full prompt is the sum of the three;
    /// cache writes are counted at the default (5-minute) lifetime.
    public static func usage(from usage: JSONValue) -> TokenUsage {
        func count(_ key: String) -> Int64 { Int64(usage[key]?.int ?? 0) }
        let cacheRead = count("cacheReadInputTokens")
        let cacheWrite = count("cacheWriteInputTokens")
        return TokenUsage(
            inputTokens: count("inputTokens") + cacheRead + cacheWrite,
            outputTokens: count("outputTokens"),
            cachedInputTokens: cacheRead,
            cacheWriteTokens: cacheWrite
        )
    }
}
