public import KeelCore
public import NIOCore

/// Reading a client's chat-completions request into the canonical form.
///
/// Validation errors use the OpenAI API's wording for the same mistake, with `param` set.
/// Parameters the canonical request cannot carry are listed in
/// ``ChatRequest/unsupportedParameters``; harmless ones (`n: 1`, `stream_options`, zero
/// penalties, `logprobs: false`, a message `name`, an image `detail`, `prompt_cache_key`) are
/// accepted and dropped.
extension OpenAIChatDialect {
    public static func decodeRequest(_ body: ByteBuffer, maxDepth: Int) throws(KeelError) -> ChatRequest {
        let root: JSONValue
        do {
            root = try JSONValue(parsing: body, maxDepth: maxDepth)
        } catch {
            throw Self.syntaxError(error)
        }
        guard case .object(let members) = root else { throw .invalidRequest("The request body must be a JSON object.") }
        guard let modelValue = root["model"] else { throw .invalidRequest("You must provide a model parameter.", param: "model") }
        guard let model = modelValue.string, !model.isEmpty else {
            throw .invalidRequest("Invalid type for 'model': expected a non-empty string.", param: "model")
        }
        guard let messagesValue = root["messages"] else {
            throw .invalidRequest("Missing required parameter: 'messages'.", param: "messages")
        }
        guard let messages = messagesValue.array else { throw Self.invalidType("messages", "an array", messagesValue) }
        guard !messages.isEmpty else {
            throw .invalidRequest("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", param: "messages")
        }

        var request = ChatRequest(model: model, messages: [])
        var unsupported: [String] = []
        try Self.decodeMessages(messages, into: &request, unsupported: &unsupported)
        for member in members {
            let name = member.key
            let value = member.value
            switch name {
            case "model", "messages":
                break
            case "tools":
                request.tools = try Self.decodeTools(value, unsupported: &unsupported)
            case "tool_choice":
                request.toolChoice = try Self.decodeToolChoice(value, unsupported: &unsupported)
            case "parallel_tool_calls":
                request.parallelToolCalls = try Self.bool(value, name)
            case "max_tokens", "max_completion_tokens":
                if let tokens = try Self.integer(value, name) {
                    guard tokens >= 1 else {
                        throw .invalidRequest("Invalid '\(name)': integer below minimum value. Expected a value >= 1, but got \(tokens) instead.", param: name)
                    }
                    request.maxTokens = tokens
                }
            case "temperature":
                request.temperature = try Self.decimal(value, name, in: 0...2)
            case "top_p":
                request.topP = try Self.decimal(value, name, in: 0...1)
            case "stop":
                switch value {
                case .null: request.stopSequences = []
                case .string(let stop): request.stopSequences = [stop]
                case .array(let stops):
                    request.stopSequences = try stops.enumerated().map { (position, stop) throws(KeelError) -> String in
                        guard let text = stop.string else { throw Self.invalidType("stop[\(position)]", "a string", stop) }
                        return text
                    }
                default: throw Self.invalidType(name, "a string or an array of strings", value)
                }
            case "stream":
                request.stream = try Self.bool(value, name) ?? false
            case "stream_options":
                if case .object = value {
                    request.streamUsage = value["include_usage"]?.bool ?? false
                } else if !value.isNull {
                    throw Self.invalidType(name, "an object", value)
                }
            case "response_format":
                request.responseFormat = try Self.decodeResponseFormat(value)
            case "reasoning_effort":
                if let effort = try Self.string(value, name) {
                    guard AnthropicWire.thinkingBudget(effort: effort) != nil else {
                        throw .invalidRequest("Invalid value: '\(effort)'. Supported values are: 'minimal', 'low', 'medium', and 'high'.", param: name)
                    }
                    request.reasoning = .effort(effort)
                }
            case "user", "safety_identifier":
                if let user = try Self.string(value, name) { request.user = user }
            case "n":
                if let count = try Self.integer(value, name), count != 1 { unsupported.append(name) }
            case "logprobs", "store":
                if try Self.bool(value, name) == true { unsupported.append(name) }
            case "presence_penalty", "frequency_penalty":
                if let penalty = try Self.decimal(value, name, in: -2...2), penalty != 0 { unsupported.append(name) }
            case "logit_bias", "metadata":
                if let entries = value.members, entries.isEmpty { break }
                if !value.isNull { unsupported.append(name) }
            case "service_tier":
                if let tier = value.string, tier == "auto" || tier == "default" { break }
                if !value.isNull { unsupported.append(name) }
            case "modalities":
                if let kinds = value.array, kinds.allSatisfy({ $0.string == "text" }) { break }
                if !value.isNull { unsupported.append(name) }
            case "prompt_cache_key":
                // A routing hint for OpenAI's automatic cache; meaningless elsewhere, harmless.
                break
            default:
                // `seed`, `top_logprobs`, `audio`, `prediction`, `web_search_options`,
                // `functions`, `function_call`, `verbosity` and anything unknown.
                if !value.isNull { unsupported.append(name) }
            }
        }
        request.unsupportedParameters = unsupported
        return request
    }

    // MARK: Messages

    static func decodeMessages(_ messages: [JSONValue], into request: inout ChatRequest, unsupported: inout [String]) throws(KeelError) {
        for (position, message) in messages.enumerated() {
            let path = "messages[\(position)]"
            guard message.isObject else { throw Self.invalidType(path, "an object", message) }
            guard let roleValue = message["role"] else {
                throw .invalidRequest("Missing required parameter: '\(path).role'.", param: "\(path).role")
            }
            guard let role = roleValue.string else { throw Self.invalidType("\(path).role", "a string", roleValue) }
            for key in ["function_call", "audio"] where message[key].map({ !$0.isNull }) == true {
                unsupported.append("\(path).\(key)")
            }
            switch role {
            case "system", "developer":
                let parts = try Self.contentParts(message["content"], path: path, allowImages: false, unsupported: &unsupported)
                request.system.append(contentsOf: parts)
            case "user":
                let parts = try Self.contentParts(message["content"], path: path, allowImages: true, unsupported: &unsupported)
                if let last = request.messages.last, last.role == .user, last.content.allSatisfy(\.isToolResult) {
                    request.messages[request.messages.count - 1].content.append(contentsOf: parts)
                } else {
                    request.messages.append(ChatMessage(role: .user, content: parts))
                }
            case "assistant":
                request.messages.append(ChatMessage(role: .assistant, content: try Self.assistantContent(message, path: path, unsupported: &unsupported)))
            case "tool":
                guard let idValue = message["tool_call_id"] else {
                    throw .invalidRequest("Missing required parameter: '\(path).tool_call_id'.", param: "\(path).tool_call_id")
                }
                guard let id = idValue.string else { throw Self.invalidType("\(path).tool_call_id", "a string", idValue) }
                let parts = try Self.contentParts(message["content"], path: path, allowImages: false, unsupported: &unsupported)
                let result = ChatContent.toolResult(ChatToolResult(toolCallID: id, content: parts))
                if let last = request.messages.last, last.role == .user, last.content.allSatisfy(\.isToolResult) {
                    request.messages[request.messages.count - 1].content.append(result)
                } else {
                    request.messages.append(ChatMessage(role: .user, content: [result]))
                }
            case "function":
                unsupported.append("\(path).role")
            default:
                throw .invalidRequest(
                    "Invalid value: '\(role)'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.",
                    param: "\(path).role"
                )
            }
        }
    }

    /// A message's `content`: a string, or an array of `text` (and, for users, `image_url`)
    /// parts; `null` is no content.
    static func contentParts(_ content: JSONValue?, path: String, allowImages: Bool, unsupported: inout [String]) throws(KeelError) -> [ChatContent] {
        switch content {
        case nil, .null?:
            return []
        case .string(let text)?:
            return [.text(text)]
        case .array(let parts)?:
            var result: [ChatContent] = []
            for (position, part) in parts.enumerated() {
                let partPath = "\(path).content[\(position)]"
                guard let type = part["type"]?.string else {
                    throw .invalidRequest("Missing required parameter: '\(partPath).type'.", param: "\(partPath).type")
                }
                switch type {
                case "text":
                    guard let text = part["text"]?.string else {
                        throw .invalidRequest("Missing required parameter: '\(partPath).text'.", param: "\(partPath).text")
                    }
                    result.append(.text(ChatText(text, cache: AnthropicWire.cacheControl(from: part["cache_control"]))))
                case "image_url" where allowImages:
                    result.append(.image(try Self.image(part["image_url"], path: "\(partPath).image_url")))
                case "input_audio", "file", "image_url":
                    unsupported.append("\(partPath).\(type)")
                default:
                    throw .invalidRequest(
                        "Invalid value: '\(type)'. Supported values are: 'text', 'image_url', 'input_audio', and 'file'.",
                        param: "\(partPath).type"
                    )
                }
            }
            return result
        case let other?:
            throw Self.invalidType("\(path).content", "a string or an array", other)
        }
    }

    /// `image_url`: `{"url": …, "detail": …}` (or the bare URL string). `detail` has no
    /// counterpart elsewhere and is a hint, so it is dropped.
    static func image(_ value: JSONValue?, path: String) throws(KeelError) -> ChatImage {
        guard let url = value?["url"]?.string ?? value?.string else {
            throw .invalidRequest("Missing required parameter: '\(path).url'.", param: "\(path).url")
        }
        if url.hasPrefix("data:") {
            // data:<media type>;base64,<data>
            let afterScheme = url.dropFirst(5)
            guard let comma = afterScheme.firstIndex(of: ","), afterScheme[..<comma].hasSuffix(";base64") else {
                throw .invalidRequest("Invalid '\(path).url': a data URL must be base64-encoded ('data:<type>;base64,<data>').", param: "\(path).url")
            }
            let mediaType = String(afterScheme[..<comma].dropLast(7))
            return .base64(mediaType: mediaType, data: String(afterScheme[afterScheme.index(after: comma)...]))
        }
        guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
            throw .invalidRequest("Invalid '\(path).url': expected an http(s) URL or a base64 data URL.", param: "\(path).url")
        }
        return .url(url)
    }

    /// An assistant turn: its thinking first (Anthropic requires it to lead), then text and
    /// refusal parts, then tool calls.
    static func assistantContent(_ message: JSONValue, path: String, unsupported: inout [String]) throws(KeelError) -> [ChatContent] {
        var content = Self.thinking(of: message)
        switch message["content"] {
        case nil, .null?:
            break
        case .string(let text)?:
            if !text.isEmpty { content.append(.text(text)) }
        case .array(let parts)?:
            for (position, part) in parts.enumerated() {
                switch part["type"]?.string {
                case "text": content.append(.text(part["text"]?.string ?? ""))
                case "refusal": content.append(.refusal(part["refusal"]?.string ?? ""))
                default:
                    throw .invalidRequest("Invalid value for '\(path).content[\(position)].type': expected 'text' or 'refusal'.", param: "\(path).content[\(position)].type")
                }
            }
        case let other?:
            throw Self.invalidType("\(path).content", "a string or an array", other)
        }
        if let refusal = message["refusal"]?.string, !refusal.isEmpty { content.append(.refusal(refusal)) }
        if let callsValue = message["tool_calls"], !callsValue.isNull {
            guard let calls = callsValue.array else { throw Self.invalidType("\(path).tool_calls", "an array", callsValue) }
            for (position, call) in calls.enumerated() {
                let callPath = "\(path).tool_calls[\(position)]"
                guard let id = call["id"]?.string else {
                    throw .invalidRequest("Missing required parameter: '\(callPath).id'.", param: "\(callPath).id")
                }
                guard let function = call["function"], let name = function["name"]?.string else {
                    throw .invalidRequest("Missing required parameter: '\(callPath).function'.", param: "\(callPath).function")
                }
                content.append(.toolCall(ChatToolCall(id: id, name: name, arguments: function["arguments"]?.string ?? "{}")))
            }
        }
        return content
    }

    // MARK: Tools and formats

    static func decodeTools(_ value: JSONValue, unsupported: inout [String]) throws(KeelError) -> [ChatTool] {
        if value.isNull { return [] }
        guard let tools = value.array else { throw Self.invalidType("tools", "an array", value) }
        var result: [ChatTool] = []
        for (position, tool) in tools.enumerated() {
            let path = "tools[\(position)]"
            guard tool["type"]?.string == "function" else {
                unsupported.append(path)
                continue
            }
            guard let function = tool["function"], let name = function["name"]?.string else {
                throw .invalidRequest("Missing required parameter: '\(path).function.name'.", param: "\(path).function.name")
            }
            let parameters = function["parameters"].flatMap { $0.isNull ? nil : $0 } ?? .object(["type": .string("object"), "properties": .object([])])
            result.append(
                ChatTool(
                    name: name,
                    description: function["description"]?.string,
                    parameters: parameters,
                    strict: function["strict"]?.bool,
                    cache: AnthropicWire.cacheControl(from: tool["cache_control"])
                )
            )
        }
        return result
    }

    static func decodeToolChoice(_ value: JSONValue, unsupported: inout [String]) throws(KeelError) -> ChatToolChoice? {
        switch value {
        case .null: return nil
        case .string("none"): return ChatToolChoice.none
        case .string("auto"): return .auto
        case .string("required"): return .required
        case .string(let other):
            throw .invalidRequest("Invalid value: '\(other)'. Supported values are: 'none', 'auto', and 'required'.", param: "tool_choice")
        case .object:
            if value["type"]?.string == "function", let name = value["function"]?["name"]?.string { return .tool(name) }
            unsupported.append("tool_choice")
            return nil
        default:
            throw Self.invalidType("tool_choice", "a string or an object", value)
        }
    }

    static func decodeResponseFormat(_ value: JSONValue) throws(KeelError) -> ChatResponseFormat? {
        if value.isNull { return nil }
        switch value["type"]?.string {
        case "text": return .text
        case "json_object": return .jsonObject
        case "json_schema":
            guard let schema = value["json_schema"], let name = schema["name"]?.string else {
                throw .invalidRequest("Missing required parameter: 'response_format.json_schema.name'.", param: "response_format.json_schema.name")
            }
            return .jsonSchema(name: name, schema: schema["schema"] ?? .object([]), strict: schema["strict"]?.bool)
        default:
            throw .invalidRequest("Invalid value for 'response_format.type': expected 'text', 'json_object' or 'json_schema'.", param: "response_format.type")
        }
    }

    // MARK: Typed readers with OpenAI's error wording

    static func syntaxError(_ error: JSONScanner.SyntaxError) -> KeelError {
        switch error.reason {
        case .notAnObject: .invalidRequest("The request body must be a JSON object.")
        case .tooDeep: .invalidRequest("The JSON body of the request is nested too deeply.")
        default: .invalidRequest("We could not parse the JSON body of your request (\(error.reason.rawValue) at byte \(error.offset)).")
        }
    }

    /// "Invalid type for 'x': expected …, but got … instead."
    static func invalidType(_ name: String, _ expected: String, _ value: JSONValue) -> KeelError {
        .invalidRequest("Invalid type for '\(name)': expected \(expected), but got \(Self.kind(of: value)) instead.", param: name)
    }

    static func kind(of value: JSONValue) -> String {
        switch value {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: value.int != nil ? "an integer" : "a decimal"
        case .bool: "a boolean"
        case .null: "null"
        }
    }

    static func bool(_ value: JSONValue, _ name: String) throws(KeelError) -> Bool? {
        if value.isNull { return nil }
        guard let flag = value.bool else { throw Self.invalidType(name, "a boolean", value) }
        return flag
    }

    static func string(_ value: JSONValue, _ name: String) throws(KeelError) -> String? {
        if value.isNull { return nil }
        guard let text = value.string else { throw Self.invalidType(name, "a string", value) }
        return text
    }

    static func integer(_ value: JSONValue, _ name: String) throws(KeelError) -> Int? {
        if value.isNull { return nil }
        guard let number = value.int else { throw Self.invalidType(name, "an integer", value) }
        return number
    }

    static func decimal(_ value: JSONValue, _ name: String, in range: ClosedRange<Double>) throws(KeelError) -> Double? {
        if value.isNull { return nil }
        guard let number = value.double else { throw Self.invalidType(name, "a decimal", value) }
        if number > range.upperBound {
            throw .invalidRequest("Invalid '\(name)': decimal above maximum value. Expected a value <= \(Self.plain(range.upperBound)), but got \(Self.plain(number)) instead.", param: name)
        }
        if number < range.lowerBound {
            throw .invalidRequest("Invalid '\(name)': decimal below minimum value. Expected a value >= \(Self.plain(range.lowerBound)), but got \(Self.plain(number)) instead.", param: name)
        }
        return number
    }

    /// `2` rather than `2.0`.
    static func plain(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

extension ChatContent {
    var isToolResult: Bool {
        if case .toolResult = self { true } else { false }
    }
}
