import KeelCore
import NIOCore

/// The parts of a `POST /v1/messages` (or `/v1/messages/count_tokens`) body that shape the
/// simulated answer.
struct AnthropicMessagesRequest: Sendable {
    var prompt: SimulatedPrompt
    var stream: Bool
    /// `thinking: {"type":"enabled","budget_tokens":N}`: the answer starts with a thinking block.
    var thinkingEnabled: Bool

    /// Validates `body` and reads it into neutral form.
    ///
    /// - Parameter countingOnly: `count_tokens` bodies, which have no `max_tokens`.
    /// - Throws: ``SimulatorError`` (400) for malformed JSON, a missing `model`, `max_tokens` or
    ///   `messages`, a message whose role is not `user` or `assistant`, content that is neither a
    ///   string nor an array of blocks, `max_tokens` below 1, or a thinking budget below 1024 or
    ///   not below `max_tokens`.
    static func parse(_ body: ByteBuffer, countingOnly: Bool = false) throws(SimulatorError) -> AnthropicMessagesRequest {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: body)
        } catch {
            throw SimulatorError.invalidRequest(
                "The request body is not valid JSON: \(error.reason.rawValue) at byte \(error.offset).")
        }
        guard json.isObject else { throw SimulatorError.invalidRequest("The request body must be a JSON object.") }
        guard let model = json["model"]?.string else { throw SimulatorError.invalidRequest("model: Field required") }
        let maxTokens = json["max_tokens"]?.int
        if !countingOnly {
            guard let maxTokens else { throw SimulatorError.invalidRequest("max_tokens: Field required") }
            guard maxTokens >= 1 else {
                throw SimulatorError.invalidRequest("max_tokens: Input should be greater than or equal to 1")
            }
        }
        guard let messages = json["messages"]?.array else {
            throw SimulatorError.invalidRequest("messages: Field required")
        }

        var neutral: [SimulatedPrompt.Message] = []
        if let system = json["system"] {
            neutral.append(SimulatedPrompt.Message(role: "system", texts: try Self.texts(of: system, field: "system")))
        }
        for (offset, message) in messages.enumerated() {
            let role = message["role"]?.string
            guard role == "user" || role == "assistant", let role, let content = message["content"] else {
                throw SimulatorError.invalidRequest(
                    "messages.\(offset): each message needs a 'role' of 'user' or 'assistant' and a 'content'.")
            }
            neutral += try Self.messages(role: role, content: content, offset: offset)
        }
        // Anthropic's own check on a prefill (a final assistant turn).
        if messages.last?["role"]?.string == "assistant", let last = neutral.last, last.role == "assistant",
            last.texts.last?.last?.isWhitespace == true
        {
            throw SimulatorError.invalidRequest("messages: final assistant content cannot end with trailing whitespace")
        }

        var thinkingEnabled = false
        if let thinking = json["thinking"], thinking["type"]?.string == "enabled" {
            guard let budget = thinking["budget_tokens"]?.int, budget >= 1024 else {
                throw SimulatorError.invalidRequest(
                    "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
            }
            if let maxTokens, !countingOnly, budget >= maxTokens {
                throw SimulatorError.invalidRequest("`max_tokens` must be greater than `thinking.budget_tokens`.")
            }
            thinkingEnabled = true
        }

        let tools = (json["tools"]?.array ?? []).compactMap { tool -> SimulatedPrompt.Tool? in
            guard let name = tool["name"]?.string else { return nil }
            return SimulatedPrompt.Tool(
                name: name, description: tool["description"]?.string, parameters: tool["input_schema"])
        }
        let choice = json["tool_choice"]
        let toolChoice: SimulatedPrompt.ToolChoice =
            switch choice?["type"]?.string {
            case "none": .none
            case "any": .required
            case "tool": choice?["name"]?.string.map { .function($0) } ?? .required
            default: .auto
            }
        let prompt = SimulatedPrompt(
            model: model,
            messages: neutral,
            tools: tools,
            toolChoice: toolChoice,
            parallelToolCalls: choice?["disable_parallel_tool_use"]?.bool != true,
            stop: (json["stop_sequences"]?.array ?? []).compactMap(\.string).filter { !$0.isEmpty },
            maxTokens: maxTokens,
            bodyHash: body.withUnsafeReadableBytes { StableHash.of($0) }
        )
        return AnthropicMessagesRequest(
            prompt: prompt, stream: json["stream"]?.bool ?? false, thinkingEnabled: thinkingEnabled)
    }

    /// The texts of a string or an array of text blocks (`system`, `tool_result.content`).
    private static func texts(of value: JSONValue, field: String) throws(SimulatorError) -> [String] {
        switch value {
        case .string(let text):
            return [text]
        case .array(let blocks):
            return blocks.compactMap { $0["text"]?.string }
        default:
            throw SimulatorError.invalidRequest("\(field): Input should be a valid string or a list of blocks")
        }
    }

    /// One Anthropic message in neutral form: each `tool_result` block becomes a `tool` message
    /// (as OpenAI has one message per result), then the text blocks and `tool_use` calls form the
    /// message itself, which is left out when it only carried tool results.
    private static func messages(
        role: String, content: JSONValue, offset: Int
    ) throws(SimulatorError) -> [SimulatedPrompt.Message] {
        var message = SimulatedPrompt.Message(role: role)
        var results: [SimulatedPrompt.Message] = []
        switch content {
        case .string(let text):
            message.texts.append(text)
        case .array(let blocks):
            for block in blocks {
                switch block["type"]?.string {
                case "text":
                    if let text = block["text"]?.string { message.texts.append(text) }
                case "tool_use":
                    message.extras.append(block["name"]?.string ?? "")
                    message.extras.append((block["input"] ?? .object([])).jsonText)
                case "tool_result":
                    let texts = try block["content"].map { value throws(SimulatorError) in
                        try Self.texts(of: value, field: "messages.\(offset).content.tool_result.content")
                    }
                    results.append(SimulatedPrompt.Message(role: "tool", texts: texts ?? []))
                default:
                    // Images, documents and earlier thinking cost no simulated tokens.
                    break
                }
            }
        default:
            throw SimulatorError.invalidRequest(
                "messages.\(offset).content: Input should be a valid string or a list of content blocks")
        }
        if results.isEmpty || !message.texts.isEmpty || !message.extras.isEmpty {
            results.append(message)
        }
        return results
    }
}
