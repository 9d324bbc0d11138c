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
        /// 32 hexadecimal digits, unique per call: the dialects prefix them (`call_`, `toolu_`, `tooluse_`).
        let digits: String
        let name: String
        /// The arguments as JSON object text.
        let arguments: String

        /// The OpenAI call id.
        var id: String { "call_" + self.digits.prefix(24) }
    }

    /// The token usage reported for the answer.
    struct Usage: Sendable, Equatable {
        let promptTokens: Int
        /// Answer tokens plus reasoning tokens.
        let completionTokens: Int
        /// Prompt tokens read from the cache (`cached=`).
        let cachedTokens: Int
        /// Prompt tokens written to the 5-minute cache (`cache_write=`).
        let cacheWriteTokens: Int
        /// Prompt tokens written to the 1-hour cache (`cache_write_1h=`).
        let cacheWrite1hTokens: Int
        let reasoningTokens: Int

        var totalTokens: Int { self.promptTokens + self.completionTokens }
        /// Answer tokens without the reasoning tokens.
        var answerTokens: Int { self.completionTokens - self.reasoningTokens }
        /// Prompt tokens neither read from nor written to a cache: Anthropic's and Bedrock's
        /// `input_tokens`, which exclude both.
        var uncachedPromptTokens: Int {
            self.promptTokens - self.cachedTokens - self.cacheWriteTokens - self.cacheWrite1hTokens
        }
    }

    let id: String
    let created: Int
    let model: String
    let output: Output
    /// OpenAI's finish reason: `stop`, `length` or `tool_calls`.
    let finishReason: String
    /// The stop sequence that cut the text, if one did.
    let stopSequence: String?
    let usage: Usage
    /// Seed of the answer, for the thinking text the dialects that show it derive from it.
    let seed: UInt64

    /// Plans the answer to `request` under `directives` (already merged over the model's).
    ///
    /// - Throws: ``SimulatorError`` when `tool_choice` forces a function that `tools` lacks.
    init(prompt request: SimulatedPrompt, directives: SimulatorDirectives, created: Int) throws(SimulatorError) {
        let seed = request.answerSeed
        self.seed = seed
        var random = DeterministicRandom(seed: seed)
        let answerTokens: Int
        if let calls = try Self.toolCalls(for: request, seed: seed) {
            self.output = .toolCalls(calls)
            self.finishReason = "tool_calls"
            self.stopSequence = nil
            answerTokens = calls.reduce(0) {
                $0 + SimulatedTokenizer.count($1.name) + SimulatedTokenizer.count($1.arguments)
            }
        } else {
            let (pieces, finishReason, stopSequence) = Self.textPieces(
                for: request,
                directives: directives,
                random: &random
            )
            self.output = .text(pieces)
            self.finishReason = finishReason
            self.stopSequence = stopSequence
            answerTokens = pieces.count
        }
        let promptTokens = request.promptTokens
        let reasoningTokens = directives.reasoning ?? 0
        // Reads, then 5-minute writes, then 1-hour writes, each capped by what is left.
        let cached = min(directives.cached ?? 0, promptTokens)
        let written = min(directives.cacheWrite ?? 0, promptTokens - cached)
        let written1h = min(directives.cacheWrite1h ?? 0, promptTokens - cached - written)
        self.usage = Usage(
            promptTokens: promptTokens,
            completionTokens: answerTokens + reasoningTokens,
            cachedTokens: cached,
            cacheWriteTokens: written,
            cacheWrite1hTokens: written1h,
            reasoningTokens: reasoningTokens
        )
        self.id = "chatcmpl-" + StableHash.hex(request.bodyHash)
        self.created = created
        self.model = directives.version ?? request.model
    }

    /// The words of the thinking text of `count` tokens, for dialects that show reasoning:
    /// one word (one token) per piece, drawn from the answer's seed, so the same prompt thinks
    /// the same thoughts.
    func thinkingPieces(count: Int) -> [String] {
        var random = DeterministicRandom(seed: ~self.seed)
        return (0..<count).map { _ in Vocabulary.words[random.next(below: Vocabulary.words.count)] + " " }
    }

    /// The text of a text answer (the pieces joined), `nil` for tool calls.
    var content: String? {
        guard case .text(let pieces) = self.output else { return nil }
        return pieces.joined()
    }
}
