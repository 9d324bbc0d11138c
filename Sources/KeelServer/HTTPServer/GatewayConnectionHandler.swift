import HTTPTypes
import Hummingbird
import HummingbirdCore
import KeelCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// Reads one request at a time from a connection, runs it through the router in a task, and
/// writes the response. `HTTPServerPipelineHandler` before it keeps pipelined requests in order.
/// It converts between NIO's HTTP/1 parts and the HTTP types of the router itself, which saves a
/// codec handler that every part would otherwise pass through.
final class GatewayConnectionHandler<Responder: HTTPResponder>: ChannelInboundHandler, RemovableChannelHandler
where Responder.Context == BasicRequestContext {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case reading(HTTPRequest, ByteBuffer)
        /// The request was refused before its body was read; ignore the rest and close.
        case discarding
        case responding
    }

    private let responder: Responder
    private let maxBodyBytes: Int
    private let logger: Logger
    private var state = State.idle
    private var task: Task<Void, Never>?
    /// Counts the exchanges of this connection, so a finished one never resets the state of the
    /// next: `HTTPServerPipelineHandler` may hand over the next request's head as soon as this
    /// response's end is written, before this exchange's task has returned.
    private var exchangeID = 0

    init(responder: Responder, maxBodyBytes: Int, logger: Logger) {
        self.responder = responder
        self.maxBodyBytes = maxBodyBytes
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let nioHead):
            if let length = nioHead.headers.first(name: "content-length").flatMap(Int.init), length > self.maxBodyBytes {
                self.refuseTooLarge(path: nioHead.uri, context: context)
                return
            }
            guard let head = try? HTTPRequest(nioHead, secure: false, splitCookie: false) else {
                self.refuse(status: .badRequest, error: .invalidRequest("The request line or headers are malformed."), path: nioHead.uri, context: context)
                return
            }
            self.state = .reading(head, context.channel.allocator.buffer(capacity: 0))
        case .body(var chunk):
            guard case .reading(let head, var body) = self.state else { return }
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
            self.state = .reading(head, body)
        case .end:
            switch self.state {
            case .reading(let head, let body):
                self.state = .responding
                self.respond(head: head, body: body, context: context)
            case .discarding:
                self.state = .idle
            case .idle, .responding:
                break
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The client went away: cancel its request, which cancels the upstream call.
        self.task?.cancel()
        self.task = nil
        context.fireChannelInactive()
    }

    private func respond(head: HTTPRequest, body: ByteBuffer, context: ChannelHandlerContext) {
        self.exchangeID &+= 1
        let exchange = Exchange(
            id: self.exchangeID,
            head: head,
            body: body,
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
        let channel: any Channel
        let responder: Responder
        let logger: Logger
        let handler: NIOLoopBound<GatewayConnectionHandler>

        func run() async {
            await GatewayConnectionHandler.serve(head: self.head, body: self.body, channel: self.channel, responder: self.responder, logger: self.logger)
            let handler = self.handler
            let id = self.id
            if self.channel.eventLoop.inEventLoop {
                handler.value.responseFinished(id)
            } else {
                self.channel.eventLoop.execute { handler.value.responseFinished(id) }
            }
        }
    }

    /// Exchange `id` wrote its whole response. When the next request has already begun (its head
    /// read, or its own exchange started), its state stays as it is: resetting it here would drop
    /// that request's body and end, and leave its client waiting for an answer that never comes.
    private func responseFinished(_ id: Int) {
        guard id == self.exchangeID, case .responding = self.state else { return }
        self.task = nil
        self.state = .idle
    }

    private static func serve(head: HTTPRequest, body: ByteBuffer, channel: any Channel, responder: Responder, logger: Logger) async {
        let request = Request(head: head, body: RequestBody(buffer: body))
        let requestContext = BasicRequestContext(source: .init(channel: channel, logger: logger))
        let response: Response
        do {
            response = try await responder.respond(to: request, context: requestContext)
        } catch {
            response = Response(
                status: .internalServerError,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: KeelError.internalError().openAIBody))
            )
        }
        await Self.write(response, to: channel, keepAlive: Self.isKeepAlive(head))
    }

    private static func write(_ response: Response, to channel: any Channel, keepAlive: Bool) async {
        var head = response.head
        let length = response.body.contentLength
        if let length {
            head.headerFields[.contentLength] = String(length)
        }
        if !keepAlive { head.headerFields[.connection] = "close" }
        let writer = ChannelResponseWriter(channel: channel, flushEachWrite: length == nil)
        channel.write(HTTPServerResponsePart.head(HTTPResponseHead(head)), promise: nil)
        do {
            try await response.body.write(writer)
        } catch {
            channel.close(promise: nil)
            return
        }
        if !keepAlive {
            channel.close(promise: nil)
        }
    }

    private func refuseTooLarge(path: String, context: ChannelHandlerContext) {
        self.refuse(status: .payloadTooLarge, error: .payloadTooLarge(limit: self.maxBodyBytes), path: path, context: context)
    }

    /// Answers before the request is read to its end, in the dialect of `path`, then closes the
    /// connection.
    private func refuse(status: HTTPResponseStatus, error: KeelError, path: String, context: ChannelHandlerContext) {
        self.state = .discarding
        let anthropic = DialectErrorMiddleware<BasicRequestContext>.dialect(ofPath: path) == .anthropic
        let body = ByteBuffer(string: anthropic ? error.anthropicBody : error.openAIBody)
        var head = HTTPResponseHead(version: .http1_1, status: status)
        head.headers.add(name: "content-type", value: "application/json")
        head.headers.add(name: "content-length", value: String(body.readableBytes))
        head.headers.add(name: "connection", value: "close")
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    private static func isKeepAlive(_ head: HTTPRequest) -> Bool {
        guard let connection = head.headerFields[.connection]?.lowercased() else { return true }
        return !connection.contains("close")
    }
}

/// Writes a response body to the channel: a fixed-length body in one flush at its end, a
/// streamed body chunk by chunk, each flushed at once. While the socket accepts data a chunk is
/// not awaited; once the channel is unwritable (the client reads slower than the upstream
/// writes), each write is awaited, so a slow client slows the relay instead of growing a buffer.
struct ChannelResponseWriter: ResponseBodyWriter {
    let channel: any Channel
    let flushEachWrite: Bool

    mutating func write(_ buffer: ByteBuffer) async throws {
        if self.flushEachWrite {
            let written: EventLoopFuture<Void> = self.channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)))
            if !self.channel.isWritable { try await written.get() }
        } else {
            self.channel.write(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        }
    }

    /// Ends the response without waiting for the flush: nothing follows it on this request, and
    /// a client that is gone already shows as a failed write or a closed channel.
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        self.channel.writeAndFlush(HTTPServerResponsePart.end(trailingHeaders.map { HTTPHeaders($0) }), promise: nil)
    }
}
