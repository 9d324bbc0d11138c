public import KeelCore

/// Canonical ↔ Gemini translation: pure functions of their inputs.
extension GeminiChatDialect {
    // MARK: Request

    /// The `generateContent` body for `request` (the model is part of the URL, not the body).
    public static func body(for request: ChatRequest) throws(KeelError) -> JSONValue {
        if let parameter = request.unsupportedParameters.first {
            throw KeelError.invalidRequest(
                "The parameter '\(parameter)' is not supported by the Gemini upstream of this model.",
                param: parameter
            )
        }
        var members: [JSONValue.Member] = []
        let system = try Self.systemText(request.system)
        if !system.isEmpty {
            members.append(.init(key: "systemInstruction", value: .object(["parts": .array([.object(["text": .string(system)])])])))
        }
        members.append(.init(key: "contents", value: .array(try Self.contents(request.messages))))
        if !request.tools.isEmpty {
            var declarations: [JSONValue] = []
            for tool in request.tools { declarations.append(try Self.functionDeclaration(tool)) }
            members.append(.init(key: "tools", value: .array([.object(["functionDeclarations": .array(declarations)])])))
        }
        if let choice = request.toolChoice {
            members.append(.init(key: "toolConfig", value: .object(["functionCallingConfig": Self.functionCallingConfig(choice)])))
        }
        let generation = try Self.generationConfig(request)
        if case .object(let fields) = generation, !fields.isEmpty {
            members.append(.init(key: "generationConfig", value: generation))
        }
        return .object(members)
    }

    static func systemText(_ parts: [ChatContent]) throws(KeelError) -> String {
        var texts: [String] = []
        for part in parts {
            guard case .text(let text) = part else {
                throw KeelError.invalidRequest("Gemini system instructions take text only.", param: "messages")
            }
            texts.append(text.text)
        }
        return texts.joined(separator: "\n\n")
    }

    static func contents(_ messages: [ChatMessage]) throws(KeelError) -> [JSONValue] {
        // Gemini matches a function response to its call by function name, not id.
        var toolNames: [String: String] = [:]
        var contents: [JSONValue] = []
        for message in messages {
            var parts: [JSONValue] = []
            for part in message.content {
                switch part {
                case .text(let text):
                    if !text.text.isEmpty { parts.append(.object(["text": .string(text.text)])) }
                case .refusal(let text):
                    if !text.isEmpty { parts.append(.object(["text": .string(text)])) }
                case .image(let image):
                    parts.append(try Self.inlineData(image))
                case .toolCall(let call):
                    guard message.role == .assistant else {
                        throw KeelError.invalidRequest("Tool calls can only appear in assistant messages.", param: "messages")
                    }
                    toolNames[call.id] = call.name
                    let signature = call.id.firstRange(of: GeminiWire.thoughtSignatureMarker).map { String(call.id[$0.upperBound...]) }
                    parts.append(
                        .object([
                            "functionCall": .object(["name": .string(call.name), "args": try Self.arguments(of: call)]),
                            "thoughtSignature": signature.map { JSONValue.string($0) },
                        ])
                    )
                case .toolResult(let result):
                    guard let name = toolNames[result.toolCallID] else {
                        throw KeelError.invalidRequest(
                            "The tool result for call '\(result.toolCallID)' has no matching tool call in an earlier assistant message; Gemini needs the function name.",
                            param: "messages"
                        )
                    }
                    parts.append(.object(["functionResponse": .object(["name": .string(name), "response": try Self.functionResponse(result)])]))
                case .thinking:
                    // Gemini does not take thoughts back; its thought signatures have no canonical slot.
                    continue
                }
            }
            if parts.isEmpty { continue }
            let role = message.role == .assistant ? GeminiWire.modelRole : GeminiWire.userRole
            contents.append(.object(["role": .string(role), "parts": .array(parts)]))
        }
        return contents
    }

    static func inlineData(_ image: ChatImage) throws(KeelError) -> JSONValue {
        switch image {
        case .url:
            throw KeelError.invalidRequest(
                "Gemini does not fetch image URLs; send the image inline as a base64 data: URL.",
                param: "messages"
            )
        case .base64(let mediaType, let data):
            return .object(["inlineData": .object(["mimeType": .string(mediaType), "data": .string(data)])])
        }
    }

    /// The arguments of a call as a JSON object (`{}` when empty).
    static func arguments(of call: ChatToolCall) throws(KeelError) -> JSONValue {
        if call.arguments.allSatisfy({ $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }) { return .object([]) }
        guard let value = try? JSONValue(parsing: call.arguments), value.isObject else {
            throw KeelError.invalidRequest(
                "The arguments of tool call '\(call.id)' are not a JSON object.",
                param: "messages"
            )
        }
        return value
    }

    /// `functionResponse.response` must be an object: a JSON-object result is sent as is, any
    /// other result as `{"result": …}`, and an error as `{"error": …}`.
    static func functionResponse(_ result: ChatToolResult) throws(KeelError) -> JSONValue {
        var texts: [String] = []
        for part in result.content {
            switch part {
            case .text(let text): texts.append(text.text)
            case .refusal(let text): texts.append(text)
            default:
                throw KeelError.invalidRequest(
                    "Gemini tool results take text only; the result of call '\(result.toolCallID)' has other content.",
                    param: "messages"
                )
            }
        }
        let text = texts.joined()
        let parsed = try? JSONValue(parsing: text)
        if !result.isError, let parsed, parsed.isObject { return parsed }
        return .object([(result.isError ? "error" : "result"): parsed ?? .string(text)])
    }

    static func functionDeclaration(_ tool: ChatTool) throws(KeelError) -> JSONValue {
        var members: [JSONValue.Member] = [.init(key: "name", value: .string(tool.name))]
        if let description = tool.description { members.append(.init(key: "description", value: .string(description))) }
        // Gemini rejects an OBJECT schema without properties: a function without parameters has none.
        let hasNoParameters = tool.parameters == .object([])
            || tool.parameters["type"]?.string == "object" && (tool.parameters["properties"]?.members ?? []).isEmpty
        if !hasNoParameters {
            members.append(.init(key: "parameters", value: try Self.schema(tool.parameters, context: "tool '\(tool.name)'")))
        }
        return .object(members)
    }

    /// `schema` reduced to the subset Gemini accepts (see ``GeminiWire/schemaKeys``).
    static func schema(_ schema: JSONValue, context: String) throws(KeelError) -> JSONValue {
        guard case .object(let input) = schema else { return schema }
        var output: [JSONValue.Member] = []
        var nullable = false
        for member in input {
            switch member.key {
            case "$ref":
                throw KeelError.invalidRequest(
                    "The schema of \(context) uses $ref, which Gemini does not support; inline the definition.",
                    param: "tools"
                )
            case "type":
                if case .array(let types) = member.value {
                    let named = types.compactMap(\.string)
                    nullable = named.contains("null")
                    let concrete = named.filter { $0 != "null" }
                    if concrete.count == 1 {
                        output.append(.init(key: "type", value: .string(concrete[0])))
                    } else if concrete.count > 1 {
                        output.append(.init(key: "anyOf", value: .array(concrete.map { .object(["type": .string($0)]) })))
                    }
                } else {
                    output.append(member)
                }
            case "properties":
                var properties: [JSONValue.Member] = []
                for property in member.value.members ?? [] {
                    properties.append(.init(key: property.key, value: try Self.schema(property.value, context: context)))
                }
                output.append(.init(key: "properties", value: .object(properties)))
            case "items":
                output.append(.init(key: "items", value: try Self.schema(member.value, context: context)))
            case "anyOf", "oneOf":
                var options: [JSONValue] = []
                for option in member.value.array ?? [] { options.append(try Self.schema(option, context: context)) }
                output.append(.init(key: "anyOf", value: .array(options)))
            case "const":
                if case .string = member.value { output.append(.init(key: "enum", value: .array([member.value]))) }
            case "format":
                if let format = member.value.string, GeminiWire.schemaFormats.contains(format) { output.append(member) }
            case "nullable":
                nullable = nullable || member.value.bool == true
            default:
                if GeminiWire.schemaKeys.contains(member.key) { output.append(member) }
            }
        }
        if nullable { output.append(.init(key: "nullable", value: .bool(true))) }
        return .object(output)
    }

    static func functionCallingConfig(_ choice: ChatToolChoice) -> JSONValue {
        switch choice {
        case .auto: .object(["mode": .string(GeminiWire.FunctionCallingMode.auto.rawValue)])
        case .none: .object(["mode": .string(GeminiWire.FunctionCallingMode.none.rawValue)])
        case .required: .object(["mode": .string(GeminiWire.FunctionCallingMode.any.rawValue)])
        case .tool(let name):
            .object([
                "mode": .string(GeminiWire.FunctionCallingMode.any.rawValue),
                "allowedFunctionNames": .array([.string(name)]),
            ])
        }
    }

    static func generationConfig(_ request: ChatRequest) throws(KeelError) -> JSONValue {
        var members: [JSONValue.Member] = []
        if let maxTokens = request.maxTokens { members.append(.init(key: "maxOutputTokens", value: .int(maxTokens))) }
        if let temperature = request.temperature { members.append(.init(key: "temperature", value: .double(temperature))) }
        if let topP = request.topP { members.append(.init(key: "topP", value: .double(topP))) }
        if let topK = request.topK { members.append(.init(key: "topK", value: .int(topK))) }
        if !request.stopSequences.isEmpty {
            members.append(.init(key: "stopSequences", value: .array(request.stopSequences.map { .string($0) })))
        }
        switch request.responseFormat {
        case nil, .text?:
            break
        case .jsonObject?:
            members.append(.init(key: "responseMimeType", value: .string("application/json")))
        case .jsonSchema(let name, let schema, _)?:
            members.append(.init(key: "responseMimeType", value: .string("application/json")))
            members.append(.init(key: "responseSchema", value: try Self.schema(schema, context: "response format '\(name)'")))
        }
        if let reasoning = request.reasoning {
            let budget = try Self.thinkingBudget(reasoning)
            members.append(.init(key: "thinkingConfig", value: .object(["thinkingBudget": .int(budget), "includeThoughts": .bool(budget != 0)])))
        }
        return .object(members)
    }

    /// Gemini 2.5 takes a token budget. Efforts map as Google's OpenAI-compatible endpoint maps
    /// `reasoning_effort`: none 0 (thinking off), minimal/low 1,024, medium 8,192, high 24,576.
    static func thinkingBudget(_ reasoning: ChatReasoning) throws(KeelError) -> Int {
        switch reasoning {
        case .budgetTokens(let tokens):
            return tokens
        case .effort(let effort):
            switch effort {
            case "none": return 0
            case "minimal", "low": return 1_024
            case "medium": return 8_192
            case "high": return 24_576
            default:
                throw KeelError.invalidRequest("The reasoning effort '\(effort)' has no Gemini thinking budget.", param: "reasoning_effort")
            }
        }
    }

    // MARK: Response

    /// The canonical answer for a `GenerateContentResponse`.
    public static func response(from json: JSONValue) throws(KeelError) -> ChatResponse {
        guard json.isObject else { throw KeelError.upstreamBadResponse("The Gemini upstream returned a body that is not an object.") }
        let usage = json["usageMetadata"].map(Self.usage(from:)) ?? .zero
        let id = json["responseId"]?.string ?? "gemini-" + GeminiWire.randomAlphanumerics(24)
        let model = json["modelVersion"]?.string ?? ""
        guard let candidate = json["candidates"]?.array?.first else {
            // No candidate: the prompt itself was blocked (`promptFeedback.blockReason`).
            guard json["promptFeedback"]?["blockReason"] != nil else {
                throw KeelError.upstreamBadResponse("The Gemini upstream returned no candidate.")
            }
            return ChatResponse(id: id, model: model, content: [], stopReason: .contentFilter, usage: usage)
        }
        var content: [ChatContent] = []
        for part in candidate["content"]?["parts"]?.array ?? [] {
            guard let item = Self.content(of: part) else { continue }
            switch (content.last, item) {
            case (.text(let previous)?, .text(let next)):
                content[content.count - 1] = .text(previous.text + next.text)
            case (.thinking(let previous)?, .thinking(let next)):
                content[content.count - 1] = .thinking(ChatThinking(text: previous.text + next.text, signature: next.signature ?? previous.signature))
            default:
                content.append(item)
            }
        }
        let hasToolCalls = content.contains { if case .toolCall = $0 { true } else { false } }
        let stopReason = Self.stopReason(candidate["finishReason"]?.string, hasToolCalls: hasToolCalls)
        return ChatResponse(id: id, model: model, content: content, stopReason: stopReason, usage: usage)
    }

    /// One part of an answer; `nil` for parts with no canonical meaning (code execution…).
    static func content(of part: JSONValue) -> ChatContent? {
        if let text = part["text"]?.string {
            if part["thought"]?.bool == true {
                return .thinking(ChatThinking(text: text, signature: part["thoughtSignature"]?.string))
            }
            return .text(text)
        }
        if let call = part["functionCall"] {
            let name = call["name"]?.string ?? ""
            let arguments = call["args"].map { $0.isObject ? $0.jsonText : "{}" } ?? "{}"
            var id = call["id"]?.string ?? GeminiWire.newToolCallID()
            if let signature = part["thoughtSignature"]?.string { id += GeminiWire.thoughtSignatureMarker + signature }
            return .toolCall(ChatToolCall(id: id, name: name, arguments: arguments))
        }
        if let inline = part["inlineData"], let data = inline["data"]?.string {
            return .image(.base64(mediaType: inline["mimeType"]?.string ?? "application/octet-stream", data: data))
        }
        return nil
    }

    /// `finishReason` in canonical form. Gemini reports `STOP` for a natural end, a stop sequence
    /// and function calls alike: with calls it is `toolUse`, otherwise `endTurn`.
    static func stopReason(_ finishReason: String?, hasToolCalls: Bool) -> ChatStopReason {
        switch finishReason {
        case "MAX_TOKENS":
            return .maxTokens
        case "SAFETY", "RECITATION", "LANGUAGE", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY":
            return .contentFilter
        default:
            return hasToolCalls ? .toolUse : .endTurn
        }
    }

    /// `usageMetadata` in Keel's convention. `promptTokenCount` already includes
    /// `cachedContentTokenCount`; `candidatesTokenCount` excludes `thoughtsTokenCount`, so the
    /// output is their sum. Tool-use prompt tokens (search, code execution) are billed as input.
    public static func usage(from metadata: JSONValue) -> TokenUsage {
        func count(_ key: String) -> Int64 { Int64(metadata[key]?.int ?? 0) }
        let thoughts = count("thoughtsTokenCount")
        return TokenUsage(
            inputTokens: count("promptTokenCount") + count("toolUsePromptTokenCount"),
            outputTokens: count("candidatesTokenCount") + thoughts,
            cachedInputTokens: count("cachedContentTokenCount"),
            reasoningTokens: thoughts
        )
    }
}
