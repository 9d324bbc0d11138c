public import KeelCore
public import NIOCore

/// Classifies a Bedrock error: the exception name in the `x-amzn-errortype` header (or an
/// event-stream `:exception-type`) and `{"message": …}` in the body.
///
/// | exception | status | Keel error |
/// |---|---|---|
/// | `ThrottlingException`, `ServiceQuotaExceededException` | 429 / 400 | rate limited |
/// | `ValidationException` | 400 | rejected, with AWS's message |
/// | `ResourceNotFoundException` | 404 | rejected, with AWS's message |
/// | `AccessDeniedException`, `UnrecognizedClientException`, signature and token faults | 403 | the gateway's credentials were refused |
/// | `ModelNotReadyException`, `ServiceUnavailableException` | 429 / 503 | unavailable |
/// | `InternalServerException`, `ModelStreamErrorException`, `ModelErrorException` | 500 / 424 | unavailable |
/// | `ModelTimeoutException` | 408 | timeout |
public enum BedrockFailure {
    /// The `KeelError` for an HTTP answer with a non-success `status`.
    ///
    /// - Parameters:
    ///   - errorType: the `x-amzn-errortype` header (`ValidationException:http://…` or bare).
    ///   - body: the (bounded) error body, when it could be read.
    ///   - retryAfter: the `retry-after` header, in seconds.
    public static func error(status: Int, errorType: String?, body: ByteBuffer?, retryAfter: String?) -> KeelError {
        let json = body.flatMap { try? JSONValue(parsing: $0) }
        let message = json?["message"]?.string ?? json?["Message"]?.string
        let type = errorType.map { String($0.prefix { $0 != ":" }) } ?? json?["__type"]?.string.map { String($0.split(separator: "#").last ?? "") }
        let retryAfterSeconds = retryAfter.flatMap { Double($0.trimmingASCIISpaces()) }.map { max(0, $0) }
        if let type, let classified = Self.error(exceptionType: type, message: message, status: status, retryAfter: retryAfterSeconds) {
            return classified
        }
        switch status {
        case 429: return .upstreamRateLimited(status: status, retryAfterSeconds: retryAfterSeconds)
        case 408: return .upstreamTimeout("model timeout")
        case 401, 403: return .upstreamRejected(status: status, message: "The upstream provider rejected the gateway's credentials.")
        case 400..<500:
            return .upstreamRejected(status: status, message: message.map { String($0.prefix(1_000)) } ?? "The upstream provider rejected the request (HTTP \(status)).")
        default: return .upstreamUnavailable(status: status, "The upstream provider failed (HTTP \(status)).")
        }
    }

    /// The `KeelError` for an exception inside a stream (`:exception-type`, lower camel case).
    static func error(exceptionType: String, message: String?) -> KeelError {
        Self.error(exceptionType: exceptionType, message: message, status: nil, retryAfter: nil)
            ?? .upstreamUnavailable(status: nil, "The upstream provider failed mid-stream (\(exceptionType)).")
    }

    private static func error(exceptionType: String, message: String?, status: Int?, retryAfter: Double?) -> KeelError? {
        let message = message.map { String($0.prefix(1_000)) }
        switch exceptionType.lowercased() {
        case "throttlingexception", "servicequotaexceededexception", "toomanyrequestsexception":
            return .upstreamRateLimited(status: status ?? 429, retryAfterSeconds: retryAfter)
        case "validationexception":
            return .upstreamRejected(status: status ?? 400, message: message ?? "The upstream provider rejected the request.")
        case "resourcenotfoundexception":
            return .upstreamRejected(status: status ?? 404, message: message ?? "The upstream model was not found.")
        case "accessdeniedexception", "unrecognizedclientexception", "invalidsignatureexception",
            "signaturedoesnotmatchexception", "expiredtokenexception", "missingauthenticationtokenexception",
            "incompletesignatureexception":
            return .upstreamRejected(status: 403, message: "The upstream provider rejected the gateway's credentials.")
        case "modelnotreadyexception", "serviceunavailableexception":
            return .upstreamUnavailable(status: status ?? 503, "The upstream model is not ready or unavailable.")
        case "internalserverexception", "modelstreamerrorexception", "modelerrorexception":
            return .upstreamUnavailable(status: status ?? 500, "The upstream provider failed (\(exceptionType)).")
        case "modeltimeoutexception":
            return .upstreamTimeout("model timeout")
        default:
            return nil
        }
    }
}
