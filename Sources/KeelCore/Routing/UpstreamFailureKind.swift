/// A failed upstream attempt that says something about the deployment's health.
///
/// Errors that are the request's fault (a 400, a body too large) or the client's (a disconnect)
/// are not failures of the deployment: ``AttemptOutcome/init(_:)`` maps them to
/// ``AttemptOutcome/inconclusive``.
public enum UpstreamFailureKind: Sendable, Equatable {
    /// The upstream answered 5xx (`nil` when the status is not known).
    case serverError(status: Int?)
    /// No answer, or no first byte, in time (including an upstream 408).
    case timeout
    /// The connection could not be made or broke before an answer.
    case connectionFailed
    /// The upstream answered something that could not be read.
    case malformedResponse
    /// A stream broke before the answer was complete.
    case streamInterrupted
    /// The upstream refuses every request of this deployment: a bad key (401, 403) or an unknown
    /// model (404). LiteLLM cools a deployment down on these too.
    case deploymentRejected(status: Int)
    /// The upstream is rate limiting (429). It never trips the breaker: the deployment rests for
    /// `retryAfter` (or the configured rate-limit cooldown). Anthropic's 529 "overloaded" is a
    /// ``serverError(status:)``: it says the deployment cannot serve, not that we send too much.
    case rateLimited(retryAfter: Duration?)

    /// Whether the failure counts against the deployment's health (everything but a rate limit).
    public var countsAsHealthFailure: Bool {
        if case .rateLimited = self { return false }
        return true
    }
}

/// How one upstream attempt ended, as the routing table learns it.
public enum AttemptOutcome: Sendable, Equatable {
    /// An answer. `timeToFirstToken` is the time to the first streamed content, when streamed;
    /// `latency` the time to the last byte. Both feed the deployment's latency averages.
    case success(timeToFirstToken: Duration?, latency: Duration)
    /// A failure of the deployment (or a rate limit).
    case failure(UpstreamFailureKind)
    /// The attempt says nothing about the deployment: cancelled, refused as the request's own
    /// fault, or not sent. A half-open breaker frees its probe slot.
    case inconclusive

    /// The outcome of an attempt that failed with `error`.
    public init(_ error: KeelError) {
        switch error.code {
        case .upstreamRateLimited:
            self = .failure(.rateLimited(retryAfter: error.retryAfterSeconds.map { Self.duration(seconds: $0) }))
        case .upstreamUnavailable:
            self = .failure(error.upstreamStatus.map { .serverError(status: $0) } ?? .connectionFailed)
        case .upstreamTimeout:
            self = .failure(.timeout)
        case .upstreamBadResponse:
            self = .failure(.malformedResponse)
        case .streamInterrupted:
            self = .failure(.streamInterrupted)
        case .upstreamRejected:
            switch error.upstreamStatus {
            case 401, 403, 404: self = .failure(.deploymentRejected(status: error.upstreamStatus ?? 0))
            case 408: self = .failure(.timeout)
            default: self = .inconclusive
            }
        case .invalidRequest, .unauthenticated, .permissionDenied, .modelNotFound, .notFound, .conflict,
            .payloadTooLarge,
            .clientDisconnected, .hedgeLost, .overloaded, .internalError, .budgetExceeded, .rateLimitExceeded,
            .policyViolation,
            .auditUnavailable, .contentPolicyViolation, .agentSuspended, .agentScopeViolation, .taskBudgetExceeded,
            .agentLoopDetected,
            .toolDefinitionChanged, .approvalDenied:
            self = .inconclusive
        }
    }

    private static func duration(seconds: Double) -> Duration {
        guard seconds.isFinite, seconds > 0 else { return .zero }
        return .milliseconds(Int64(min(seconds, 86_400) * 1_000))
    }
}
