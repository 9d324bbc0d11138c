/// Why a model stopped generating, as normalized by Keel from each
/// provider's own vocabulary.
///
/// Shifts in this mix are an early sign of model degradation: more `length`
/// means answers are being truncated, more `contentFilter` or `refusal` means
/// a provider-side policy or model change is refusing traffic that used to
/// pass.
public enum FinishReason: String, Sendable, Equatable, Hashable, CaseIterable {
    /// The model finished its answer naturally.
    case stop
    /// The answer hit the output-token limit and was cut off.
    case length
    /// The provider's content filter stopped or blanked the answer.
    case contentFilter
    /// The model stopped to call tools.
    case toolCalls
    /// The model declined to answer.
    case refusal
    /// Any other or unknown reason.
    case other

    /// Reasons whose rising share indicates degradation and is therefore
    /// watched by `ModelDegradationDetector`.
    public static let watched: [FinishReason] = [.length, .contentFilter, .refusal]

    /// The reason an upstream gave, in any dialect's words: OpenAI's `stop`, `length`,
    /// `content_filter`, `tool_calls`, `function_call`; Anthropic's `end_turn`, `stop_sequence`,
    /// `max_tokens`, `tool_use`, `refusal`, `pause_turn`; Gemini's `STOP`, `MAX_TOKENS`,
    /// `SAFETY`, `RECITATION`, `BLOCKLIST`, `PROHIBITED_CONTENT`, `SPII`; Bedrock's `end_turn`,
    /// `max_tokens`, `guardrail_intervened`, `content_filtered`.
    public init(upstream reason: String) {
        // The usual words first, without lowercasing (this runs for every streamed answer).
        switch reason {
        case "stop", "end_turn", "STOP":
            self = .stop
            return
        case "length", "max_tokens", "MAX_TOKENS":
            self = .length
            return
        case "tool_calls", "tool_use":
            self = .toolCalls
            return
        default: break
        }
        switch reason.lowercased() {
        case "stop", "end_turn", "stop_sequence", "finish_reason_unspecified": self = .stop
        case "length", "max_tokens", "model_context_window_exceeded": self = .length
        case "content_filter", "safety", "recitation", "blocklist", "prohibited_content", "spii",
            "guardrail_intervened",
            "content_filtered", "image_safety":
            self = .contentFilter
        case "tool_calls", "function_call", "tool_use": self = .toolCalls
        case "refusal": self = .refusal
        default: self = .other
        }
    }

    /// Dense index used for compact per-reason counters.
    var index: Int {
        switch self {
        case .stop: 0
        case .length: 1
        case .contentFilter: 2
        case .toolCalls: 3
        case .refusal: 4
        case .other: 5
        }
    }
}
