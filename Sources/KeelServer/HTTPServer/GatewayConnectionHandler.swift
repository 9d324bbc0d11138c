import HTTPTypes
import Hummingbird
import HummingbirdCore
import KeelCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1
import NIOSSL

/// Reads one request at a time from a connection, runs it through the router in a task, and
/// writes the response as HTTP/1.1 bytes straight to the socket.
///
/// It is the only handler after NIO's request decoder: it keeps pipelined requests in order
/// (a request that arrives while a response is being written waits, and reads stop until it has
/// been answered), answers parse errors with 400, and closes idle connections when the server
/// quiesces. Responses are serialised here: a fixed-length response leaves as one buffer (head
/// and body) in one write, a streamed one as chunked transfer encoding, a chunk per write.
final class GatewayConnectionHandler<Responder: HTTPResponder>: ChannelDuplexHandler, RemovableChannelHandler
where Responder.Context == BasicRequestContext {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private enum State {
        case idle
        case reading(HTTPRequest, ByteBuffer, HTTP1Response.Framing)
        /// The request was refused before its body was read; ignore the rest and close.
        case discarding
        case responding
    }

    private let responder: Responder
    private let maxBodyBytes: Int
    private let logger: Logger
    private var state = State.idle
    private var context: ChannelHandlerContext?
    private var task: Task<Void, Never>?
    /// Parts of the next request that arrived while a response was still being written.
    private var queued = CircularBuffer<HTTPServerRequestPart>()
    /// A read the channel asked for while parts were queued; issued once they are consumed.
    private var readPending = false
    /// The server is shutting down: close once the response in progress is written.
    private var quiescing = false
    /// Counts the exchanges of this connection, so a finished one never resets the state of the
    /// next.
    private var exchangeID = 0
    /// The connection is TLS with client certificates asked for: each request carries the
    /// identities of the certificate the client presented (``HTTPField/Name/keelClientCertificate``)
    /// and never ones the client wrote itself.
    private let identifiesClients: Bool
    /// The connection is TLS (the requests' scheme is `https`).
    private let secure: Bool
    /// The identities of the connection's verified client certificate, read at its first request.
    private var clientIdentities: [String]?

    init(responder: Responder, maxBodyBytes: Int, secure: Bool = false, identifiesClients: Bool = false, logger: Logger) {
        self.responder = responder
        self.maxBodyBytes = maxBodyBytes
        self.secure = secure
        self.identifiesClients = identifiesClients
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = self.unwrapInboundIn(data)
        if case .responding = self.state {
            self.queued.append(part)
        } else if self.queued.isEmpty {
            self.process(part, context: context)
        } else {
            self.queued.append(part)
        }
    }

    private func process(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let nioHead):
            if case .discarding = self.state { return }
            if let length = nioHead.headers.first(name: "content-length").flatMap(Int.init), length > self.maxBodyBytes {
                self.refuseTooLarge(path: nioHead.uri, context: context)
                return
            }
            guard var head = try? HTTPRequest(nioHead, secure: self.secure, splitCookie: false) else {
                self.refuse(status: .badRequest, error: .invalidRequest("The request line or headers are malformed."), path: nioHead.uri, context: context)
                return
            }
            if self.identifiesClients { self.markClientIdentities(&head, context: context) }
            let framing = HTTP1Response.Framing(keepAlive: nioHead.isKeepAlive, omitBody: nioHead.method == .HEAD)
            self.state = .reading(head, context.channel.allocator.buffer(capacity: 0), framing)
        case .body(var chunk):
            guard case .reading(let head, var body, let framing) = self.state else { return }
            guard body.readableBytes + chunk.readableBytes <= self.maxBodyBytes else {
                self.refuseTooLarge(path: head.path ?? "", context: context)
                return
            }
            self.state = .idle  // drop the reference so `body` stays uniquely owned
            if body.readableBytes == 0 {
                body = chunk
            } else {
                body.writeBuffer(&chunk)
            }
            self.state = .reading(head, body, framing)
        case .end:
            switch self.state {
            case .reading(let head, let body, let framing):
                self.state = .responding
                self.respond(head: head, body: body, framing: framing, context: context)
            case .discarding, .idle, .responding:
                break
            }
        }
    }

    /// Replaces whatever `x-keel-client-certificate` fields the request came with by the
    /// identities of the client certificate the TLS handshake verified (none when the client
    /// presented none).
    private func markClientIdentities(_ head: inout HTTPRequest, context: ChannelHandlerContext) {
        if self.clientIdentities == nil {
            let certificate = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self).peerCertificate
            self.clientIdentities = certificate?.clientIdentities ?? []
        }
        head.headerFields[values: .keelClientCertificate] = self.clientIdentities ?? []
    }

    func read(context: ChannelHandlerContext) {
        if self.queued.isEmpty {
            context.read()
        } else {
            self.readPending = true
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The client went away: cancel its request, which cancels the upstream call.
        self.task?.cancel()
        self.task = nil
        self.queued.removeAll()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        self.quiescing = true
        // A request being read or answered is finished first; the connection closes after it.
        if case .idle = self.state, self.queued.isEmpty {
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch self.state {
        case .idle, .reading:
            if error is HTTPParserError {
                self.refuse(status: .badRequest, error: .invalidRequest("The request is not valid HTTP/1.1."), path: "", context: context)
                return
            }
        case .responding, .discarding:
            break
        }
        context.close(promise: nil)
    }

    private func respond(head: HTTPRequest, body: ByteBuffer, framing: HTTP1Response.Framing, context: ChannelHandlerContext) {
        self.exchangeID &+= 1
        let exchange = Exchange(
            id: self.exchangeID,
            head: head,
            body: body,
            framing: framing,
            channel: context.channel,
            responder: self.responder,
            logger: self.logger,
            handler: NIOLoopBound(self, eventLoop: context.eventLoop)
        )
        // An unstructured task, owned by this handler: a channel handler cannot host a task group,
        // so the handler keeps the task, cancels it when the connection closes, and the server's
        // quiescing waits for the response it writes before the connection goes away.
        self.task = Task { await exchange.run() }
    }

    /// Everything one request's task needs, gathered so the task captures one `Sendable` value.
    private struct Exchange: Sendable {
        let id: Int
        let head: HTTPRequest
        let body: ByteBuffer
        let framing: HTTP1Response.Framing
        let channel: any Channel
        let responder: Responder
        let logger: Logger
        let handler: NIOLoopBound<GatewayConnectionHandler>

        func run() async {
            await GatewayConnectionHandler.serve(self)
            let handler = self.handler
            let id = self.id
            if self.channel.eventLoop.inEventLoop {
                handler.value.responseFinished(id)
            } else {
                self.channel.eventLoop.execute { handler.value.responseFinished(id) }
            }
        }
    }

    /// Exchange `id` wrote its whole response: go on with a request that arrived meanwhile, or
    /// read again.
    private func responseFinished(_ id: Int) {
        guard id == self.exchangeID, case .responding = self.state, let context = self.context else { return }
        self.task = nil
        self.state = .idle
        if self.quiescing {
            HTTP1Response.closeAfterWrites(context.channel)
            return
        }
        while let part = self.queued.popFirst() {
            self.process(part, context: context)
            if case .responding = self.state { return }
        }
        if self.readPending {
            self.readPending = false
            context.read()
        }
    }

    private static func serve(_ exchange: Exchange) async {
        let request = Request(head: exchange.head, body: RequestBody(buffer: exchange.body))
        let requestContext = BasicRequestContext(source: .init(channel: exchange.channel, logger: exchange.logger))
        let response: Response
        do {
            response = try await exchange.responder.respond(to: request, context: requestContext)
        } catch {
            response = Response(
                status: .internalServerError,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: KeelError.internalError().openAIBody))
            )
        }
        var framing = exchange.framing
        let head = HTTP1Response.head(
            response.head, contentLength: response.body.contentLength, framing: &framing, allocator: exchange.channel.allocator)
        let writer = ChannelResponseWriter(channel: exchange.channel, framing: framing, pending: head)
        do {
            try await response.body.write(writer)
        } catch {
            exchange.channel.close(promise: nil)
        }
    }

    private func refuseTooLarge(path: String, context: ChannelHandlerContext) {
        self.refuse(status: .contentTooLarge, error: .payloadTooLarge(limit: self.maxBodyBytes), path: path, context: context)
    }

    /// Answers before the request is read to its end, in the dialect of `path`, then closes the
    /// connection.
    private func refuse(status: HTTPResponse.Status, error: KeelError, path: String, context: ChannelHandlerContext) {
        self.state = .discarding
        self.queued.removeAll()
        let anthropic = DialectErrorMiddleware<BasicRequestContext>.dialect(ofPath: path) == .anthropic
        let body = ByteBuffer(string: anthropic ? error.anthropicBody : error.openAIBody)
        var framing = HTTP1Response.Framing(keepAlive: false, omitBody: false)
        var buffer = HTTP1Response.head(
            HTTPResponse(status: status, headerFields: [.contentType: "application/json"]),
            contentLength: body.readableBytes,
            framing: &framing,
            allocator: context.channel.allocator
        )
        buffer.writeImmutableBuffer(body)
        let channel = context.channel
        context.writeAndFlush(self.wrapOutboundOut(.byteBuffer(buffer))).whenComplete { _ in channel.close(promise: nil) }
    }
}
