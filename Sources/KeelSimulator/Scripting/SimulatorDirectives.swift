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
/// | `status` | 400…599 | answer with an OpenAI-shaped error of that status (after `latency_ms`) |
/// | `retry_after` | seconds | with `status`, adds a `retry-after` header |
/// | `latency_ms` | ms | delay before the response head |
/// | `ttft_ms` | ms | streaming: delay between the head and the first chunk |
/// | `tps` | tokens/s | streaming: pace of the chunks after the first; `0` = no pacing |
/// | `tokens` | count | answer length in tokens (before `max_tokens` and `stop`) |
/// | `cached` | count | report that many cached prompt tokens (capped at `prompt_tokens`) |
/// | `reasoning` | count | report that many reasoning tokens (added to `completion_tokens`) |
/// | `fault` | `truncate`, `stall`, `malformed`, `drop` | see ``Fault`` |
/// | `after_tokens` | count | where `truncate`, `malformed` and a `mid_stream` stall strike |
/// | `stall_ms` | ms | length of a `stall` |
/// | `at` | `headers`, `first_token`, `mid_stream` | where a `stall` strikes (default `headers`) |
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

    /// Answer with an OpenAI-shaped error of this status instead of a completion.
    public var status: Int?
    /// With ``status``: the value of the `retry-after` header, in seconds.
    public var retryAfter: Int?
    /// Delay before the response head, in milliseconds.
    public var latencyMs: Int?
    /// Streaming: delay between the head and the first chunk, in milliseconds.
    public var ttftMs: Int?
    /// Streaming: chunks per second after the first one; `0` means no pacing.
    public var tokensPerSecond: Int?
    /// Answer length in tokens, before `max_tokens` and `stop` apply.
    public var tokens: Int?
    /// Cached prompt tokens to report, capped at the prompt tokens.
    public var cached: Int?
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

    /// Creates directives; every knob defaults to "not set".
    public init(
        status: Int? = nil,
        retryAfter: Int? = nil,
        latencyMs: Int? = nil,
        ttftMs: Int? = nil,
        tokensPerSecond: Int? = nil,
        tokens: Int? = nil,
        cached: Int? = nil,
        reasoning: Int? = nil,
        fault: Fault? = nil,
        afterTokens: Int? = nil,
        stallMs: Int? = nil,
        stallAt: StallPoint? = nil
    ) {
        self.status = status
        self.retryAfter = retryAfter
        self.latencyMs = latencyMs
        self.ttftMs = ttftMs
        self.tokensPerSecond = tokensPerSecond
        self.tokens = tokens
        self.cached = cached
        self.reasoning = reasoning
        self.fault = fault
        self.afterTokens = afterTokens
        self.stallMs = stallMs
        self.stallAt = stallAt
    }

    /// These directives, with every knob they leave unset taken from `base`.
    public func merged(over base: SimulatorDirectives) -> SimulatorDirectives {
        SimulatorDirectives(
            status: self.status ?? base.status,
            retryAfter: self.retryAfter ?? base.retryAfter,
            latencyMs: self.latencyMs ?? base.latencyMs,
            ttftMs: self.ttftMs ?? base.ttftMs,
            tokensPerSecond: self.tokensPerSecond ?? base.tokensPerSecond,
            tokens: self.tokens ?? base.tokens,
            cached: self.cached ?? base.cached,
            reasoning: self.reasoning ?? base.reasoning,
            fault: self.fault ?? base.fault,
            afterTokens: self.afterTokens ?? base.afterTokens,
            stallMs: self.stallMs ?? base.stallMs,
            stallAt: self.stallAt ?? base.stallAt
        )
    }
}
