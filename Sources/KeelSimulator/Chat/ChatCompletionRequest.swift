import KeelCore
/// The parts of a `POST /v1/chat/completions` body that shape the simulated answer.
///
/// Built by ``parse(_:)``; everything else in the body is accepted and ignored.
struct ChatCompletionRequest: Sendable {
    /// A `tool_choice` value.
    enum ToolChoice: Sendable, Equatable {
        case none, auto, required
        case function(String)
    }

    var model: String
    var messages: [JSONValue]
    var stream: Bool
    var includeUsage: Bool
    /// The `tools` array, and its raw JSON text (counted into the prompt tokens).
    var tools: [JSONValue]
    var toolsText: String?
    var toolChoice: ToolChoice
    var parallelToolCalls: Bool
    /// `response_format` of type `json_object` or `json_schema`.
    var wantsJSON: Bool
    var stop: [String]
    /// `max_completion_tokens`, else `max_tokens`.
    var maxTokens: Int?
    /// Hash of the whole body: the source of the completion id.
    var bodyHash: UInt64
    /// Hash of what the answer depends on (model, messages, tools, response format), so that the
    /// same conversation gets the same answer streamed or not, whatever `stop` or `max_tokens` say.
    var answerSeed: UInt64

    /// The role of the last message.
    var lastRole: String? {
        self.messages.last?["role"]?.string
    }

    /// The text of the last message whose role is `user`, where `[sim …]` directives are read.
    var lastUserText: String? {
        guard let message = self.messages.last(where: { $0["role"]?.string == "user" }) else { return nil }
        return Self.texts(of: message).joined(separator: " ")
    }

    /// The prompt tokens, by the rule documented on ``SimulatedTokenizer``.
    var promptTokens: Int {
        var tokens = 3
        for message in self.messages {
            tokens += 4
            for text in Self.texts(of: message) {
                tokens += SimulatedTokenizer.count(text)
            }
        }
        if let toolsText = self.toolsText {
            tokens += SimulatedTokenizer.count(toolsText)
        }
        return tokens
    }

    /// Every text of a message that counts as prompt: string content or text parts, the name,
    /// and each tool call's function name and arguments.
    static func texts(of message: JSONValue) -> [String] {
        var texts: [String] = []
        switch message["content"] {
        case .string(let content):
            texts.append(content)
        case .array(let parts):
            for part in parts {
                if let text = part["text"]?.string { texts.append(text) }
            }
        default:
            break
        }
        if let name = message["name"]?.string {
            texts.append(name)
        }
        for call in message["tool_calls"]?.array ?? [] {
            if let name = call["function"]?["name"]?.string { texts.append(name) }
            if let arguments = call["function"]?["arguments"]?.string { texts.append(arguments) }
        }
        return texts
    }
}
