/// Failures of the gateway's own HTTP/1.1 upstream transport.
public enum HTTP1UpstreamError: Error, Sendable, Equatable {
    case connectTimeout
    case connectFailed
    /// No response head within the first-byte timeout.
    case firstByteTimeout
    /// No bytes for longer than the idle timeout while a response was in flight.
    case idleTimeout
    /// The whole exchange took longer than the total timeout.
    case totalTimeout
    /// The connection closed before a response head arrived. `reused` tells whether it was an
    /// idle keep-alive connection, which the server may have closed just as we sent.
    case closedBeforeResponse(reused: Bool)
    /// The connection closed in the middle of a response body.
    case closedMidBody
    /// The upstream sent something that is not HTTP.
    case invalidResponse
    /// A request header name or value holds a line break or NUL (a configured provider header),
    /// so the request was not sent.
    case invalidRequestHeader
}
