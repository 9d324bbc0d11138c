public import KeelCore

/// The coarse error classes monitoring counts, error rates and availability SLOs use.
///
/// Derived from a record's `errorClass` (a `KeelError.metricLabel`), falling back on its HTTP
/// status for labels monitoring does not know:
///
/// | class | error classes | status fallback |
/// |---|---|---|
/// | `rate_limit` | `upstream_rate_limited`, `overloaded` | 429 |
/// | `timeout` | `upstream_timeout` | 408, 504 |
/// | `upstream` | `upstream_unavailable`, `upstream_bad_response`, `stream_interrupted`, `internal_error` | 5xx and anything else |
/// | `content_filter` | `content_filter`, `content_filtered`, `guardrail_blocked`, `policy_violation`, `content_policy_violation` | — |
/// | `client` | `invalid_request`, `invalid_api_key`, `permission_denied`, `model_not_found`, `not_found`, `payload_too_large`, `upstream_rejected`, `client_disconnected` | other 4xx |
///
/// A `success` outcome is never an error. An `interrupted` outcome without an error class is
/// `upstream`; a `cancelled` one is `client`.
public enum MonitoringErrorClass: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case rateLimit = "rate_limit"
    case timeout
    case upstream
    case contentFilter = "content_filter"
    case client

    /// The class of `record`'s failure, or `nil` when it succeeded.
    public static func classify(_ record: RequestRecord) -> MonitoringErrorClass? {
        switch record.outcome {
        case .success:
            return nil
        case .error, .interrupted, .cancelled:
            break
        }
        if let label = record.errorClass, let known = Self.byLabel[label] {
            return known
        }
        if record.errorClass == nil {
            if record.outcome == .interrupted { return .upstream }
            if record.outcome == .cancelled { return .client }
        }
        switch record.status {
        case 429: return .rateLimit
        case 408, 504: return .timeout
        case 400..<500: return .client
        default: return .upstream
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.index < rhs.index }

    var index: Int {
        switch self {
        case .rateLimit: 0
        case .timeout: 1
        case .upstream: 2
        case .contentFilter: 3
        case .client: 4
        }
    }

    private static let byLabel: [String: MonitoringErrorClass] = [
        "upstream_rate_limited": .rateLimit,
        "overloaded": .rateLimit,
        "upstream_timeout": .timeout,
        "upstream_unavailable": .upstream,
        "upstream_bad_response": .upstream,
        "stream_interrupted": .upstream,
        "internal_error": .upstream,
        "content_filter": .contentFilter,
        "content_filtered": .contentFilter,
        "guardrail_blocked": .contentFilter,
        "policy_violation": .contentFilter,
        "content_policy_violation": .contentFilter,
        "invalid_request": .client,
        "invalid_api_key": .client,
        "permission_denied": .client,
        "model_not_found": .client,
        "not_found": .client,
        "payload_too_large": .client,
        "upstream_rejected": .client,
        "client_disconnected": .client,
    ]
}
