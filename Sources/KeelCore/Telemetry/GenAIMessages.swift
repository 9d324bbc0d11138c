/// Prompt and answer contents as the OpenTelemetry GenAI semantic conventions write them on a
/// span: `gen_ai.system_instructions`, `gen_ai.input.messages` and `gen_ai.output.messages`,
/// each a JSON array whose messages hold typed `parts` (`text`, `tool_call`,
/// `tool_call_response`, `reasoning`, `uri`, `blob`, and Keel's `refusal`).
///
/// Exported only when `tracing.capture_content` is on. Each of the input and the output is cut
/// at a ``Budget`` of bytes of content: a text that does not fit whole is cut on a character
/// boundary, inline data that does not fit is left out, and the attribute stays valid JSON.
public enum GenAIMessages {
    /// The bytes of content still allowed in one attribute group.
    public struct Budget: Sendable {
        public private(set) var remaining: Int
        /// Content was cut or left out.
        public private(set) var truncated = false

        public init(bytes: Int) {
            self.remaining = max(0, bytes)
        }

        /// `text`, or as much of it as still fits.
        public mutating func take(_ text: String) -> String {
            let utf8 = text.utf8
            guard utf8.count > self.remaining else {
                self.remaining -= utf8.count
                return text
            }
            self.truncated = true
            var end = utf8.index(utf8.startIndex, offsetBy: self.remaining)
            while end > utf8.startIndex, end.samePosition(in: text.unicodeScalars) == nil {
                end = utf8.index(before: end)
            }
            self.remaining = 0
            return String(text[..<end])
        }

        /// Whether `text` fits whole; when it does, it is counted.
        public mutating func takeWhole(_ text: String) -> Bool {
            let count = text.utf8.count
            guard count <= self.remaining else {
                self.truncated = true
                return false
            }
            self.remaining -= count
            return true
        }
    }

    /// `gen_ai.system_instructions`: the system (and developer) parts; `nil` when there are none.
    public static func systemInstructions(_ request: ChatRequest, budget: inout Budget) -> String? {
        guard !request.system.isEmpty else { return nil }
        return JSONValue.array(request.system.compactMap { part(of: $0, budget: &budget) }).jsonText
    }

    /// `gen_ai.input.messages`: the conversation, in order. Tool results, which the canonical
    /// form carries in a user turn, are a `tool` message of `tool_call_response` parts.
    public static func inputMessages(_ request: ChatRequest, budget: inout Budget) -> String {
        var messages: [JSONValue] = []
        for message in request.messages {
            var results: [JSONValue] = []
            var parts: [JSONValue] = []
            for content in message.content {
                if case .toolResult(let result) = content {
                    results.append(toolResponse(result, budget: &budget))
                } else if let part = part(of: content, budget: &budget) {
                    parts.append(part)
                }
            }
            if !results.isEmpty { messages.append(.object(["role": .string("tool"), "parts": .array(results)])) }
            if !parts.isEmpty || results.isEmpty {
                messages.append(.object(["role": .string(message.role.rawValue), "parts": .array(parts)]))
            }
        }
        return JSONValue.array(messages).jsonText
    }

    /// `gen_ai.output.messages`: the one answer, as an assistant message with its finish reason.
    public static func outputMessages(_ content: [ChatContent], finishReason: String, budget: inout Budget) -> String {
        let parts = content.compactMap { part(of: $0, budget: &budget) }
        let message = JSONValue.object([
            "role": .string("assistant"), "parts": .array(parts), "finish_reason": .string(finishReason),
        ])
        return JSONValue.array([message]).jsonText
    }

    /// The conventions' finish reason for `reason`; `error` for an answer that did not end.
    public static func finishReason(_ reason: ChatStopReason?) -> String {
        switch reason {
        case .endTurn, .stopSequence, .pauseTurn: "stop"
        case .maxTokens: "length"
        case .toolUse: "tool_call"
        case .contentFilter, .refusal: "content_filter"
        case nil: "error"
        }
    }

    static func part(of content: ChatContent, budget: inout Budget) -> JSONValue? {
        switch content {
        case .text(let text):
            return .object(["type": .string("text"), "content": .string(budget.take(text.text))])
        case .image(.url(let url)):
            return .object(["type": .string("uri"), "modality": .string("image"), "uri": .string(budget.take(url))])
        case .image(.base64(let mediaType, let data)):
            return .object([
                "type": .string("blob"), "modality": .string("image"), "mime_type": .string(mediaType),
                "content": budget.takeWhole(data) ? .string(data) : nil,
            ])
        case .toolCall(let call):
            let arguments: JSONValue =
                budget.takeWhole(call.arguments)
                ? (try? JSONValue(parsing: call.arguments)) ?? .string(call.arguments)
                : .string(budget.take(call.arguments))
            return .object([
                "type": .string("tool_call"), "id": .string(call.id), "name": .string(call.name),
                "arguments": arguments,
            ])
        case .toolResult(let result):
            return toolResponse(result, budget: &budget)
        case .thinking(let thinking):
            guard !thinking.text.isEmpty else { return nil }
            return .object(["type": .string("reasoning"), "content": .string(budget.take(thinking.text))])
        case .refusal(let text):
            return .object(["type": .string("refusal"), "content": .string(budget.take(text))])
        }
    }

    /// A tool result: its text when it is text only, otherwise its parts.
    static func toolResponse(_ result: ChatToolResult, budget: inout Budget) -> JSONValue {
        let texts = result.content.compactMap { content -> String? in
            if case .text(let text) = content { text.text } else { nil }
        }
        let response: JSONValue =
            texts.count == result.content.count
            ? .string(budget.take(texts.joined()))
            : .array(result.content.compactMap { part(of: $0, budget: &budget) })
        return .object([
            "type": .string("tool_call_response"), "id": .string(result.toolCallID), "response": response,
            "is_error": result.isError ? .bool(true) : nil,
        ])
    }
}
