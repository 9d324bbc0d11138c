public import NIOCore
public import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A pool of HTTP/1.1 keep-alive connections to one upstream host, made for pass-through.
///
/// It does only what a gateway needs, so each exchange costs little: write a request whose body
/// is already in memory, hand back the response head, then stream the body as an async sequence
/// with back-pressure (the socket is not read while the consumer is behind). Timeouts (connect,
/// first byte, idle, total) are timers on the connection's event loop. Cancelling the awaiting
/// task, or dropping the body before its end, closes the connection. A request that fails on a
/// reused idle connection before any response byte is sent again once on a fresh connection (the
/// server closed the idle connection as we wrote).
///
/// One instance serves every request of a provider concurrently.
public final class HTTP1UpstreamClient: Sendable {
    /// Where and how to connect.
    public struct Target: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var tls: Bool
        /// A PEM file of extra certificate authorities to trust, besides the system's (for
        /// self-hosted upstreams behind a private CA).
        public var additionalTrustRootsFile: String?

        public init(host: String, port: Int, tls: Bool, additionalTrustRootsFile: String? = nil) {
            self.host = host
            self.port = port
            self.tls = tls
            self.additionalTrustRootsFile = additionalTrustRootsFile
        }
    }

    /// The body of a response, in arrival order; iterate it once.
    public typealias Body = NIOThrowingAsyncSequenceProducer<
        ByteBuffer, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, UpstreamBodyDelegate
    >

    /// A response body: whole, for answers collected before they are handed over, or streaming.
    public enum ResponseBody: Sendable {
        case complete(ByteBuffer)
        /// A streaming body, and what closes its connection from any task (the reader's next
        /// read then fails).
        case stream(Body, abort: @Sendable () -> Void)
    }

    /// The largest answer collected whole (64 MiB); a larger one fails as invalid.
    static let maxCollectedBody = 64 << 20

    let target: Target
    let timeouts: UpstreamTimeouts
    let group: any EventLoopGroup
    let sslContext: NIOSSLContext?
    let maxConnections: Int
    let pool: Mutex<PoolState>
    let hostHeader: String
    /// Whether requests carry the ``UpstreamTraceContext`` bound to the sending task.
    let propagatesTraceContext: Bool

    /// - Parameter propagatesTraceContext: send the `traceparent` / `tracestate` of the
    ///   ``UpstreamTraceContext`` bound when a request is sent (tracing on); `false` does not look.
    public init(
        target: Target,
        timeouts: UpstreamTimeouts,
        maxConnections: Int,
        eventLoopGroup: any EventLoopGroup,
        propagatesTraceContext: Bool = false
    ) throws {
        self.propagatesTraceContext = propagatesTraceContext
        self.target = target
        self.timeouts = timeouts
        self.group = eventLoopGroup
        self.maxConnections = max(1, maxConnections)
        self.pool = Mutex(PoolState())
        let defaultPort = target.tls ? 443 : 80
        self.hostHeader = target.port == defaultPort ? target.host : "\(target.host):\(target.port)"
        if target.tls {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.applicationProtocols = ["http/1.1"]
            if let file = target.additionalTrustRootsFile {
                configuration.additionalTrustRoots = [.file(file)]
            }
            self.sslContext = try NIOSSLContext(configuration: configuration)
        } else {
            self.sslContext = nil
        }
    }

    /// Sends `POST path` with `body`. With `collect`, returns the whole answer once it has
    /// arrived (one hand-over, no async sequence); otherwise returns once the head is in, with the
    /// body streaming.
    public func post(
        path: String,
        headers: HTTPHeaders,
        body: ByteBuffer,
        collect: Bool
    ) async throws -> (HTTPResponseHead, ResponseBody) {
        try await self.request(.POST, path: path, headers: headers, body: body, collect: collect)
    }

    /// Sends `method path` with `body` (empty: none), as ``post(path:headers:body:collect:)`` does.
    public func request(
        _ method: HTTPMethod,
        path: String,
        headers: HTTPHeaders,
        body: ByteBuffer,
        collect: Bool
    ) async throws -> (
        HTTPResponseHead, ResponseBody
    ) {
        guard let request = UpstreamWireRequest(method, path: path, host: self.hostHeader, headers: headers, body: body)
        else {
            throw HTTP1UpstreamError.invalidRequestHeader
        }
        do {
            return try await self.exchange(request, collect: collect, fresh: false)
        } catch HTTP1UpstreamError.closedBeforeResponse(reused: true) {
            return try await self.exchange(request, collect: collect, fresh: true)
        }
    }

    private func exchange(
        _ request: UpstreamWireRequest,
        collect: Bool,
        fresh: Bool
    ) async throws -> (HTTPResponseHead, ResponseBody) {
        let connection = try await self.acquire(fresh: fresh)
        return try await withTaskCancellationHandler {
            let eventLoop = connection.channel.eventLoop
            let timeouts = self.timeouts
            let started: EventLoopFuture<(HTTPResponseHead, ResponseBody)>
            // With Swift concurrency running on the event loops, the task is usually on the
            // connection's loop already: start at once rather than queueing a hop.
            if eventLoop.inEventLoop {
                started = connection.handler.value.start(
                    request: request,
                    timeouts: timeouts,
                    reused: connection.reused,
                    collect: collect
                )
            } else {
                started = eventLoop.flatSubmit {
                    connection.handler.value.start(
                        request: request,
                        timeouts: timeouts,
                        reused: connection.reused,
                        collect: collect
                    )
                }
            }
            return try await started.get()
        } onCancel: {
            connection.channel.close(promise: nil)
        }
    }

    /// Closes idle connections and refuses new exchanges.
    public func shutdown() async {
        let channels = self.pool.withLock { state -> [any Channel] in
            state.isShutdown = true
            defer { state.idle = [] }
            return state.idle.map(\.channel)
        }
        for channel in channels { try? await channel.close() }
    }
}
