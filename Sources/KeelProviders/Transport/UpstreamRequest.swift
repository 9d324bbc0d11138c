public import NIOCore

/// One HTTP call to an upstream, already in the upstream's dialect.
public struct UpstreamRequest: Sendable {
    public enum Operation: String, Sendable {
        case chatCompletions = "chat.completions"
        case embeddings
        /// Anthropic `POST /v1/messages/count_tokens`.
        case countTokens = "count_tokens"
    }

    public var operation: Operation
    /// The upstream's name for the model (part of the URL for Gemini, Bedrock and Azure).
    public var model: String
    /// The request body bytes, forwarded as they are.
    public var body: ByteBuffer
    /// Whether the response is a stream.
    public var stream: Bool
    /// Client headers the upstream's dialect defines and the gateway forwards (e.g.
    /// `anthropic-version`, `anthropic-beta` when client and upstream both speak Anthropic).
    public var forwardedHeaders: [(name: String, value: String)]

    public init(operation: Operation, model: String, body: ByteBuffer, stream: Bool, forwardedHeaders: [(name: String, value: String)] = []) {
        self.operation = operation
        self.model = model
        self.body = body
        self.stream = stream
        self.forwardedHeaders = forwardedHeaders
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
