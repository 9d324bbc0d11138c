public import NIOCore

/// A successful upstream response whose body may still be arriving.
public struct UpstreamResponse: Sendable {
    public var status: Int
    /// The upstream's `content-type`, when it sent one.
    public var contentType: String?
    public var body: UpstreamBody

    public init(status: Int, contentType: String?, body: UpstreamBody) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}

/// The body of an upstream response as an async sequence of chunks, in arrival order.
///
/// Iterate it once. Leaving it unconsumed closes the upstream connection.
public struct UpstreamBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    enum Storage: Sendable {
        case complete(ByteBuffer)
        case http(HTTP1UpstreamClient.Body, abort: @Sendable () -> Void)
    }

    let storage: Storage

    init(_ storage: Storage) {
        self.storage = storage
    }

    /// A body that is already complete.
    public init(buffer: ByteBuffer) {
        self.storage = .complete(buffer)
    }

    public func makeAsyncIterator() -> Iterator {
        switch self.storage {
        case .complete(let buffer): Iterator(state: .complete(buffer))
        case .http(let body, _): Iterator(state: .http(body.makeAsyncIterator()))
        }
    }

    public struct Iterator: AsyncIteratorProtocol {
        enum State {
            case complete(ByteBuffer?)
            case http(HTTP1UpstreamClient.Body.AsyncIterator)
        }

        var state: State

        public mutating func next() async throws -> ByteBuffer? {
            switch self.state {
            case .complete(let buffer):
                self.state = .complete(nil)
                return buffer
            case .http(let iterator):
                return try await iterator.next()
            }
        }
    }

    /// Closes the connection a streaming body arrives on, from any task: its reader's next read
    /// fails. Nothing for a body that is already complete.
    public func abort() {
        if case .http(_, let abort) = self.storage { abort() }
    }

    /// Collects the whole body, failing past `limit` bytes.
    public func collect(upTo limit: Int) async throws -> ByteBuffer {
        var result = ByteBuffer()
        for try await var chunk in self {
            guard result.readableBytes + chunk.readableBytes <= limit else { throw BodyTooLarge(limit: limit) }
            if result.readableBytes == 0 {
                result = chunk
            } else {
                result.writeBuffer(&chunk)
            }
        }
        return result
    }

    public struct BodyTooLarge: Error, Sendable {
        public let limit: Int
    }
}
