/// How an error is shown to a client over HTTP. Pure values: the server writes them.
extension KeelError {
    /// The HTTP status that carries this error to the client.
    public var httpStatus: Int {
        switch self.code {
        case .invalidRequest, .contentPolicyViolation: 400
        case .unauthenticated: 401
        case .permissionDenied, .policyViolation, .agentSuspended, .agentScopeViolation, .toolDefinitionChanged, .approvalDenied: 403
        case .modelNotFound, .notFound: 404
        case .conflict, .agentLoopDetected: 409
        case .payloadTooLarge: 413
        case .upstreamRejected:
            // The upstream judged the request itself invalid; keep its 4xx, but an upstream
            // authentication failure is our configuration, not the client's key.
            switch self.upstreamStatus ?? 400 {
            case 401, 403: 502
            case let status where (400..<500).contains(status): status
            default: 400
            }
        case .upstreamRateLimited, .budgetExceeded, .rateLimitExceeded, .taskBudgetExceeded: 429
        case .upstreamUnavailable:
            // Anthropic's "overloaded" passes through as such; other upstream failures are a
            // bad gateway.
            self.upstreamStatus == 529 ? 529 : 502
        case .upstreamBadResponse, .streamInterrupted: 502
        case .upstreamTimeout: 504
        case .clientDisconnected, .hedgeLost: 499
        case .overloaded, .auditUnavailable: 503
        case .internalError: 500
        }
    }

    /// The OpenAI `error.type` for this error.
    public var openAIType: String {
        switch self.code {
        case .invalidRequest, .modelNotFound, .notFound, .conflict, .payloadTooLarge, .upstreamRejected,
            .contentPolicyViolation,
            .agentLoopDetected:
            "invalid_request_error"
        case .unauthenticated: "authentication_error"
        case .permissionDenied, .policyViolation, .agentSuspended, .agentScopeViolation, .toolDefinitionChanged, .approvalDenied:
            "permission_error"
        case .upstreamRateLimited, .rateLimitExceeded: "rate_limit_error"
        // OpenAI's own type for a spent quota, so SDKs treat it as one.
        case .budgetExceeded, .taskBudgetExceeded: "insufficient_quota"
        case .upstreamUnavailable, .upstreamTimeout, .upstreamBadResponse, .streamInterrupted, .overloaded,
            .clientDisconnected, .hedgeLost, .internalError, .auditUnavailable:
            "api_error"
        }
    }

    /// The OpenAI error body: `{"error":{"message","type","param","code"}}`.
    public var openAIBody: String {
        var body = #"{"error":{"message":"#
        JSONWriter.appendString(self.message, to: &body)
        body += #","type":""# + self.openAIType + #"","param":"#
        if let param = self.param {
            JSONWriter.appendString(param, to: &body)
        } else {
            body += "null"
        }
        body += #","code":""# + self.metricLabel + #""}}"#
        return body
    }
}

/// The Anthropic rendering: `{"type":"error","error":{"type","message"}}`.
extension KeelError {
    /// The Anthropic `error.type` for this error.
    public var anthropicType: String {
        switch self.code {
        case .invalidRequest, .modelNotFound, .upstreamRejected:
            self.httpStatus == 404 ? "not_found_error" : "invalid_request_error"
        case .notFound: "not_found_error"
        case .conflict, .contentPolicyViolation, .agentLoopDetected: "invalid_request_error"
        case .payloadTooLarge: "request_too_large"
        case .unauthenticated: "authentication_error"
        case .permissionDenied, .policyViolation, .agentSuspended, .agentScopeViolation, .toolDefinitionChanged, .approvalDenied:
            "permission_error"
        case .upstreamRateLimited, .budgetExceeded, .rateLimitExceeded, .taskBudgetExceeded: "rate_limit_error"
        case .overloaded: "overloaded_error"
        case .upstreamUnavailable: self.upstreamStatus == 529 ? "overloaded_error" : "api_error"
        case .upstreamTimeout, .upstreamBadResponse, .streamInterrupted, .clientDisconnected, .hedgeLost,
            .internalError,
            .auditUnavailable:
            "api_error"
        }
    }

    /// The Anthropic error body.
    public var anthropicBody: String {
        var body = #"{"type":"error","error":{"type":""# + self.anthropicType + #"","message":"#
        JSONWriter.appendString(self.message, to: &body)
        body += "}}"
        return body
    }
}
