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
}
