/// An error Keel reports to a client, records on a request, and counts in metrics.
///
/// A struct over a private code, so a new kind never breaks callers. ``message`` is safe to show a
/// client: it never holds prompt content, an upstream body verbatim, or a credential. The server
/// renders it in the dialect of the route (OpenAI or Anthropic JSON) with ``httpStatus``.
public struct KeelError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable, CaseIterable {
        case invalidRequest = "invalid_request"
        case unauthenticated = "invalid_api_key"
        case permissionDenied = "permission_denied"
        case modelNotFound = "model_not_found"
        case notFound = "not_found"
        case conflict = "conflict"
        case payloadTooLarge = "payload_too_large"
        case upstreamRejected = "upstream_rejected"
        case upstreamRateLimited = "upstream_rate_limited"
        case upstreamUnavailable = "upstream_unavailable"
        case upstreamTimeout = "upstream_timeout"
        case upstreamBadResponse = "upstream_bad_response"
        case streamInterrupted = "stream_interrupted"
        case clientDisconnected = "client_disconnected"
        case hedgeLost = "hedge_lost"
        case overloaded = "overloaded"
        case budgetExceeded = "budget_exceeded"
        case rateLimitExceeded = "rate_limit_exceeded"
        /// A compliance policy forbids the request (its model, or every provider that could serve it).
        case policyViolation = "policy_violation"
        /// Strict audit mode could not log the request before answering it.
        case auditUnavailable = "audit_unavailable"
        /// A content rule of a policy refuses what the request (or its answer) holds: personal
        /// data, a credential, a prompt injection.
        case contentPolicyViolation = "content_policy_violation"
        /// The request's agent is suspended (the kill switch): refused, or cancelled in flight.
        case agentSuspended = "agent_suspended"
        /// The request goes beyond its agent's scope: another agent's id, a model or a tool the
        /// agent may not use, an agent that is not registered where registration is required.
        case agentScopeViolation = "agent_scope_violation"
        /// The request's task has used its budget (steps, tokens, cost, time) or waits for a
        /// human to extend it.
        case taskBudgetExceeded = "task_budget_exceeded"
        /// The request's task goes round in circles (a loop detector), and its agent's policy
        /// pauses or stops it.
        case agentLoopDetected = "agent_loop_detected"
        /// An MCP tool's definition changed since the agent's pin (a rug pull?): its calls are
        /// refused until a reviewer approves the new definition.
        case toolDefinitionChanged = "tool_definition_changed"
        /// A call held for a human's approval was denied, or not decided in time.
        case approvalDenied = "approval_denied"
        case internalError = "internal_error"
    }

    package let code: Code
    /// Text that is safe to show a client: no prompt content, upstream body or credential.
    public let message: String
    /// The status the upstream answered with, when the error comes from an upstream HTTP response.
    public let upstreamStatus: Int?
    /// Seconds the upstream asked us to wait (`retry-after`), when it said so.
    public let retryAfterSeconds: Double?
    /// The request field the error is about (`param` in OpenAI error bodies).
    public let param: String?

    package init(
        _ code: Code,
        message: String,
        upstreamStatus: Int? = nil,
        retryAfterSeconds: Double? = nil,
        param: String? = nil
    ) {
        self.code = code
        self.message = message
        self.upstreamStatus = upstreamStatus
        self.retryAfterSeconds = retryAfterSeconds
        self.param = param
    }

    public static func invalidRequest(_ message: String, param: String? = nil) -> Self {
        Self(.invalidRequest, message: message, param: param)
    }

    public static func unauthenticated(_ message: String = "Missing or invalid API key.") -> Self {
        Self(.unauthenticated, message: message)
    }

    public static func permissionDenied(_ message: String) -> Self {
        Self(.permissionDenied, message: message)
    }

    public static func modelNotFound(_ model: String) -> Self {
        Self(
            .modelNotFound,
            message: "The model '\(model)' does not exist or is not enabled for this key.",
            param: "model"
        )
    }

    public static func notFound(_ message: String) -> Self {
        Self(.notFound, message: message)
    }

    /// The request conflicts with what already happened (an agent task that has already ended): 409.
    public static func conflict(_ message: String, param: String? = nil) -> Self {
        Self(.conflict, message: message, param: param)
    }

    public static func payloadTooLarge(limit: Int) -> Self {
        Self(.payloadTooLarge, message: "The request body is larger than the limit of \(limit) bytes.")
    }

    public static func upstreamRejected(status: Int, message: String) -> Self {
        Self(.upstreamRejected, message: message, upstreamStatus: status)
    }

    public static func upstreamRateLimited(status: Int = 429, retryAfterSeconds: Double?) -> Self {
        Self(
            .upstreamRateLimited,
            message: "The upstream provider is rate limiting requests; try again later.",
            upstreamStatus: status,
            retryAfterSeconds: retryAfterSeconds
        )
    }

    public static func upstreamUnavailable(
        status: Int? = nil,
        _ message: String = "The upstream provider is unavailable."
    ) -> Self {
        Self(.upstreamUnavailable, message: message, upstreamStatus: status)
    }

    public static func upstreamTimeout(_ what: String) -> Self {
        Self(.upstreamTimeout, message: "The upstream provider timed out (\(what)).")
    }

    public static func upstreamBadResponse(
        _ message: String = "The upstream provider returned a malformed response."
    ) -> Self {
        Self(.upstreamBadResponse, message: message)
    }

    public static func streamInterrupted(
        _ message: String = "The upstream stream ended before the answer was complete."
    ) -> Self {
        Self(.streamInterrupted, message: message)
    }

    public static let clientDisconnected = Self(.clientDisconnected, message: "The client closed the connection.")

    /// A hedged attempt cancelled because the other one answered first (attempt logs only).
    public static let hedgeLost = Self(.hedgeLost, message: "Another deployment answered first.")

    /// A budget's hard limit refuses the request (or ends its stream); `message` names the budget.
    public static func budgetExceeded(_ message: String) -> Self {
        Self(.budgetExceeded, message: message)
    }

    /// A Keel rate limit refuses the request; `message` names the limit.
    public static func rateLimitExceeded(_ message: String, retryAfterSeconds: Double?) -> Self {
        Self(.rateLimitExceeded, message: message, retryAfterSeconds: retryAfterSeconds)
    }

    public static func overloaded(_ message: String) -> Self {
        Self(.overloaded, message: message)
    }

    public static func policyViolation(_ message: String) -> Self {
        Self(.policyViolation, message: message)
    }

    /// The organisation's strict audit mode could not write the request's `request_started`
    /// entry: the request is refused rather than answered unaudited.
    public static func auditUnavailable(_ message: String) -> Self {
        Self(.auditUnavailable, message: message)
    }

    /// A content rule refuses the request or its answer; `message` names the policy and the
    /// finding types, never the matched text.
    public static func contentPolicyViolation(_ message: String, param: String? = nil) -> Self {
        Self(.contentPolicyViolation, message: message, param: param)
    }

    /// The request's agent is suspended; `message` names the agent (and the suspension's scope).
    public static func agentSuspended(_ message: String) -> Self {
        Self(.agentSuspended, message: message)
    }

    /// The request goes beyond its agent's scope; `message` says how.
    public static func agentScopeViolation(_ message: String, param: String? = nil) -> Self {
        Self(.agentScopeViolation, message: message, param: param)
    }

    /// The request's task may make no more calls; `message` names the task and the limit.
    public static func taskBudgetExceeded(_ message: String) -> Self {
        Self(.taskBudgetExceeded, message: message)
    }

    /// The request's task is paused or stopped for a loop; `message` names the task and the loop.
    public static func agentLoopDetected(_ message: String) -> Self {
        Self(.agentLoopDetected, message: message)
    }

    /// The tool's definition changed since it was pinned for the agent; `message` names both.
    public static func toolDefinitionChanged(_ message: String) -> Self {
        Self(.toolDefinitionChanged, message: message)
    }

    /// A reviewer denied the held call, or nobody decided in time; `message` says which and why.
    public static func approvalDenied(_ message: String) -> Self {
        Self(.approvalDenied, message: message)
    }

    public static func internalError(_ message: String = "Internal gateway error.") -> Self {
        Self(.internalError, message: message)
    }

    /// Stable and low-cardinality: the API `error.code`, the record's error class and the
    /// `error.type` metric dimension.
    public var metricLabel: String { self.code.rawValue }

    /// Whether the router may try the request again, on the same or another deployment.
    public var isRetryable: Bool {
        switch self.code {
        case .upstreamRateLimited, .upstreamUnavailable, .upstreamTimeout, .upstreamBadResponse:
            true
        case .invalidRequest, .unauthenticated, .permissionDenied, .modelNotFound, .notFound, .conflict,
            .payloadTooLarge,
            .upstreamRejected, .streamInterrupted, .clientDisconnected, .hedgeLost, .overloaded, .internalError,
            .budgetExceeded, .rateLimitExceeded, .policyViolation, .auditUnavailable, .contentPolicyViolation,
            .agentSuspended, .agentScopeViolation, .taskBudgetExceeded, .agentLoopDetected, .toolDefinitionChanged,
            .approvalDenied:
            false
        }
    }

    public var description: String { "\(self.code.rawValue): \(self.message)" }
}
