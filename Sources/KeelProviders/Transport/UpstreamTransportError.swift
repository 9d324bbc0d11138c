import AsyncHTTPClient
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
        if let http = error as? HTTPClientError {
            switch http {
            case .cancelled: return nil
            case .connectTimeout, .socksHandshakeTimeout, .tlsHandshakeTimeout:
                return .upstreamTimeout("connect")
            case .deadlineExceeded:
                return .upstreamTimeout("first byte")
            case .readTimeout:
                return .upstreamTimeout("idle")
            case .remoteConnectionClosed:
                return .upstreamUnavailable(status: nil, "The upstream provider closed the connection.")
            default:
                return .upstreamUnavailable(status: nil, "The upstream provider could not be reached.")
            }
        }
        if error is UpstreamBody.BodyTooLarge {
            return .upstreamBadResponse("The upstream response is larger than the gateway accepts.")
        }
        return .upstreamUnavailable(status: nil, "The upstream provider could not be reached.")
    }
}
