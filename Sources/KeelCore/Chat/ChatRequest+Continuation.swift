extension ChatRequest {
    /// The user turn that asks an upstream without prefill support to go on with a cut answer
    /// (see ``continuation(of:asPrefill:)``). The simulator recognises it, so keep it one sentence.
    public static let continueInstruction =
        "Continue your previous answer exactly where it stopped, without repeating any of it and without commenting on the interruption."

    /// The request that asks an upstream to continue `partial`, the text of an answer to this
    /// request that was cut after it reached the client (`models[].stream_resume`).
    ///
    /// - `asPrefill` (Anthropic, whose API treats a final assistant turn as the start of the
    ///   answer): the conversation plus one assistant message holding `partial` with its trailing
    ///   whitespace removed, which the API refuses in a final assistant turn. The upstream answers
    ///   with the rest only.
    /// - otherwise (OpenAI, Azure, Gemini, Bedrock): the conversation plus an assistant message
    ///   holding `partial` as it is and a user message with ``continueInstruction``.
    ///
    /// The continuation always streams; `max_tokens`, when set, is lowered by `partialTokens`
    /// (never below 1). Everything else (system prompt, tools, sampling, stop sequences) is the
    /// original request's.
    public func continuation(of partial: String, partialTokens: Int, asPrefill: Bool) -> ChatRequest {
        var request = self
        request.stream = true
        if let maxTokens = request.maxTokens {
            request.maxTokens = max(1, maxTokens - partialTokens)
        }
        if asPrefill {
            request.messages.append(
                ChatMessage(role: .assistant, content: [.text(ChatText(Self.trimmingTrailingWhitespace(partial)))])
            )
        } else {
            request.messages.append(ChatMessage(role: .assistant, content: [.text(ChatText(partial))]))
            request.messages.append(ChatMessage(role: .user, content: [.text(ChatText(Self.continueInstruction))]))
        }
        return request
    }

    static func trimmingTrailingWhitespace(_ text: String) -> String {
        var end = text.endIndex
        while end > text.startIndex, text[text.index(before: end)].isWhitespace {
            end = text.index(before: end)
        }
        return String(text[..<end])
    }
}
