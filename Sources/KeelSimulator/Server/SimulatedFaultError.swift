/// Thrown to make Hummingbird close a connection on purpose: an error that escapes a response
/// body writer (or a handler whose channel is already closed) ends the connection without
/// completing the response.
enum SimulatedFaultError: Error, Sendable {
    /// `fault=truncate`: the body was cut.
    case truncated
    /// `fault=drop`: the connection was closed before any response.
    case dropped
    /// The client went away during a scripted wait.
    case clientDisconnected
}
