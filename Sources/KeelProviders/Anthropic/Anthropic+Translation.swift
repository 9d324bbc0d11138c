public import KeelCore
public import NIOCore

/// The Anthropic Messages dialect (`POST /v1/messages`) as a translation end: the client side
/// (decode a client's request, encode an answer) and the upstream side (encode a request, decode
/// an answer). Bodies are ``JSONValue`` trees (see ``AnthropicWire`` for why not Codable).
///
/// Writing a canonical request for Anthropic:
/// - `max_tokens` is required: without the client's value it is ``AnthropicWire/defaultMaxTokens``
///   (plus the thinking budget when thinking is on).
/// - `temperature` above 1 is refused (Anthropic's range is 0–1; clamping would change the
///   sampling the client asked for). JSON mode (`response_format` `json_object`/`json_schema`)
///   is refused: Anthropic has no such mode.
/// - `reasoning_effort` becomes `thinking.budget_tokens` (``AnthropicWire/thinkingBudget(effort:)``),
///   lowered to fit under the client's `max_tokens`; refused when that leaves less than 1,024.
/// - Unsigned thinking (plain `reasoning_content` echoed by an OpenAI client) is left out of
///   earlier turns: Anthropic accepts thinking back only with its signature.
/// - `parallel_tool_calls: false` becomes `tool_choice.disable_parallel_tool_use`; OpenAI's
///   `strict` on a tool is a hint Anthropic's tools do not take, and is dropped.
/// - Tool ids keep their value, with characters Anthropic rejects replaced by `_`.
///
/// Source: https://docs.anthropic.com/en/api/messages
public enum AnthropicChatDialect: ChatClientDialect, ChatUpstreamDialect {
    public typealias StreamEncoder = AnthropicStreamEncoder
    public typealias StreamDecoder = AnthropicStreamDecoder

    // MARK: Upstream: encode a request

    public static func encodeRequest(_ request: ChatRequest, upstreamModel: String) throws(KeelError) -> ByteBuffer {
        try Self.requestJSON(request, upstreamModel: upstreamModel).jsonBuffer
    }

    static func requestJSON(_ request: ChatRequest, upstreamModel: String) throws(KeelError) -> JSONValue {
        if let first = request.unsupportedParameters.first { throw .unsupportedParameter(first) }
        switch request.responseFormat {
        case .jsonObject?, .jsonSchema?:
            throw .invalidRequest(
                "The parameter 'response_format' (JSON mode) is not supported by this model's provider; describe the JSON you want in the prompt or use a tool.",
                param: "response_format"
            )
        case .text?, nil:
            break
        }
        if let temperature = request.temperature, temperature > 1 {
            throw .invalidRequest(
                "Invalid 'temperature': this model's provider accepts values from 0 to 1, but got \(OpenAIChatDialect.plain(temperature)).",
                param: "temperature"
            )
        }
        let budget = try Self.thinkingBudget(request)

        var body: [JSONValue.Member] = []
        body.add("model", .string(upstreamModel))
        body.add("max_tokens", .int(AnthropicWire.maxTokens(requested: request.maxTokens, thinkingBudget: budget)))
        body.add("system", Self.systemJSON(request.system))
        body.add("messages", .array(try Self.messagesJSON(request.messages)))
        if !request.tools.isEmpty {
            body.add("tools", .array(request.tools.map(Self.toolJSON)))
            body.add("tool_choice", Self.toolChoiceJSON(request.toolChoice, parallel: request.parallelToolCalls))
        }
        body.add("temperature", request.temperature.map(JSONValue.double))
        body.add("top_p", request.topP.map(JSONValue.double))
        body.add("top_k", request.topK.map(JSONValue.int))
        if !request.stopSequences.isEmpty {
            body.add("stop_sequences", .array(request.stopSequences.map(JSONValue.string)))
        }
        if let budget {
            body.add("thinking", .object(["type": .string("enabled"), "budget_tokens": .int(budget)]))
        }
        if let user = request.user {
            body.add("metadata", .object(["user_id": .string(user)]))
        }
        if request.stream { body.add("stream", .bool(true)) }
        return .object(body)
    }

    /// The thinking budget to send, or `nil` without reasoning.
    static func thinkingBudget(_ request: ChatRequest) throws(KeelError) -> Int? {
        let wanted: Int
        switch request.reasoning {
        case nil: return nil
        case .budgetTokens(let tokens)?: wanted = tokens
        case .effort(let effort)?:
            guard let tokens = AnthropicWire.thinkingBudget(effort: effort) else {
                throw .invalidRequest("Invalid 'reasoning_effort': '\(effort)'.", param: "reasoning_effort")
            }
            wanted = tokens
        }
        guard let maxTokens = request.maxTokens else { return wanted }
        let budget = min(wanted, maxTokens - 1)
        guard budget >= AnthropicWire.minimumThinkingBudget else {
            throw .invalidRequest(
                "Reasoning on this model's provider needs 'max_tokens' above \(AnthropicWire.minimumThinkingBudget), but got \(maxTokens).",
                param: "max_tokens"
            )
        }
        return budget
    }

    static func systemJSON(_ system: [ChatContent]) -> JSONValue? {
        let texts = system.compactMap { part -> ChatText? in
            if case .text(let text) = part { text } else { nil }
        }
        if texts.isEmpty { return nil }
        if texts.count == 1, texts[0].cache == nil { return .string(texts[0].text) }
        return .array(texts.filter { !$0.text.isEmpty }.map(Self.textBlock))
    }

    static func messagesJSON(_ messages: [ChatMessage]) throws(KeelError) -> [JSONValue] {
        var result: [JSONValue] = []
        for message in messages {
            var blocks: [JSONValue] = []
            for part in message.content {
                if let block = try Self.block(part) { blocks.append(block) }
            }
            // Anthropic rejects an empty turn; one with no content says nothing.
            guard !blocks.isEmpty else { continue }
            result.append(.object(["role": .string(message.role.rawValue), "content": .array(blocks)]))
        }
        return result
    }

    /// The content block for a part; `nil` for what Anthropic does not take back (empty text,
    /// unsigned thinking).
    static func block(_ part: ChatContent) throws(KeelError) -> JSONValue? {
        switch part {
        case .text(let text):
            return text.text.isEmpty ? nil : Self.textBlock(text)
        case .refusal(let text):
            return text.isEmpty ? nil : Self.textBlock(ChatText(text))
        case .image(let image):
            return .object(["type": .string("image"), "source": AnthropicWire.imageSource(image)])
        case .toolCall(let call):
            return .object([
                "type": .string("tool_use"),
                "id": .string(AnthropicWire.toolUseID(call.id)),
                "name": .string(call.name),
                "input": try Self.toolInput(call),
            ])
        case .toolResult(let result):
            var content: [JSONValue] = []
            for part in result.content {
                switch part {
                case .text(let text) where !text.text.isEmpty: content.append(Self.textBlock(text))
                case .image(let image): content.append(.object(["type": .string("image"), "source": AnthropicWire.imageSource(image)]))
                default: break
                }
            }
            let value: JSONValue
            if content.count == 1, let text = content[0]["text"]?.string, content[0]["cache_control"] == nil {
                value = .string(text)
            } else {
                value = .array(content)
            }
            return .object([
                "type": .string("tool_result"),
                "tool_use_id": .string(AnthropicWire.toolUseID(result.toolCallID)),
                "content": value,
                "is_error": result.isError ? .bool(true) : nil,
            ])
        case .thinking(let thinking):
            if let data = thinking.redactedData {
                return .object(["type": .string("redacted_thinking"), "data": .string(data)])
            }
            guard let signature = thinking.signature else { return nil }
            return .object(["type": .string("thinking"), "thinking": .string(thinking.text), "signature": .string(signature)])
        }
    }

    static func textBlock(_ text: ChatText) -> JSONValue {
        .object(["type": .string("text"), "text": .string(text.text), "cache_control": text.cache.map(AnthropicWire.cacheControl)])
    }

    /// A tool call's arguments as the `input` object.
    static func toolInput(_ call: ChatToolCall) throws(KeelError) -> JSONValue {
        if call.arguments.allSatisfy({ $0 == " " }) { return .object([]) }
        guard let input = try? JSONValue(parsing: call.arguments), input.isObject else {
            throw .invalidRequest("The arguments of tool call '\(call.id)' are not a JSON object.", param: "messages")
        }
        return input
    }

    static func toolJSON(_ tool: ChatTool) -> JSONValue {
        .object([
            "name": .string(tool.name),
            "description": tool.description.map(JSONValue.string),
            "input_schema": tool.parameters,
            "cache_control": tool.cache.map(AnthropicWire.cacheControl),
        ])
    }

    static func toolChoiceJSON(_ choice: ChatToolChoice?, parallel: Bool?) -> JSONValue {
        let disableParallel: JSONValue? = parallel == false ? .bool(true) : nil
        switch choice {
        case nil, .auto?: return .object(["type": .string("auto"), "disable_parallel_tool_use": disableParallel])
        case .none?: return .object(["type": .string("none")])
        case .required?: return .object(["type": .string("any"), "disable_parallel_tool_use": disableParallel])
        case .tool(let name)?:
            return .object(["type": .string("tool"), "name": .string(name), "disable_parallel_tool_use": disableParallel])
        }
    }

    // MARK: Upstream: decode an answer

    public static func decodeResponse(_ body: ByteBuffer) throws(KeelError) -> ChatResponse {
        let root: JSONValue
        do {
            root = try JSONValue(parsing: body, maxDepth: 128)
        } catch {
            throw .upstreamBadResponse("The upstream provider returned a response that is not JSON.")
        }
        if root["type"]?.string == "error" {
            throw AnthropicFailure.error(type: root["error"]?["type"]?.string, message: root["error"]?["message"]?.string)
        }
        guard let blocks = root["content"]?.array else {
            throw .upstreamBadResponse("The upstream provider returned a message without content.")
        }
        var content: [ChatContent] = []
        for block in blocks {
            switch block["type"]?.string {
            case "text":
                if let text = block["text"]?.string, !text.isEmpty { content.append(.text(text)) }
            case "tool_use":
                guard let id = block["id"]?.string, let name = block["name"]?.string else {
                    throw .upstreamBadResponse("The upstream provider returned a tool call without an id or name.")
                }
                content.append(.toolCall(ChatToolCall(id: id, name: name, arguments: (block["input"] ?? .object([])).jsonText)))
            case "thinking":
                content.append(.thinking(ChatThinking(text: block["thinking"]?.string ?? "", signature: block["signature"]?.string)))
            case "redacted_thinking":
                if let data = block["data"]?.string { content.append(.thinking(ChatThinking(text: "", redactedData: data))) }
            default:
                break
            }
        }
        return ChatResponse(
            id: root["id"]?.string.flatMap { $0.isEmpty ? nil : $0 } ?? AnthropicWire.generatedID(prefix: "msg_"),
            model: root["model"]?.string ?? "",
            content: content,
            stopReason: AnthropicWire.stopReason(root["stop_reason"]?.string),
            stopSequence: root["stop_sequence"]?.string,
            usage: root["usage"].map(AnthropicUsage.decode) ?? .zero
        )
    }

    // MARK: Client: encode an answer

    public static func encodeResponse(_ response: ChatResponse, model: String) -> ByteBuffer {
        Self.responseJSON(response, model: model).jsonBuffer
    }

    static func responseJSON(_ response: ChatResponse, model: String) -> JSONValue {
        var blocks: [JSONValue] = []
        for part in response.content {
            switch part {
            case .text(let text): if !text.text.isEmpty { blocks.append(.object(["type": .string("text"), "text": .string(text.text)])) }
            case .refusal(let text): blocks.append(.object(["type": .string("text"), "text": .string(text)]))
            case .thinking(let thinking):
                if let data = thinking.redactedData {
                    blocks.append(.object(["type": .string("redacted_thinking"), "data": .string(data)]))
                } else {
                    blocks.append(.object(["type": .string("thinking"), "thinking": .string(thinking.text), "signature": .string(thinking.signature ?? "")]))
                }
            case .toolCall(let call):
                // An upstream may cut arguments short (at the token limit); the block still needs an object.
                let input = (try? JSONValue(parsing: call.arguments)).flatMap { $0.isObject ? $0 : nil } ?? .object([])
                blocks.append(.object(["type": .string("tool_use"), "id": .string(call.id), "name": .string(call.name), "input": input]))
            case .image, .toolResult:
                break
            }
        }
        return .object([
            "id": .string(response.id.isEmpty ? AnthropicWire.generatedID(prefix: "msg_") : response.id),
            "type": .string("message"),
            "role": .string("assistant"),
            "model": .string(model),
            "content": .array(blocks),
            "stop_reason": .string(response.stopReason.anthropic),
            "stop_sequence": response.stopSequence.map(JSONValue.string) ?? .null,
            "usage": AnthropicUsage.encode(response.usage),
        ])
    }
}

// MARK: - Client: decode a request

/// Reading a client's Messages request into the canonical form. Errors use the Anthropic API's
/// wording for the same mistake (`messages: Field required`, dotted paths). Fields with no
/// canonical meaning (`container`, `mcp_servers`, server tools, `document` blocks, unknown
/// members) go to ``ChatRequest/unsupportedParameters``; cache breakpoints on images and tool
/// blocks, and `service_tier: auto`, are hints and are accepted.
extension AnthropicChatDialect {
    public static func decodeRequest(_ body: ByteBuffer, maxDepth: Int) throws(KeelError) -> ChatRequest {
        let root: JSONValue
        do {
            root = try JSONValue(parsing: body, maxDepth: maxDepth)
        } catch {
            throw .invalidRequest("The request body is not valid JSON: \(error.reason.rawValue) at byte \(error.offset).")
        }
        guard case .object(let members) = root else { throw .invalidRequest("The request body must be a JSON object.") }
        guard let modelValue = root["model"] else { throw Self.fieldRequired("model") }
        guard let model = modelValue.string else { throw Self.invalid("model", "Input should be a valid string") }
        guard let messagesValue = root["messages"] else { throw Self.fieldRequired("messages") }
        guard let messages = messagesValue.array else { throw Self.invalid("messages", "Input should be a valid list") }
        guard let maxTokensValue = root["max_tokens"] else { throw Self.fieldRequired("max_tokens") }
        guard let maxTokens = maxTokensValue.int else { throw Self.invalid("max_tokens", "Input should be a valid integer") }
        guard maxTokens >= 1 else { throw Self.invalid("max_tokens", "Input should be greater than or equal to 1") }

        var request = ChatRequest(model: model, messages: [], maxTokens: maxTokens)
        var unsupported: [String] = []
        for (position, message) in messages.enumerated() {
            request.messages.append(try Self.decodeMessage(message, path: "messages.\(position)", unsupported: &unsupported))
        }
        for member in members {
            let name = member.key
            let value = member.value
            switch name {
            case "model", "messages", "max_tokens":
                break
            case "system":
                request.system = try Self.decodeSystem(value)
            case "stop_sequences":
                guard let stops = value.array, stops.allSatisfy({ $0.string != nil }) else {
                    throw Self.invalid(name, "Input should be a valid list of strings")
                }
                request.stopSequences = stops.compactMap(\.string)
            case "stream":
                guard let stream = value.bool else { throw Self.invalid(name, "Input should be a valid boolean") }
                request.stream = stream
                request.streamUsage = stream
            case "temperature":
                request.temperature = try Self.decimal(value, name, upTo: 1)
            case "top_p":
                request.topP = try Self.decimal(value, name, upTo: 1)
            case "top_k":
                guard let topK = value.int else { throw Self.invalid(name, "Input should be a valid integer") }
                guard topK >= 0 else { throw Self.invalid(name, "Input should be greater than or equal to 0") }
                request.topK = topK
            case "metadata":
                guard value.isObject else { throw Self.invalid(name, "Input should be a valid dictionary") }
                if let user = value["user_id"], !user.isNull {
                    guard let id = user.string else { throw Self.invalid("metadata.user_id", "Input should be a valid string") }
                    request.user = id
                }
            case "tools":
                guard let tools = value.array else { throw Self.invalid(name, "Input should be a valid list") }
                for (position, tool) in tools.enumerated() {
                    if let tool = try Self.decodeTool(tool, path: "tools.\(position)") {
                        request.tools.append(tool)
                    } else {
                        unsupported.append("tools.\(position)")
                    }
                }
            case "tool_choice":
                try Self.decodeToolChoice(value, into: &request)
            case "thinking":
                switch value["type"]?.string {
                case "enabled":
                    guard let budget = value["budget_tokens"]?.int else { throw Self.fieldRequired("thinking.enabled.budget_tokens") }
                    guard budget >= AnthropicWire.minimumThinkingBudget else {
                        throw Self.invalid("thinking.enabled.budget_tokens", "Input should be greater than or equal to 1024")
                    }
                    request.reasoning = .budgetTokens(budget)
                case "disabled":
                    request.reasoning = nil
                default:
                    throw Self.invalid("thinking", "Input tag found using 'type' does not match any of the expected tags: 'enabled', 'disabled'")
                }
            case "service_tier":
                if value.string != "auto" { unsupported.append(name) }
            default:
                // `container`, `mcp_servers`, `context_management` and anything unknown.
                unsupported.append(name)
            }
        }
        request.unsupportedParameters = unsupported
        return request
    }

    static func decodeSystem(_ value: JSONValue) throws(KeelError) -> [ChatContent] {
        switch value {
        case .string(let text):
            return text.isEmpty ? [] : [.text(text)]
        case .array(let blocks):
            return try blocks.enumerated().map { (position, block) throws(KeelError) -> ChatContent in
                guard block["type"]?.string == "text", let text = block["text"]?.string else {
                    throw Self.invalid("system.\(position)", "Input should be a text block")
                }
                return .text(ChatText(text, cache: AnthropicWire.cacheControl(from: block["cache_control"])))
            }
        default:
            throw Self.invalid("system", "Input should be a valid string or a list of text blocks")
        }
    }

    static func decodeMessage(_ message: JSONValue, path: String, unsupported: inout [String]) throws(KeelError) -> ChatMessage {
        guard message.isObject else { throw Self.invalid(path, "Input should be a valid dictionary") }
        guard let roleValue = message["role"] else { throw Self.fieldRequired("\(path).role") }
        guard let role = roleValue.string.flatMap(ChatMessage.Role.init(rawValue:)) else {
            throw Self.invalid("\(path).role", "Input should be 'user' or 'assistant'")
        }
        guard let content = message["content"] else { throw Self.fieldRequired("\(path).content") }
        switch content {
        case .string(let text):
            return ChatMessage(role: role, content: [.text(text)])
        case .array(let blocks):
            var parts: [ChatContent] = []
            for (position, block) in blocks.enumerated() {
                if let part = try Self.decodeBlock(block, path: "\(path).content.\(position)", role: role, unsupported: &unsupported) {
                    parts.append(part)
                }
            }
            return ChatMessage(role: role, content: parts)
        default:
            throw Self.invalid("\(path).content", "Input should be a valid string or list")
        }
    }

    static func decodeBlock(_ block: JSONValue, path: String, role: ChatMessage.Role, unsupported: inout [String]) throws(KeelError) -> ChatContent? {
        guard let type = block["type"]?.string else { throw Self.fieldRequired("\(path).type") }
        switch type {
        case "text":
            guard let text = block["text"]?.string else { throw Self.fieldRequired("\(path).text") }
            return .text(ChatText(text, cache: AnthropicWire.cacheControl(from: block["cache_control"])))
        case "image":
            return try Self.decodeImage(block, path: path, unsupported: &unsupported).map(ChatContent.image)
        case "tool_use":
            guard let id = block["id"]?.string else { throw Self.fieldRequired("\(path).id") }
            guard let name = block["name"]?.string else { throw Self.fieldRequired("\(path).name") }
            guard let input = block["input"], input.isObject else { throw Self.invalid("\(path).input", "Input should be a valid dictionary") }
            return .toolCall(ChatToolCall(id: id, name: name, arguments: input.jsonText))
        case "tool_result":
            guard let id = block["tool_use_id"]?.string else { throw Self.fieldRequired("\(path).tool_use_id") }
            var content: [ChatContent] = []
            switch block["content"] {
            case nil, .null?: break
            case .string(let text)?: content = [.text(text)]
            case .array(let parts)?:
                for (position, part) in parts.enumerated() {
                    let partPath = "\(path).content.\(position)"
                    switch part["type"]?.string {
                    case "text": content.append(.text(part["text"]?.string ?? ""))
                    case "image":
                        if let image = try Self.decodeImage(part, path: partPath, unsupported: &unsupported) { content.append(.image(image)) }
                    default: unsupported.append(partPath)
                    }
                }
            default:
                throw Self.invalid("\(path).content", "Input should be a valid string or list")
            }
            return .toolResult(ChatToolResult(toolCallID: id, content: content, isError: block["is_error"]?.bool ?? false))
        case "thinking":
            guard let text = block["thinking"]?.string else { throw Self.fieldRequired("\(path).thinking") }
            guard let signature = block["signature"]?.string else { throw Self.fieldRequired("\(path).signature") }
            return .thinking(ChatThinking(text: text, signature: signature))
        case "redacted_thinking":
            guard let data = block["data"]?.string else { throw Self.fieldRequired("\(path).data") }
            return .thinking(ChatThinking(text: "", redactedData: data))
        default:
            // `document`, `search_result`, server tool blocks and future kinds.
            unsupported.append(path)
            return nil
        }
    }

    static func decodeImage(_ block: JSONValue, path: String, unsupported: inout [String]) throws(KeelError) -> ChatImage? {
        guard let source = block["source"] else { throw Self.fieldRequired("\(path).source") }
        switch source["type"]?.string {
        case "base64":
            guard let mediaType = source["media_type"]?.string else { throw Self.fieldRequired("\(path).source.base64.media_type") }
            guard let data = source["data"]?.string else { throw Self.fieldRequired("\(path).source.base64.data") }
            return .base64(mediaType: mediaType, data: data)
        case "url":
            guard let url = source["url"]?.string else { throw Self.fieldRequired("\(path).source.url.url") }
            return .url(url)
        default:
            unsupported.append("\(path).source")
            return nil
        }
    }

    /// A custom tool; `nil` for a server tool (`web_search_…`, `bash_…`), which other dialects
    /// cannot run.
    static func decodeTool(_ tool: JSONValue, path: String) throws(KeelError) -> ChatTool? {
        if let type = tool["type"]?.string, type != "custom" { return nil }
        guard let name = tool["name"]?.string else { throw Self.fieldRequired("\(path).name") }
        guard let schema = tool["input_schema"] else { throw Self.fieldRequired("\(path).input_schema") }
        return ChatTool(
            name: name,
            description: tool["description"]?.string,
            parameters: schema,
            cache: AnthropicWire.cacheControl(from: tool["cache_control"])
        )
    }

    static func decodeToolChoice(_ value: JSONValue, into request: inout ChatRequest) throws(KeelError) {
        switch value["type"]?.string {
        case "auto": request.toolChoice = .auto
        case "any": request.toolChoice = .required
        case "none": request.toolChoice = ChatToolChoice.none
        case "tool":
            guard let name = value["name"]?.string else { throw Self.fieldRequired("tool_choice.tool.name") }
            request.toolChoice = .tool(name)
        default:
            throw Self.invalid("tool_choice", "Input tag found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'")
        }
        if value["disable_parallel_tool_use"]?.bool == true { request.parallelToolCalls = false }
    }

    // MARK: Errors in Anthropic's wording

    static func fieldRequired(_ path: String) -> KeelError {
        .invalidRequest("\(path): Field required", param: path)
    }

    static func invalid(_ path: String, _ reason: String) -> KeelError {
        .invalidRequest("\(path): \(reason)", param: path)
    }

    static func decimal(_ value: JSONValue, _ name: String, upTo maximum: Double) throws(KeelError) -> Double {
        guard let number = value.double else { throw Self.invalid(name, "Input should be a valid number") }
        guard number >= 0 else { throw Self.invalid(name, "Input should be greater than or equal to 0") }
        guard number <= maximum else { throw Self.invalid(name, "Input should be less than or equal to \(OpenAIChatDialect.plain(maximum))") }
        return number
    }
}
