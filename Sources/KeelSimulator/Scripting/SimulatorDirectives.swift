/// How the simulator answers one request: errors, timing, lengths and faults. Every knob is
/// optional; `nil` means "not set here".
///
/// A request's directives come from three sources, merged knob by knob with this precedence:
/// 1. a queued ``SimulatorScript`` entry,
/// 2. an in-content directive `[sim key=value …]` in the text of the last user message,
/// 3. the model's configuration (``SimulatedModel``).
///
/// The text form, accepted by ``init(parsing:)``, by `[sim …]` and by `POST /_simulator/script`,
/// is a whitespace-separated list of `key=value` pairs:
///
/// | key | value | effect |
/// |---|---|---|
/// | `status` | 400…599 | answer with an error of that status, in the dialect's shape (after `latency_ms`) |
/// | `retry_after` | seconds | with `status`, adds a `retry-after` header |
/// | `error_type` | name | with `status` or `fault=error`: the dialect's error type instead of the one the status maps to (OpenAI `type`, Anthropic `error.type`, Gemini `status`, Bedrock `x-amzn-errortype`) |
/// | `latency_ms` | ms | delay before the response head |
/// | `ttft_ms` | ms | streaming: delay between the head and the first chunk |
/// | `tps` | tokens/s | streaming: pace of the chunks after the first; `0` = no pacing |
/// | `tokens` | count | answer length in tokens (before `max_tokens` and `stop`) |
/// | `cached` | count | report that many prompt tokens read from the cache (capped at the prompt tokens) |
/// | `cache_write` | count | report that many prompt tokens written to the 5-minute cache (Anthropic, Bedrock; capped at what `cached` leaves) |
/// | `cache_write_1h` | count | report that many prompt tokens written to the 1-hour cache (Anthropic; capped at what is left) |
/// | `reasoning` | count | report that many reasoning tokens (added to `completion_tokens`) |
/// | `fault` | `truncate`, `stall`, `malformed`, `drop`, `error` | see ``Fault`` |
/// | `after_tokens` | count | where `truncate`, `malformed`, `error` and a `mid_stream` stall strike |
/// | `stall_ms` | ms | length of a `stall` |
/// | `at` | `headers`, `first_token`, `mid_stream` | where a `stall` strikes (default `headers`) |
/// | `json` | `compact`, `spaced` | how the answer's JSON is written: `spaced` puts a space after every `:` and `,` outside strings, as Python's `json.dumps` and several self-hosted servers do (default `compact`) |
///
/// ```swift
/// simulator.script.enqueue(try SimulatorDirectives(parsing: "status=429 retry_after=2"), count: 2)
/// ```
public struct SimulatorDirectives: Sendable, Equatable {
    /// A failure of the transport or of the body, rather than an HTTP error status.
    public enum Fault: String, Sendable, Equatable {
        /// Streaming: send `after_tokens` content chunks (default: half of them), then close the
        /// connection with no `finish_reason`, no usage and no `[DONE]`. Non-streaming: send the
        /// status 200 head with the full `content-length`, half of the JSON body, then close.
        case truncate
        /// Wait `stall_ms` at the point named by `at`, then continue normally. A non-streaming
        /// answer stalls before its head whatever `at` says.
        case stall
        /// Streaming: after `after_tokens` content chunks (default: half of them) send one chunk
        /// whose data is not valid JSON, then continue to the normal end. Non-streaming: status
        /// 200 with a body that is not valid JSON.
        case malformed
        /// Close the connection without sending any response.
        case drop
        /// Streaming: after `after_tokens` content chunks (default: half of them) send the
        /// dialect's in-stream error (of `status`, default: the dialect's overload error) and end
        /// the stream there. Non-streaming: the error response of that status.
        case error
    }

    /// Where a ``Fault/stall`` waits.
    public enum StallPoint: String, Sendable, Equatable {
        /// Before the response head (after `latency_ms`).
        case headers
        /// After the head, before the first chunk (after `ttft_ms`).
        case firstToken = "first_token"
        /// After `after_tokens` content chunks (default: half of them).
        case midStream = "mid_stream"
    }

    /// How the JSON of an answer is written.
    public enum JSONStyle: String, Sendable, Equatable {
        /// No whitespace between tokens.
        case compact
        /// A space after every `:` and `,` outside strings (Python's `json.dumps` default).
        case spaced
    }

    /// Sensitive data an answer carries (a leak, for guard and incident drills): a documented
    /// example value of its kind, never a real one.
    public enum Leak: String, Sendable, Equatable {
        /// `ann@example.com`.
        case email
        /// `AKIAIOSFODNN7EXAMPLE`, AWS's documented example access key id.
        case awsKey = "aws_key"
        /// The request's system prompt, in pieces of four characters (as a model's tokens
        /// would split it): a system-prompt leak.
        case systemPrompt = "system_prompt"

        /// The words put into the answer (the system prompt's are the request's).
        public var text: String {
            switch self {
            case .email: "ann@example.com "
            case .awsKey: "AKIAIOSFODNN7EXAMPLE "
            case .systemPrompt: ""
            }
        }
    }

    /// Answer with an error of this status, in the dialect's shape, instead of a completion.
    public var status: Int?
    /// With ``status``: the value of the `retry-after` header, in seconds.
    public var retryAfter: Int?
    /// With ``status`` or ``Fault/error``: the dialect's error type to report instead of the one
    /// the status maps to (such as `ModelNotReadyException` or `overloaded_error`).
    public var errorType: String?
    /// Delay before the response head, in milliseconds.
    public var latencyMs: Int?
    /// Streaming: delay between the head and the first chunk, in milliseconds.
    public var ttftMs: Int?
    /// Streaming: chunks per second after the first one; `0` means no pacing.
    public var tokensPerSecond: Int?
    /// Answer length in tokens, before `max_tokens` and `stop` apply.
    public var tokens: Int?
    /// Prompt tokens read from the cache to report, capped at the prompt tokens.
    public var cached: Int?
    /// Prompt tokens written to the 5-minute cache to report, capped at what ``cached`` leaves.
    public var cacheWrite: Int?
    /// Prompt tokens written to the 1-hour cache to report, capped at what is left.
    public var cacheWrite1h: Int?
    /// Reasoning tokens to report; they are added to the completion tokens.
    public var reasoning: Int?
    /// A transport or body fault to inject.
    public var fault: Fault?
    /// Where ``Fault/truncate``, ``Fault/malformed`` and a mid-stream stall strike, in content chunks.
    public var afterTokens: Int?
    /// Length of a ``Fault/stall``, in milliseconds.
    public var stallMs: Int?
    /// Where a ``Fault/stall`` waits; ``StallPoint/headers`` when not set.
    public var stallAt: StallPoint?
    /// How the answer's JSON is written; ``JSONStyle/compact`` when not set.
    public var jsonStyle: JSONStyle?
    /// The answer carries this sensitive value in its middle.
    public var leak: Leak?
    /// The model the answer reports (`model`, Gemini's `modelVersion`) instead of the one asked
    /// for: a provider's silent upgrade.
    public var version: String?

    /// Creates directives; every knob defaults to "not set".
    public init(
        status: Int? = nil,
        retryAfter: Int? = nil,
        errorType: String? = nil,
        latencyMs: Int? = nil,
        ttftMs: Int? = nil,
        tokensPerSecond: Int? = nil,
        tokens: Int? = nil,
        cached: Int? = nil,
        cacheWrite: Int? = nil,
        cacheWrite1h: Int? = nil,
        reasoning: Int? = nil,
        fault: Fault? = nil,
        afterTokens: Int? = nil,
        stallMs: Int? = nil,
        stallAt: StallPoint? = nil,
        jsonStyle: JSONStyle? = nil,
        leak: Leak? = nil,
        version: String? = nil
    ) {
        self.leak = leak
        self.version = version
        self.status = status
        self.retryAfter = retryAfter
        self.errorType = errorType
        self.latencyMs = latencyMs
        self.ttftMs = ttftMs
        self.tokensPerSecond = tokensPerSecond
        self.tokens = tokens
        self.cached = cached
        self.cacheWrite = cacheWrite
        self.cacheWrite1h = cacheWrite1h
        self.reasoning = reasoning
        self.fault = fault
        self.afterTokens = afterTokens
        self.stallMs = stallMs
        self.stallAt = stallAt
        self.jsonStyle = jsonStyle
    }

    /// These directives, with every knob they leave unset taken from `base`.
    public func merged(over base: SimulatorDirectives) -> SimulatorDirectives {
        SimulatorDirectives(
            status: self.status ?? base.status,
            retryAfter: self.retryAfter ?? base.retryAfter,
            errorType: self.errorType ?? base.errorType,
            latencyMs: self.latencyMs ?? base.latencyMs,
            ttftMs: self.ttftMs ?? base.ttftMs,
            tokensPerSecond: self.tokensPerSecond ?? base.tokensPerSecond,
            tokens: self.tokens ?? base.tokens,
            cached: self.cached ?? base.cached,
            cacheWrite: self.cacheWrite ?? base.cacheWrite,
            cacheWrite1h: self.cacheWrite1h ?? base.cacheWrite1h,
            reasoning: self.reasoning ?? base.reasoning,
            fault: self.fault ?? base.fault,
            afterTokens: self.afterTokens ?? base.afterTokens,
            stallMs: self.stallMs ?? base.stallMs,
            stallAt: self.stallAt ?? base.stallAt,
            jsonStyle: self.jsonStyle ?? base.jsonStyle,
            leak: self.leak ?? base.leak,
            version: self.version ?? base.version
        )
    }
}
