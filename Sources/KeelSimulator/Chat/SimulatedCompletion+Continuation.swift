extension SimulatedCompletion {
    /// The rest of this answer after `prefill`, as a continuation request gets it.
    ///
    /// When `prefill` is a prefix of the answer's text, the pieces it covers are left out (the
    /// uncovered end of a piece it covers in part, such as the space a trimmed prefill leaves,
    /// goes in front of the next piece), so the prefill and the continuation together are exactly
    /// the uncut answer, in as many tokens. Otherwise (another model's words, a tool-calling
    /// answer) the whole answer is the continuation. Usage counts `promptTokens` (the
    /// continuation's prompt, prefill included) and the pieces sent.
    func continuing(after prefill: String, promptTokens: Int) -> SimulatedCompletion {
        var output = self.output
        var answerTokens = self.usage.answerTokens
        if case .text(let pieces) = self.output, pieces.joined().hasPrefix(prefill) {
            var rest: [String] = []
            var offset = 0
            var carried = ""
            let covered = prefill.utf8.count
            for piece in pieces {
                let length = piece.utf8.count
                defer { offset += length }
                if offset + length <= covered { continue }
                if offset >= covered {
                    rest.append(carried + piece)
                    carried = ""
                } else {
                    carried = String(decoding: piece.utf8.dropFirst(covered - offset), as: UTF8.self)
                }
            }
            if !carried.isEmpty { rest.append(carried) }
            output = .text(rest)
            answerTokens = rest.count
        }
        let cached = min(self.usage.cachedTokens, promptTokens)
        let written = min(self.usage.cacheWriteTokens, promptTokens - cached)
        let usage = Usage(
            promptTokens: promptTokens,
            completionTokens: answerTokens + self.usage.reasoningTokens,
            cachedTokens: cached,
            cacheWriteTokens: written,
            cacheWrite1hTokens: min(self.usage.cacheWrite1hTokens, promptTokens - cached - written),
            reasoningTokens: self.usage.reasoningTokens
        )
        return SimulatedCompletion(
            id: self.id,
            created: self.created,
            model: self.model,
            output: output,
            finishReason: self.finishReason,
            stopSequence: self.stopSequence,
            usage: usage,
            seed: self.seed
        )
    }

    private init(
        id: String,
        created: Int,
        model: String,
        output: Output,
        finishReason: String,
        stopSequence: String?,
        usage: Usage,
        seed: UInt64
    ) {
        self.id = id
        self.created = created
        self.model = model
        self.output = output
        self.finishReason = finishReason
        self.stopSequence = stopSequence
        self.usage = usage
        self.seed = seed
    }
}
