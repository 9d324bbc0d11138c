/// One step of a streamed chat answer in canonical form.
///
/// A dialect's stream decoder turns upstream events into these; another dialect's stream encoder
/// turns them into client events. The order is: ``start(id:model:)`` first; then content deltas,
/// where a tool call's ``toolCallStart(index:id:name:)`` precedes its argument deltas; then
/// ``stop(_:stopSequence:)``; ``usage(_:)`` whenever the upstream reports it (the last report
/// holds the totals); and nothing after ``error(_:)``.
public enum ChatStreamEvent: Sendable, Equatable {
    /// The answer began.
    case start(id: String, model: String)
    /// Text generated, appended to the current text part.
    case textDelta(String)
    /// Reasoning text generated.
    case thinkingDelta(String)
    /// The signature that closes the current thinking part (Anthropic).
    case thinkingSignature(String)
    /// A whole part of encrypted reasoning (Anthropic `redacted_thinking`), which arrives in one
    /// piece and is not content the client can read.
    case redactedThinking(String)
    /// The model began the tool call numbered `index` (0, 1, … within the answer).
    case toolCallStart(index: Int, id: String, name: String)
    /// A piece of the JSON arguments of tool call `index`.
    case toolCallArgumentsDelta(index: Int, String)
    /// Refusal text generated (OpenAI `refusal`).
    case refusalDelta(String)
    /// Generation ended.
    case stop(ChatStopReason, stopSequence: String?)
    /// Usage so far; the last one is exact and complete.
    case usage(TokenUsage)
    /// The upstream reported an error inside the stream; the stream ends.
    case error(KeelError)

    /// Whether the event carries generated content (the first one marks the time to first token).
    public var isContent: Bool {
        switch self {
        case .textDelta(let text), .thinkingDelta(let text), .refusalDelta(let text): !text.isEmpty
        case .toolCallStart, .toolCallArgumentsDelta: true
        default: false
        }
    }
}
