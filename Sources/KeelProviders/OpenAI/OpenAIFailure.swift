public import KeelCore
public import NIOCore

/// Classifies an OpenAI-dialect error response (`{"error":{"message","type","code"}}`).
public enum OpenAIFailure {
    /// The `KeelError` for an upstream answer with a non-success `status`.
    ///
    /// - Parameters:
    ///   - body: the (bounded) error body, when it could be read.
    ///   - retryAfter: the `retry-after` header, in seconds or as an HTTP date (dates are ignored).
    ///   - secret: the provider key, scrubbed from any upstream message before it reaches a client.
    public static func error(status: Int, body: ByteBuffer?, retryAfter: String?, secret: Secret<String>?) -> KeelError {
        let retryAfterSeconds = retryAfter.flatMap { Double($0.trimmingASCIISpaces()) }.map { max(0, $0) }
        switch status {
        case 429:
            return .upstreamRateLimited(status: status, retryAfterSeconds: retryAfterSeconds)
        case 408:
            return .upstreamTimeout("upstream request timeout")
        case 401, 403:
            return .upstreamRejected(status: status, message: "The upstream provider rejected the gateway's credentials.")
        case 400..<500:
            let message = body.flatMap { Self.message(in: $0) }.map { Self.scrub($0, secret: secret) }
            return .upstreamRejected(status: status, message: message ?? "The upstream provider rejected the request (HTTP \(status)).")
        default:
            return .upstreamUnavailable(status: status, "The upstream provider failed (HTTP \(status)).")
        }
    }

    /// `error.message` of an OpenAI-shaped error body, cut to 1,000 characters.
    static func message(in body: ByteBuffer) -> String? {
        body.withUnsafeReadableBytes { bytes -> String? in
            guard let index = try? JSONScanner.indexObject(bytes), let error = index["error"], error.kind == .object,
                let inner = try? JSONScanner.indexObject(index.slice(error)), let message = inner["message"]
            else { return nil }
            return inner.string(message).map { String($0.prefix(1_000)) }
        }
    }

    static func scrub(_ message: String, secret: Secret<String>?) -> String {
        guard let secret else { return message }
        return secret.withExposedValue { key in
            key.isEmpty ? message : message.replacing(key, with: "<redacted>")
        }
    }
}

extension String {
    func trimmingASCIISpaces() -> Substring {
        var slice = Substring(self)
        while slice.first == " " { slice.removeFirst() }
        while slice.last == " " { slice.removeLast() }
        return slice
    }
}
