/// What the gateway learned from watching one upstream stream.
public struct StreamAccounting: Sendable, Equatable {
    /// The upstream sent content (text, tool call or refusal), so the first token arrived.
    public var sawContent = false
    /// Events that carried answer content so far: about one answer token each, an estimate that
    /// lets budgets stop a stream before its usage is reported.
    public var outputEvents = 0
    /// The exact usage reported by the upstream, if it reported one.
    public var usage: TokenUsage?
    /// The last finish/stop reason seen, in the upstream's words.
    public var finishReason: String?
    /// The stream's terminator (`[DONE]` for OpenAI) arrived.
    public var sawTerminator = false
    /// The upstream sent an error event inside the stream.
    public var sawErrorEvent = false
    /// An event's data was not valid JSON.
    public var sawMalformedEvent = false
    /// The model the upstream says answered (its first event's `model`), when it says.
    public var responseModel: String?

    public init() {}

    /// Whether the stream ended as a complete answer.
    public var isComplete: Bool {
        self.sawTerminator && !self.sawErrorEvent && !self.sawMalformedEvent && self.finishReason != nil
    }
}
