import KeelCore

/// The parts of a `POST /v1/chat/completions` body that shape the simulated answer.
///
/// Built by ``parse(_:)``; everything else in the body is accepted and ignored.
struct ChatCompletionRequest: Sendable {
    /// The conversation in neutral form.
    var prompt: SimulatedPrompt
    var stream: Bool
    var includeUsage: Bool

    var model: String { self.prompt.model }

    /// The neutral form of one OpenAI message: string content or the `text` of each content part
    /// as texts; the name and each tool call's function name and arguments as extras. A
    /// `developer` message is a `system` one.
    static func message(_ message: JSONValue) -> SimulatedPrompt.Message {
        let role = message["role"]?.string ?? "user"
        var neutral = SimulatedPrompt.Message(role: role == "developer" ? "system" : role)
        switch message["content"] {
        case .string(let content):
            neutral.texts.append(content)
        case .array(let parts):
            for part in parts {
                if let text = part["text"]?.string { neutral.texts.append(text) }
            }
        default:
            break
        }
        if let name = message["name"]?.string {
            neutral.extras.append(name)
        }
        for call in message["tool_calls"]?.array ?? [] {
            if let name = call["function"]?["name"]?.string { neutral.extras.append(name) }
            if let arguments = call["function"]?["arguments"]?.string { neutral.extras.append(arguments) }
        }
        return neutral
    }
}
