/// The planned answer to one chat completion request: what it says, why it ends, and its usage.
///
/// Planned once, before anything is sent, so that the streamed and non-streamed forms of the
/// same request carry the same text and the same usage.
struct SimulatedCompletion: Sendable {
    /// What the assistant answers.
    enum Output: Sendable, Equatable {
        /// Text, as the pieces it is streamed in: one token each.
        case text([String])
        /// Function calls, in order.
        case toolCalls([ToolCall])
    }

    /// One function call of a tool-calling answer.
    struct ToolCall: Sendable, Equatable {
        let id: String
        let name: String
        /// The arguments as JSON object text.
        let arguments: String
    }

    /// The token usage reported for the answer.
    struct Usage: Sendable, Equatable {
        let promptTokens: Int
        /// Answer tokens plus reasoning tokens.
        let completionTokens: Int
        let cachedTokens: Int
        let reasoningTokens: Int

        var totalTokens: Int { self.promptTokens + self.completionTokens }
    }

    let id: String
    let created: Int
    let model: String
    let output: Output
    let finishReason: String
    let usage: Usage

    /// Plans the answer to `request` under `directives` (already merged over the model's).
    ///
    /// - Throws: ``SimulatorError`` when `tool_choice` forces a function that `tools` lacks.
    init(request: ChatCompletionRequest, directives: SimulatorDirectives, created: Int) throws(SimulatorError) {
        var random = DeterministicRandom(seed: request.answerSeed)
        let answerTokens: Int
        if let calls = try Self.toolCalls(for: request) {
            self.output = .toolCalls(calls)
            self.finishReason = "tool_calls"
            answerTokens = calls.reduce(0) {
                $0 + SimulatedTokenizer.count($1.name) + SimulatedTokenizer.count($1.arguments)
            }
        } else {
            let (pieces, finishReason) = Self.textPieces(for: request, directives: directives, random: &random)
            self.output = .text(pieces)
            self.finishReason = finishReason
            answerTokens = pieces.count
        }
        let promptTokens = request.promptTokens
        let reasoningTokens = directives.reasoning ?? 0
        self.usage = Usage(
            promptTokens: promptTokens,
            completionTokens: answerTokens + reasoningTokens,
            cachedTokens: min(directives.cached ?? 0, promptTokens),
            reasoningTokens: reasoningTokens
        )
        self.id = "chatcmpl-" + StableHash.hex(request.bodyHash)
        self.created = created
        self.model = request.model
    }

    /// The text of a text answer (the pieces joined), `nil` for tool calls.
    var content: String? {
        guard case .text(let pieces) = self.output else { return nil }
        return pieces.joined()
    }
}
