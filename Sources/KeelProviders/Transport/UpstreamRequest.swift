public import NIOCore

/// One HTTP call to an upstream, already in the upstream's dialect.
public struct UpstreamRequest: Sendable {
    public enum Operation: String, Sendable {
        case chatCompletions = "chat.completions"
        case embeddings
    }

    public var operation: Operation
    /// The request body bytes, forwarded as they are.
    public var body: ByteBuffer
    /// Whether the response is a server-sent-events stream.
    public var stream: Bool

    public init(operation: Operation, body: ByteBuffer, stream: Bool) {
        self.operation = operation
        self.body = body
        self.stream = stream
    }
}

/// Time limits of upstream attempts, configured per provider.
public struct UpstreamTimeouts: Sendable, Equatable {
    /// Establishing a TCP (and TLS) connection.
    public var connect: Duration
    /// From sending the request until the first byte of the response body (for a stream, its
    /// first event).
    public var firstByte: Duration
    /// The longest silence between two reads of a response body, after its first byte.
    public var idle: Duration
    /// The whole attempt, body included.
    public var total: Duration

    public init(
        connect: Duration = .seconds(10),
        firstByte: Duration = .seconds(60),
        idle: Duration = .seconds(60),
        total: Duration = .seconds(600)
    ) {
        self.connect = connect
        self.firstByte = firstByte
        self.idle = idle
        self.total = total
    }
}
