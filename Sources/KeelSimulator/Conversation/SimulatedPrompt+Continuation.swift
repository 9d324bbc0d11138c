import KeelCore

extension SimulatedPrompt {
    /// The conversation a continuation request continues, and the answer text it already has.
    ///
    /// A request is a continuation when its conversation ends with an assistant turn of text
    /// only (a prefill, as Anthropic's API reads it), or with such a turn followed by a user turn
    /// that is exactly ``KeelCore/ChatRequest/continueInstruction`` (what Keel sends upstreams
    /// without prefill). `nil` for any other request, and when no user turn precedes the
    /// assistant turn.
    var continuation: (prompt: SimulatedPrompt, prefill: String)? {
        var messages = self.messages
        if messages.count >= 2, messages[messages.count - 1].role == "user",
            messages[messages.count - 1].extras.isEmpty,
            messages[messages.count - 1].texts.joined() == ChatRequest.continueInstruction,
            messages[messages.count - 2].role == "assistant"
        {
            messages.removeLast()
        }
        guard let last = messages.last, last.role == "assistant", !last.texts.isEmpty, last.extras.isEmpty else {
            return nil
        }
        messages.removeLast()
        guard messages.contains(where: { $0.role == "user" }) else { return nil }
        var prompt = self
        prompt.messages = messages
        return (prompt, last.texts.joined())
    }
}
