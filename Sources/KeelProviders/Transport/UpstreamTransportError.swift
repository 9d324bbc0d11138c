public import KeelCore
import NIOCore
import NIOPosix

/// Turns transport failures (connect, timeouts, resets) into `KeelError`s the router understands.
public enum UpstreamTransportError {
    /// The `KeelError` for `error` thrown by an upstream call or while reading its body.
    /// Cancellation is not an upstream failure and is returned as `nil`: rethrow it.
    public static func classify(_ error: any Error) -> KeelError? {
        if let keel = error as? KeelError { return keel }
        if error is CancellationError { return nil }
        if let transport = error as? HTTP1UpstreamError {
            switch transport {
            case .connectTimeout: return .upstreamTimeout("connect")
            case .firstByteTimeout: return .upstreamTimeout("first byte")
            case .idleTimeout: return .upstreamTimeout("idle")
            case .totalTimeout: return .upstreamTimeout("total")
            case .connectFailed: return .upstreamUnavailable(status: nil, "The upstream provider could not be reached.")
            case .closedBeforeResponse: return .upstreamUnavailable(status: nil, "The upstream provider closed the connection.")
            case .closedMidBody: return .upstreamUnavailable(status: nil, "The upstream provider closed the connection mid-answer.")
            case .invalidResponse: return .upstreamBadResponse("The upstream provider sent an invalid HTTP response.")
            case .invalidRequestHeader:
                return .upstreamUnavailable(status: nil, "A header for the upstream provider holds a line break; check the provider's configured headers.")
            }
        }
        if error is UpstreamBody.BodyTooLarge {
            return .upstreamBadResponse("The upstream response is larger than the gateway accepts.")
        }
        return .upstreamUnavailable(status: nil, "The upstream provider could not be reached.")
    }
}
