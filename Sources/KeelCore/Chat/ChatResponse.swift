/// A complete (non-streaming) chat answer in canonical form.
public struct ChatResponse: Sendable, Equatable {
    /// The upstream's id for the answer (`chatcmpl-…`, `msg_…`).
    public var id: String
    /// The model that answered, as the upstream names it.
    public var model: String
    /// Text, tool calls, thinking and refusal parts, in order.
    public var content: [ChatContent]
    public var stopReason: ChatStopReason
    /// The stop sequence that ended the answer, when one did.
    public var stopSequence: String?
    /// Exact usage, in Keel's normalised convention (see ``TokenUsage``).
    public var usage: TokenUsage

    public init(id: String, model: String, content: [ChatContent], stopReason: ChatStopReason, stopSequence: String? = nil, usage: TokenUsage) {
        self.id = id
        self.model = model
        self.content = content
        self.stopReason = stopReason
        self.stopSequence = stopSequence
        self.usage = usage
    }
}

/// Why generation stopped, mapped between the dialects' vocabularies.
public enum ChatStopReason: String, Sendable, Equatable {
    /// A natural end (OpenAI `stop`, Anthropic `end_turn`, Gemini `STOP`, Bedrock `end_turn`).
    case endTurn = "end_turn"
    /// The token limit (OpenAI `length`, Anthropic/Bedrock `max_tokens`, Gemini `MAX_TOKENS`).
    case maxTokens = "max_tokens"
    /// One of the client's stop sequences (OpenAI reports it as `stop`).
    case stopSequence = "stop_sequence"
    /// The answer ends in tool calls (OpenAI `tool_calls`, Anthropic/Bedrock `tool_use`).
    case toolUse = "tool_use"
    /// A content filter cut the answer (OpenAI `content_filter`, Gemini `SAFETY`…, Bedrock
    /// `content_filtered`/`guardrail_intervened`).
    case contentFilter = "content_filter"
    /// The model refused (Anthropic `refusal`).
    case refusal
    /// A long-running server-tool turn was paused (Anthropic `pause_turn`).
    case pauseTurn = "pause_turn"

    /// The OpenAI `finish_reason`.
    public var openAI: String {
        switch self {
        case .endTurn, .stopSequence, .pauseTurn: "stop"
        case .maxTokens: "length"
        case .toolUse: "tool_calls"
        case .contentFilter, .refusal: "content_filter"
        }
    }

    /// The Anthropic `stop_reason`.
    public var anthropic: String {
        switch self {
        case .contentFilter: "refusal"
        default: self.rawValue
        }
    }

    /// From an OpenAI `finish_reason`; `nil` for an unknown value.
    public init?(openAI value: String) {
        switch value {
        case "stop": self = .endTurn
        case "length": self = .maxTokens
        case "tool_calls", "function_call": self = .toolUse
        case "content_filter": self = .contentFilter
        default: return nil
        }
    }

    /// From an Anthropic `stop_reason`; `nil` for an unknown value. The context-window stop
    /// (`model_context_window_exceeded`) is a token limit too.
    public init?(anthropic value: String) {
        if value == "model_context_window_exceeded" {
            self = .maxTokens
            return
        }
        self.init(rawValue: value)
    }
}
