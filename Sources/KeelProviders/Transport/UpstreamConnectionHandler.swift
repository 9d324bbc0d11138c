public import NIOCore
import NIOHTTP1

/// Drives one exchange at a time on an upstream HTTP/1.1 connection: writes the request, arms the
/// timers, hands the head over, streams the body with back-pressure, and returns the connection to
/// the pool when a keep-alive response has ended. Lives on its channel's event loop.
final class UpstreamConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private enum State {
        case idle
        case waitingForHead(EventLoopPromise<(HTTPResponseHead, HTTP1UpstreamClient.ResponseBody)>, reused: Bool, collect: Bool)
        case streaming(HTTP1UpstreamClient.Body.Source, keepAlive: Bool)
        /// Gathering a whole (non-streaming) answer before handing it over in one piece.
        case collecting(EventLoopPromise<(HTTPResponseHead, HTTP1UpstreamClient.ResponseBody)>, HTTPResponseHead, ByteBuffer)
        /// The consumer dropped the body: discard the rest and close at its end.
        case draining
        case closed
    }

    private let client: HTTP1UpstreamClient
    private let decoder: UpstreamResponseDecoder
    private var state = State.idle
    private var context: ChannelHandlerContext?
    /// The exchange's idle timeout (set when it starts).
    private var idleTimeout = TimeAmount.zero
    /// One timer for the first-byte, idle and total timeouts, armed for the earliest of them
    /// (``nextDeadline``). Body bytes do not re-arm it: when it fires early it is armed again.
    private var timer: Scheduled<Void>?
    /// When the armed timer fires.
    private var timerDue = NIODeadline.distantFuture
    /// When the first body byte must have arrived; `nil` once it has.
    private var firstByteDeadline: NIODeadline?
    private var totalDeadline = NIODeadline.distantFuture
    /// When body bytes last arrived (for the idle timeout, once the first byte is in).
    private var lastActivity = NIODeadline.distantPast
    /// Back-pressure: the consumer is behind, so `read` calls are held until it catches up.
    private var paused = false
    private var pendingRead = false
    /// Body bytes of a stream read since the last hand-over.
    private var unyielded = ByteBuffer()
    /// Identifies the exchange in progress, so a late signal from an earlier body is ignored.
    private var exchangeID = 0

    init(client: HTTP1UpstreamClient, decoder: UpstreamResponseDecoder) {
        self.client = client
        self.decoder = decoder
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Starts an exchange: writes `request` (head and body, serialised) and waits for the answer.
    /// Must be called on the event loop, with the connection idle.
    func start(
        request: UpstreamWireRequest,
        timeouts: UpstreamTimeouts,
        reused: Bool,
        collect: Bool
    ) -> EventLoopFuture<(HTTPResponseHead, HTTP1UpstreamClient.ResponseBody)> {
        guard let context = self.context, case .idle = self.state else {
            return self.client.group.any().makeFailedFuture(HTTP1UpstreamError.closedBeforeResponse(reused: reused))
        }
        let promise = context.eventLoop.makePromise(of: (HTTPResponseHead, HTTP1UpstreamClient.ResponseBody).self)
        self.state = .waitingForHead(promise, reused: reused, collect: collect)
        self.exchangeID &+= 1
        self.idleTimeout = TimeAmount(timeouts.idle)
        self.paused = false
        let now = NIODeadline.now()
        self.firstByteDeadline = now + TimeAmount(timeouts.firstByte)
        self.totalDeadline = now + TimeAmount(timeouts.total)
        self.armTimer(context: context)
        self.decoder.expectResponse(to: request.method)
        if let body = request.separateBody {
            context.write(self.wrapOutboundOut(.byteBuffer(request.bytes)), promise: nil)
            context.writeAndFlush(self.wrapOutboundOut(.byteBuffer(body)), promise: nil)
        } else {
            context.writeAndFlush(self.wrapOutboundOut(.byteBuffer(request.bytes)), promise: nil)
        }
        return promise.futureResult
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            guard case .waitingForHead(let promise, _, let collect) = self.state else { return }
            if collect {
                self.state = .collecting(promise, head, context.channel.allocator.buffer(capacity: 0))
                return
            }
            let delegate = UpstreamBodyDelegate(
                handler: NIOLoopBound(self, eventLoop: context.eventLoop),
                eventLoop: context.eventLoop,
                exchangeID: self.exchangeID
            )
            let sequence = HTTP1UpstreamClient.Body.makeSequence(
                backPressureStrategy: .init(lowWatermark: 2, highWatermark: 16),
                finishOnDeinit: false,
                delegate: delegate
            )
            self.state = .streaming(sequence.source, keepAlive: head.isKeepAlive)
            let channel = context.channel
            promise.succeed((head, .stream(sequence.sequence, abort: { channel.close(promise: nil) })))
        case .body(var buffer):
            switch self.state {
            case .collecting(let promise, let head, var collected):
                self.noteActivity(context: context)
                guard collected.readableBytes + buffer.readableBytes <= HTTP1UpstreamClient.maxCollectedBody else {
                    self.fail(with: .invalidResponse)
                    context.close(promise: nil)
                    return
                }
                self.state = .idle  // drop the state's reference so `collected` stays uniquely owned
                if collected.readableBytes == 0 {
                    collected = buffer
                } else {
                    collected.writeBuffer(&buffer)
                }
                self.state = .collecting(promise, head, collected)
            case .streaming:
                // The first-byte timer runs until the first body byte (for a stream: the first
                // event); from then on the idle timer watches the gaps.
                self.noteActivity(context: context)
                // Parts of one socket read are handed over together at its end (one wake-up of
                // the relay, one write to the client), never held past that read.
                if self.unyielded.readableBytes == 0 {
                    self.unyielded = buffer
                } else {
                    self.unyielded.writeBuffer(&buffer)
                }
            default:
                break
            }
        case .end:
            switch self.state {
            case .collecting(let promise, let head, let collected):
                self.cancelTimers()
                self.state = .idle
                if head.isKeepAlive {
                    self.client.release(.init(channel: context.channel, handler: NIOLoopBound(self, eventLoop: context.eventLoop), reused: true))
                } else {
                    context.close(promise: nil)
                }
                promise.succeed((head, .complete(collected)))
            case .streaming(let source, let keepAlive):
                self.cancelTimers()
                self.state = .idle
                self.yieldUnyielded(to: source)
                source.finish()
                if keepAlive {
                    self.client.release(.init(channel: context.channel, handler: NIOLoopBound(self, eventLoop: context.eventLoop), reused: true))
                } else {
                    context.close(promise: nil)
                }
            case .draining:
                self.cancelTimers()
                self.state = .closed
                context.close(promise: nil)
            default:
                break
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .streaming(let source, _) = self.state {
            self.yieldUnyielded(to: source)
        }
        context.fireChannelReadComplete()
    }

    private func yieldUnyielded(to source: HTTP1UpstreamClient.Body.Source) {
        guard self.unyielded.readableBytes > 0 else { return }
        let buffer = self.unyielded
        self.unyielded = ByteBuffer()
        if source.yield(buffer) == .stopProducing { self.paused = true }
    }

    func read(context: ChannelHandlerContext) {
        if self.paused {
            self.pendingRead = true
        } else {
            context.read()
        }
    }

    /// The consumer wants more: resume reading.
    func produceMore(exchangeID: Int) {
        guard exchangeID == self.exchangeID else { return }
        self.paused = false
        if self.pendingRead, let context = self.context {
            self.pendingRead = false
            context.read()
        }
    }

    /// The consumer stopped listening. Before the end of the body the connection cannot be
    /// reused, so it closes.
    func bodyTerminated(exchangeID: Int) {
        guard exchangeID == self.exchangeID, case .streaming = self.state, let context = self.context else { return }
        self.state = .draining
        self.unyielded = ByteBuffer()
        self.cancelTimers()
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.fail(with: nil)
        self.client.connectionClosed(context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail(with: error is HTTPParserError ? HTTP1UpstreamError.invalidResponse : nil)
        context.close(promise: nil)
    }

    private func fail(with error: HTTP1UpstreamError?) {
        self.cancelTimers()
        switch self.state {
        case .waitingForHead(let promise, let reused, _):
            self.state = .closed
            promise.fail(error ?? .closedBeforeResponse(reused: reused))
        case .collecting(let promise, _, _):
            self.state = .closed
            promise.fail(error ?? .closedMidBody)
        case .streaming(let source, _):
            self.state = .closed
            self.yieldUnyielded(to: source)
            source.finish(error ?? .closedMidBody)
        case .idle, .draining, .closed:
            self.state = .closed
        }
    }

    /// The earliest moment a timeout can expire: the first-byte deadline until body bytes
    /// arrive, then the idle deadline from the last of them; never later than the total.
    private var nextDeadline: NIODeadline {
        let watched = self.firstByteDeadline ?? (self.lastActivity + self.idleTimeout)
        return min(watched, self.totalDeadline)
    }

    private func armTimer(context: ChannelHandlerContext) {
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let id = self.exchangeID
        self.timerDue = self.nextDeadline
        self.timer = context.eventLoop.scheduleTask(deadline: self.timerDue) { handler.value.timerFired(exchangeID: id) }
    }

    /// Body bytes arrived. The first one ends the first-byte wait, and the timer moves to the idle
    /// deadline when that comes sooner; later ones only note the time.
    private func noteActivity(context: ChannelHandlerContext) {
        self.lastActivity = .now()
        guard self.firstByteDeadline != nil else { return }
        self.firstByteDeadline = nil
        if self.nextDeadline < self.timerDue {
            self.timer?.cancel()
            self.armTimer(context: context)
        }
    }

    private func timerFired(exchangeID: Int) {
        guard exchangeID == self.exchangeID, let context = self.context else { return }
        self.timer = nil
        let now = NIODeadline.now()
        let expired: HTTP1UpstreamError?
        if let firstByte = self.firstByteDeadline, now >= firstByte {
            expired = .firstByteTimeout
        } else if now >= self.totalDeadline {
            expired = .totalTimeout
        } else if now >= self.nextDeadline {
            expired = .idleTimeout
        } else {
            expired = nil
        }
        guard let expired else {
            self.armTimer(context: context)
            return
        }
        self.fail(with: expired)
        context.close(promise: nil)
    }

    private func cancelTimers() {
        self.timer?.cancel()
        self.timer = nil
        self.firstByteDeadline = nil
    }
}

/// Connects a response body's back-pressure and termination to its connection handler.
public struct UpstreamBodyDelegate: NIOAsyncSequenceProducerDelegate {
    let handler: NIOLoopBound<UpstreamConnectionHandler>
    let eventLoop: any EventLoop
    let exchangeID: Int

    public func produceMore() {
        let (handler, id) = (self.handler, self.exchangeID)
        if self.eventLoop.inEventLoop {
            handler.value.produceMore(exchangeID: id)
        } else {
            self.eventLoop.execute { handler.value.produceMore(exchangeID: id) }
        }
    }

    public func didTerminate() {
        let (handler, id) = (self.handler, self.exchangeID)
        self.eventLoop.execute { handler.value.bodyTerminated(exchangeID: id) }
    }
}
