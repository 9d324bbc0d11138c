public import KeelCore
public import NIOCore

/// Classifies a Gemini error (`{"error":{"code","message","status","details"}}`, Google's
/// `google.rpc.Status`).
///
/// - 429 / `RESOURCE_EXHAUSTED` → rate limited, waiting the `RetryInfo.retryDelay` when given;
/// - 401, 403 and a 400 whose `ErrorInfo.reason` is `API_KEY_INVALID` → the gateway's own
///   credentials were refused (Gemini reports a bad key as 400 INVALID_ARGUMENT; it is recorded as
///   401 so that the client sees a gateway fault, not a fault of its request);
/// - other 4xx (`INVALID_ARGUMENT`, `FAILED_PRECONDITION`, `NOT_FOUND`) → rejected, with
///   Google's message;
/// - 408 / 504 / `DEADLINE_EXCEEDED` → timeout; 5xx (`UNAVAILABLE`, `INTERNAL`) → unavailable.
public enum GeminiFailure {
    /// The `KeelError` for an HTTP answer with a non-success `status`.
    ///
    /// - Parameters:
    ///   - body: the (bounded) error body, when it could be read.
    ///   - retryAfter: the `retry-after` header, used when the body has no `RetryInfo`.
    ///   - secret: the API key, scrubbed from any upstream message.
    public static func error(status: Int, body: ByteBuffer?, retryAfter: String?, secret: Secret<String>?) -> KeelError {
        let error = body.flatMap { try? JSONValue(parsing: $0) }?["error"]
        let headerDelay = retryAfter.flatMap { Double($0.trimmingASCIISpaces()) }.map { max(0, $0) }
        return Self.error(status: status, error: error, headerRetryAfter: headerDelay, secret: secret)
    }

    /// The `KeelError` for an `error` object sent inside a stream.
    static func error(inStream error: JSONValue) -> KeelError {
        Self.error(status: error["code"]?.int ?? 500, error: error, headerRetryAfter: nil, secret: nil)
    }

    static func error(status: Int, error: JSONValue?, headerRetryAfter: Double?, secret: Secret<String>?) -> KeelError {
        let rpcStatus = error?["status"]?.string
        var retryDelay = headerRetryAfter
        var reason: String?
        for detail in error?["details"]?.array ?? [] {
            let type = detail["@type"]?.string ?? ""
            if type.hasSuffix("google.rpc.RetryInfo"), let delay = detail["retryDelay"]?.string {
                retryDelay = Self.seconds(delay) ?? retryDelay
            } else if type.hasSuffix("google.rpc.ErrorInfo") {
                reason = detail["reason"]?.string
            }
        }
        let message = error?["message"]?.string.map { OpenAIFailure.scrub(String($0.prefix(1_000)), secret: secret) }
        if status == 429 || rpcStatus == "RESOURCE_EXHAUSTED" {
            return .upstreamRateLimited(status: 429, retryAfterSeconds: retryDelay)
        }
        if status == 401 || status == 403 || reason == "API_KEY_INVALID" || rpcStatus == "UNAUTHENTICATED"
            || rpcStatus == "PERMISSION_DENIED"
        {
            return .upstreamRejected(
                status: status == 403 ? 403 : 401,
                message: "The upstream provider rejected the gateway's credentials."
            )
        }
        if status == 408 || status == 504 || rpcStatus == "DEADLINE_EXCEEDED" {
            return .upstreamTimeout("deadline exceeded")
        }
        if (400..<500).contains(status) {
            return .upstreamRejected(status: status, message: message ?? "The upstream provider rejected the request (HTTP \(status)).")
        }
        return .upstreamUnavailable(status: status, "The upstream provider failed (HTTP \(status)\(rpcStatus.map { " " + $0 } ?? "")).")
    }

    /// A protobuf `Duration` in JSON (`"37s"`, `"1.5s"`) in seconds.
    static func seconds(_ duration: String) -> Double? {
        guard duration.hasSuffix("s"), let value = Double(duration.dropLast()) else { return nil }
        return max(0, value)
    }
}
