import KeelCore

/// A chat request read from any dialect, in the one neutral form the simulator plans answers
/// from: the same conversation gets the same text and the same usage whether it came as OpenAI
/// chat completions, Anthropic messages, Gemini contents or Bedrock Converse messages.
///
/// Each dialect's parser builds one; everything that shapes the answer or its usage is here, and
/// nothing else is.
struct SimulatedPrompt: Sendable {
    /// A `tool_choice` (OpenAI), `tool_choice` (Anthropic), `functionCallingConfig` (Gemini) or
    /// `toolChoice` (Bedrock), in neutral terms.
    enum ToolChoice: Sendable, Equatable {
        case none, auto, required
        case function(String)
    }

    /// One message. Tool results are messages of role `tool`, one per result, whatever the
    /// dialect nests them in; `system` instructions are a first message of role `system`.
    struct Message: Sendable, Equatable {
        /// `system`, `user`, `assistant` or `tool`.
        var role: String
        /// The message's text parts, in order: where `[sim …]` directives are read.
        var texts: [String] = []
        /// Everything else that counts as prompt: a name, each tool call's name and arguments,
        /// a tool result's content.
        var extras: [String] = []
    }

    /// A function the model may call.
    struct Tool: Sendable, Equatable {
        var name: String
        var description: String?
        /// The JSON schema of the arguments.
        var parameters: JSONValue?
    }

    var model: String
    var messages: [Message]
    var tools: [Tool] = []
    var toolChoice: ToolChoice = .auto
    var parallelToolCalls: Bool = true
    /// JSON mode (`response_format`, Gemini's `responseMimeType: application/json`).
    var wantsJSON: Bool = false
    var stop: [String] = []
    /// The cap on answer tokens.
    var maxTokens: Int?
    /// Hash of the whole body: the source of ids.
    var bodyHash: UInt64

    /// The role of the last message.
    var lastRole: String? {
        self.messages.last?.role
    }

    /// The text of the last `user` message that has text, where `[sim …]` directives are read.
    var lastUserText: String? {
        self.messages.last { $0.role == "user" && !$0.texts.isEmpty }.map { $0.texts.joined(separator: " ") }
    }

    /// The prompt tokens, by the rule documented on ``SimulatedTokenizer``.
    var promptTokens: Int {
        var tokens = 3
        for message in self.messages {
            tokens += 4
            for text in message.texts { tokens += SimulatedTokenizer.count(text) }
            for text in message.extras { tokens += SimulatedTokenizer.count(text) }
        }
        for tool in self.tools {
            tokens += SimulatedTokenizer.count(tool.name)
            if let description = tool.description { tokens += SimulatedTokenizer.count(description) }
            if let parameters = tool.parameters { tokens += SimulatedTokenizer.count(parameters.jsonText) }
        }
        return tokens
    }

    /// Hash of what the answer depends on (model, messages, tools, JSON mode), in neutral form, so
    /// that the same conversation gets the same answer in every dialect, streamed or not, whatever
    /// `stop` or the token cap say.
    var answerSeed: UInt64 {
        var seed = StableHash()
        seed.combine(self.model)
        for message in self.messages {
            seed.combine(message.role)
            seed.combine(message.texts.count)
            for text in message.texts { seed.combine(text) }
            seed.combine(message.extras.count)
            for text in message.extras { seed.combine(text) }
        }
        for tool in self.tools {
            seed.combine(tool.name)
            seed.combine(tool.parameters?.jsonText ?? "")
        }
        seed.combine(self.wantsJSON ? "json" : "text")
        return seed.value
    }
}
