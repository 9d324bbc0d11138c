import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOHTTPTypesHTTP1
import NIOPosix
import ServiceLifecycle

/// The HTTP/1.1 server of `keel serve`: SwiftNIO's HTTP codec in front of the Hummingbird router.
///
/// Hummingbird's own server turns each connection and each request body into async sequences;
/// on the gateway's hot path that machinery cost more CPU than the gateway's own work. This
/// server reads a whole request (bodies are small and bounded by `max_body_bytes`) on the event
/// loop, hands the router a `Request` whose body is already in memory, and writes the `Response`
/// straight to the channel, flushing streamed chunks as they come.
///
/// - A request is refused with 413 before its body is read when `content-length` is over the
///   limit, and as soon as a chunked body passes it.
/// - A client that closes its connection cancels its request's task, and so the upstream call.
/// - Graceful shutdown stops accepting, lets every connection finish the response in progress,
///   then returns (NIO's `ServerQuiescingHelper`; the connection handler closes each connection
///   after its response).
final class GatewayHTTPServer<Responder: HTTPResponder>: Service where Responder.Context == BasicRequestContext {
    struct Configuration: Sendable {
        var host: String
        var port: Int
        var backlog: Int
        var maxBodyBytes: Int
        /// HTTPS: each connection's handshake runs with the context current when it opens.
        var tls: ServerTLS? = nil
    }

    private let configuration: Configuration
    private let responder: Responder
    private let group: any EventLoopGroup
    private let logger: Logger
    private let onListening: @Sendable (Int) async -> Void

    init(
        configuration: Configuration,
        responder: Responder,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void
    ) {
        self.configuration = configuration
        self.responder = responder
        self.group = eventLoopGroup
        self.logger = logger
        self.onListening = onListening
    }

    func run() async throws {
        let quiesce = ServerQuiescingHelper(group: self.group)
        let responder = self.responder
        let logger = self.logger
        let maxBodyBytes = self.configuration.maxBodyBytes
        let tls = self.configuration.tls
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: Int32(self.configuration.backlog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiesce.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls { try pipeline.addHandler(tls.makeHandler()) }
                    // NIO's request decoder, then the connection handler, which writes responses
                    // as bytes: no encoder, pipelining or error handler between it and the socket.
                    try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                    try pipeline.addHandler(
                        GatewayConnectionHandler(
                            responder: responder, maxBodyBytes: maxBodyBytes, secure: tls != nil,
                            identifiesClients: tls?.identifiesClients ?? false, logger: logger)
                    )
                }
            }
            .bind(host: self.configuration.host, port: self.configuration.port)
            .get()
        let port = channel.localAddress?.port ?? self.configuration.port
        self.logger.info(
            "Gateway listening",
            metadata: ["keel.server.address": "\(self.configuration.host):\(port)", "keel.server.tls": "\(tls != nil)"])
        await self.onListening(port)

        let closed = channel.eventLoop.makePromise(of: Void.self)
        await withGracefulShutdownHandler {
            try? await closed.futureResult.get()
        } onGracefulShutdown: {
            quiesce.initiateShutdown(promise: closed)
        }
    }
}
