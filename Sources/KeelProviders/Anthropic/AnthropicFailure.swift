public import KeelCore
public import NIOCore

/// Classifies an Anthropic error answer (`{"type":"error","error":{"type","message"}}`).
public enum AnthropicFailure {
    /// The `KeelError` for an upstream answer with a non-success `status`.
    ///
    /// `529 overloaded_error` stays a 529 (retryable, and shown to Anthropic clients as such);
    /// the provider key is scrubbed from any upstream message before it reaches a client.
    public static func error(status: Int, body: ByteBuffer?, retryAfter: String?, secret: Secret<String>?) -> KeelError {
        let retryAfterSeconds = retryAfter.flatMap { Double($0.trimmingASCIISpaces()) }.map { max(0, $0) }
        let errorType = body.flatMap { Self.errorField("type", in: $0) }
        switch status {
        case 429:
            return .upstreamRateLimited(status: status, retryAfterSeconds: retryAfterSeconds)
        case 408:
            return .upstreamTimeout("upstream request timeout")
        case 401, 403:
            return .upstreamRejected(status: status, message: "The upstream provider rejected the gateway's credentials.")
        case 400..<500:
            let message = body.flatMap { Self.errorField("message", in: $0) }.map { OpenAIFailure.scrub($0, secret: secret) }
            return .upstreamRejected(status: status, message: message ?? "The upstream provider rejected the request (HTTP \(status)).")
        case 529:
            return .upstreamUnavailable(status: 529, "The upstream provider is overloaded.")
        default:
            if errorType == "overloaded_error" {
                return .upstreamUnavailable(status: 529, "The upstream provider is overloaded.")
            }
            return .upstreamUnavailable(status: status, "The upstream provider failed (HTTP \(status)).")
        }
    }

    /// `error.<name>` of an Anthropic error body, cut to 1,000 characters.
    static func errorField(_ name: String, in body: ByteBuffer) -> String? {
        body.withUnsafeReadableBytes { bytes -> String? in
            guard let index = try? JSONScanner.indexObject(bytes), let error = index["error"], error.kind == .object,
                let inner = try? JSONScanner.indexObject(index.slice(error)), let member = inner[name]
            else { return nil }
            return inner.string(member).map { String($0.prefix(1_000)) }
        }
    }

    /// The error of an Anthropic error object (`{"type":"overloaded_error","message":…}`), as
    /// its HTTP status would classify it: overloaded is a 529, rate limits a 429, server errors
    /// a 500, and request errors the upstream's rejection of the request.
    static func error(type: String?, message: String?) -> KeelError {
        let text = message.map { String($0.prefix(1_000)) }
        switch type {
        case "overloaded_error":
            return .upstreamUnavailable(status: 529, text ?? "The upstream provider is overloaded.")
        case "rate_limit_error":
            return .upstreamRateLimited(status: 429, retryAfterSeconds: nil)
        case "api_error":
            return .upstreamUnavailable(status: 500, text ?? "The upstream provider failed.")
        case "timeout_error":
            return .upstreamTimeout("the upstream provider timed out while generating")
        case "invalid_request_error":
            return .upstreamRejected(status: 400, message: text ?? "The upstream provider rejected the request.")
        case "request_too_large":
            return .upstreamRejected(status: 413, message: text ?? "The request is too large for the upstream provider.")
        case "not_found_error":
            return .upstreamRejected(status: 404, message: text ?? "The upstream provider did not find the resource.")
        case "authentication_error", "permission_error":
            return .upstreamRejected(status: type == "authentication_error" ? 401 : 403, message: "The upstream provider rejected the gateway's credentials.")
        default:
            return .upstreamUnavailable(status: nil, text ?? "The upstream provider reported an error.")
        }
    }
}
