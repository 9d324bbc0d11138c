// floorproxy: minimal SwiftNIO HTTP/1.1 reverse proxy, to measure the CPU floor of a NIO proxy.
// One event loop thread; each client connection gets its own lazily opened keep-alive upstream
// connection. Modes: codec | codec-onewrite | raw (see README.md).
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

enum Mode: String {
    case codec
    case codecOnewrite = "codec-onewrite"
    case raw
}

struct Options {
    var mode = Mode.codec
    var host = "127.0.0.1"
    var port = 28080
    var upHost = "127.0.0.1"
    var upPort = 29090
}

func parseOptions() -> Options {
    var o = Options()
    var args = CommandLine.arguments.dropFirst().makeIterator()
    while let a = args.next() {
        func next() -> String {
            guard let v = args.next() else { fatalError("missing value for \(a)") }
            return v
        }
        switch a {
        case "--mode":
            guard let m = Mode(rawValue: next()) else { fatalError("bad --mode (codec|codec-onewrite|raw)") }
            o.mode = m
        case "--host": o.host = next()
        case "--port": o.port = Int(next())!
        case "--upstream-host": o.upHost = next()
        case "--upstream-port": o.upPort = Int(next())!
        default:
            print("usage: floorproxy --mode codec|codec-onewrite|raw [--port 28080] [--upstream-port 29090] [--host H] [--upstream-host H]")
            exit(2)
        }
    }
    return o
}

let opts = parseOptions()
let upstreamAddress = try! SocketAddress(ipAddress: opts.upHost, port: opts.upPort)
let upstreamHostHeader = "\(opts.upHost):\(opts.upPort)"

func connectUpstream(
    on loop: any EventLoop,
    _ initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
) -> EventLoopFuture<any Channel> {
    ClientBootstrap(group: loop)
        .channelOption(.tcpOption(.tcp_nodelay), value: 1)
        .channelInitializer(initializer)
        .connect(to: upstreamAddress)
}

// ASCII case-insensitive comparison of a header name against a lowercase literal.
@inline(__always)
func nameIs(_ name: String, _ lower: StaticString) -> Bool {
    var name = name
    return name.withUTF8 { n in
        guard n.count == lower.utf8CodeUnitCount else { return false }
        let l = lower.utf8Start
        for i in 0..<n.count where (n[i] | 0x20) != l[i] { return false }
        return true
    }
}

// MARK: - Common pairing logic

/// Base for the client-side handler: owns the lazily connected upstream and queues what must be
/// sent before the upstream is active. All state is only touched on the (single) event loop.
class ServerSide: @unchecked Sendable {
    var context: ChannelHandlerContext?
    var upstreamContext: ChannelHandlerContext?  // context of the handler at the tail of the upstream pipeline
    var upstreamChannel: (any Channel)?
    var connecting = false
    var closed = false
    var pending: [NIOAny] = []

    func makeUpstreamPipeline(_ channel: any Channel) throws { fatalError("abstract") }

    func sendUpstream(_ data: NIOAny, flush: Bool) {
        if let up = self.upstreamContext {
            if flush { up.writeAndFlush(data, promise: nil) } else { up.write(data, promise: nil) }
            return
        }
        self.pending.append(data)
        guard !self.connecting, let context = self.context else { return }
        self.connecting = true
        connectUpstream(on: context.eventLoop) { ch in
            do {
                try self.makeUpstreamPipeline(ch)
                return ch.eventLoop.makeSucceededVoidFuture()
            } catch {
                return ch.eventLoop.makeFailedFuture(error)
            }
        }.whenComplete { result in
            switch result {
            case .success(let ch):
                self.upstreamChannel = ch
                if self.closed { ch.close(promise: nil) }
            case .failure:
                self.context?.close(promise: nil)
            }
        }
    }

    /// Called by the upstream handler's channelActive.
    func upstreamActive(_ ctx: ChannelHandlerContext) {
        self.upstreamContext = ctx
        let p = self.pending
        self.pending.removeAll()
        for d in p { ctx.write(d, promise: nil) }
        ctx.flush()
    }

    func upstreamInactive() {
        self.upstreamContext = nil
        self.upstreamChannel = nil
        if !self.closed { self.context?.close(promise: nil) }
    }

    func clientInactive() {
        self.closed = true
        self.upstreamChannel?.close(promise: nil)
        self.context = nil
    }
}

// MARK: - mode codec

final class CodecServerHandler: ServerSide, ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    override func makeUpstreamPipeline(_ channel: any Channel) throws {
        try channel.pipeline.syncOperations.addHTTPClientHandlers()
        try channel.pipeline.syncOperations.addHandler(CodecUpstreamHandler(server: self))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(var head):
            head.headers.replaceOrAdd(name: "Host", value: upstreamHostHeader)
            self.sendUpstream(NIOAny(HTTPClientRequestPart.head(head)), flush: false)
        case .body(let b):
            self.sendUpstream(NIOAny(HTTPClientRequestPart.body(.byteBuffer(b))), flush: false)
        case .end(let t):
            self.sendUpstream(NIOAny(HTTPClientRequestPart.end(t)), flush: true)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.clientInactive()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}

final class CodecUpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    let server: CodecServerHandler
    init(server: CodecServerHandler) { self.server = server }

    func channelActive(context: ChannelHandlerContext) {
        self.server.upstreamActive(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let s = self.server.context else { return }
        switch self.unwrapInboundIn(data) {
        case .head(let h): s.write(NIOAny(HTTPServerResponsePart.head(h)), promise: nil)
        case .body(let b): s.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(b))), promise: nil)
        case .end(let t): s.writeAndFlush(NIOAny(HTTPServerResponsePart.end(t)), promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.server.upstreamInactive()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}

// MARK: - mode codec-onewrite

/// HTTPResponseDecoder needs to see the request heads (to know about HEAD requests). We write raw
/// ByteBuffers, so this wrapper tells it "a POST went out" for every raw buffer written.
final class OneWriteResponseDecoder: WriteObservingByteToMessageDecoder {
    typealias InboundOut = HTTPClientResponsePart
    typealias OutboundIn = ByteBuffer
    let inner = HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)
    static let postHead = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/")

    func write(data: ByteBuffer) { self.inner.write(data: .head(Self.postHead)) }
    func decoderAdded(context: ChannelHandlerContext) { self.inner.decoderAdded(context: context) }
    func decoderRemoved(context: ChannelHandlerContext) { self.inner.decoderRemoved(context: context) }
    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        try self.inner.decode(context: context, buffer: &buffer)
    }
    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try self.inner.decodeLast(context: context, buffer: &buffer, seenEOF: seenEOF)
    }
}

final class OneWriteServerHandler: ServerSide, ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer
    var head: HTTPRequestHead?
    var body: ByteBuffer?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    override func makeUpstreamPipeline(_ channel: any Channel) throws {
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(OneWriteResponseDecoder()))
        try channel.pipeline.syncOperations.addHandler(OneWriteUpstreamHandler(server: self))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let h):
            self.head = h
            self.body = nil
        case .body(var b):
            if self.body == nil { self.body = b } else { self.body!.writeBuffer(&b) }
        case .end:
            guard let head = self.head else { return }
            let bodyLen = self.body?.readableBytes ?? 0
            var out = context.channel.allocator.buffer(capacity: 512 + bodyLen)
            out.writeString(head.method.rawValue)
            out.writeStaticString(" ")
            out.writeString(head.uri)
            out.writeStaticString(" HTTP/1.1\r\n")
            for (name, value) in head.headers {
                if nameIs(name, "host") || nameIs(name, "content-length") || nameIs(name, "transfer-encoding") { continue }
                out.writeString(name)
                out.writeStaticString(": ")
                out.writeString(value)
                out.writeStaticString("\r\n")
            }
            out.writeStaticString("Host: ")
            out.writeString(upstreamHostHeader)
            out.writeStaticString("\r\nContent-Length: ")
            out.writeString(String(bodyLen))
            out.writeStaticString("\r\n\r\n")
            if var b = self.body { out.writeBuffer(&b) }
            self.head = nil
            self.body = nil
            self.sendUpstream(NIOAny(out), flush: true)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.clientInactive()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}

final class OneWriteUpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    let server: OneWriteServerHandler
    var head: HTTPResponseHead?
    var body: ByteBuffer?
    init(server: OneWriteServerHandler) { self.server = server }

    func channelActive(context: ChannelHandlerContext) {
        self.server.upstreamActive(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let h):
            self.head = h
            self.body = nil
        case .body(var b):
            if self.body == nil { self.body = b } else { self.body!.writeBuffer(&b) }
        case .end:
            guard let head = self.head, let s = self.server.context else { return }
            let bodyLen = self.body?.readableBytes ?? 0
            var out = context.channel.allocator.buffer(capacity: 512 + bodyLen)
            out.writeStaticString("HTTP/1.1 ")
            out.writeString(String(head.status.code))
            out.writeStaticString(" ")
            out.writeString(head.status.reasonPhrase)
            out.writeStaticString("\r\n")
            for (name, value) in head.headers {
                if nameIs(name, "content-length") || nameIs(name, "transfer-encoding") { continue }
                out.writeString(name)
                out.writeStaticString(": ")
                out.writeString(value)
                out.writeStaticString("\r\n")
            }
            out.writeStaticString("Content-Length: ")
            out.writeString(String(bodyLen))
            out.writeStaticString("\r\n\r\n")
            if var b = self.body { out.writeBuffer(&b) }
            self.head = nil
            self.body = nil
            s.writeAndFlush(NIOAny(out), promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.server.upstreamInactive()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}

// MARK: - mode raw

/// Length of the first complete HTTP/1.1 message (head + Content-Length body) in `buf`, or nil if
/// incomplete. Content-Length only (absent = 0); no chunked encoding.
@inline(__always)
func completeMessageLength(_ buf: ByteBuffer) -> Int? {
    buf.withUnsafeReadableBytes { p -> Int? in
        let n = p.count
        guard n >= 4, let base = p.baseAddress else { return nil }
        let b = p.bindMemory(to: UInt8.self)
        // Find "\r\n\r\n" (memchr for '\n', then check around it).
        var headEnd = -1
        var s = 3
        while s < n {
            guard let hit = memchr(base + s, 0x0A, n - s) else { return nil }
            let at = base.distance(to: UnsafeRawPointer(hit))
            if b[at - 1] == 0x0D && b[at - 2] == 0x0A && b[at - 3] == 0x0D {
                headEnd = at + 1
                break
            }
            s = at + 2
        }
        guard headEnd > 0 else { return nil }
        // Scan header lines (skip the start line) for "content-length:".
        let key: StaticString = "content-length:"
        let k = key.utf8Start
        let klen = key.utf8CodeUnitCount
        var i = 0
        var contentLength = 0
        while i < headEnd - 2 {
            // i is at the start of a line.
            if i > 0, headEnd - i > klen {
                var match = true
                for j in 0..<klen where (b[i + j] | 0x20) != k[j] {
                    match = false
                    break
                }
                if match {
                    var v = i + klen
                    while b[v] == 0x20 || b[v] == 0x09 { v += 1 }
                    var value = 0
                    while b[v] >= 0x30 && b[v] <= 0x39 {
                        value = value * 10 + Int(b[v] - 0x30)
                        v += 1
                    }
                    contentLength = value
                    break
                }
            }
            // Advance to the next line.
            while i < headEnd - 2 && b[i] != 0x0A { i += 1 }
            i += 1
        }
        let total = headEnd + contentLength
        return n >= total ? total : nil
    }
}

/// Accumulates bytes and hands out complete messages.
struct RawFramer {
    var buffer: ByteBuffer?

    /// Feeds `data`; calls `emit` for every complete message. Returns the number emitted.
    @inline(__always)
    mutating func feed(_ data: ByteBuffer, _ emit: (ByteBuffer) -> Void) -> Int {
        var count = 0
        if self.buffer == nil {
            // Fast path: the read holds exactly one complete message -> forward it untouched.
            if let len = completeMessageLength(data), len == data.readableBytes {
                emit(data)
                return 1
            }
            self.buffer = data
        } else {
            var d = data
            self.buffer!.writeBuffer(&d)
        }
        while let len = completeMessageLength(self.buffer!) {
            emit(self.buffer!.readSlice(length: len)!)
            count += 1
            if self.buffer!.readableBytes == 0 {
                self.buffer = nil
                break
            }
        }
        if self.buffer != nil && self.buffer!.readerIndex > 0 {
            self.buffer!.discardReadBytes()  // rare: a partial message follows a complete one
        }
        return count
    }
}

final class RawServerHandler: ServerSide, ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    var framer = RawFramer()

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    override func makeUpstreamPipeline(_ channel: any Channel) throws {
        try channel.pipeline.syncOperations.addHandler(RawUpstreamHandler(server: self))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = self.unwrapInboundIn(data)
        let n = self.framer.feed(bytes) { self.sendUpstream(NIOAny($0), flush: false) }
        if n > 0 { self.upstreamContext?.flush() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.clientInactive()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}

final class RawUpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let server: RawServerHandler
    var framer = RawFramer()
    init(server: RawServerHandler) { self.server = server }

    func channelActive(context: ChannelHandlerContext) {
        self.server.upstreamActive(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let s = self.server.context else { return }
        let n = self.framer.feed(self.unwrapInboundIn(data)) { s.write(NIOAny($0), promise: nil) }
        if n > 0 { s.flush() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.server.upstreamInactive()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}

// MARK: - main

let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let mode = opts.mode
let bootstrap = ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { ch in
        do {
            let sync = ch.pipeline.syncOperations
            switch mode {
            case .codec:
                try sync.configureHTTPServerPipeline()
                try sync.addHandler(CodecServerHandler())
            case .codecOnewrite:
                try sync.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                try sync.addHandler(OneWriteServerHandler())
            case .raw:
                try sync.addHandler(RawServerHandler())
            }
            return ch.eventLoop.makeSucceededVoidFuture()
        } catch {
            return ch.eventLoop.makeFailedFuture(error)
        }
    }

let server = try bootstrap.bind(host: opts.host, port: opts.port).wait()
print("floorproxy mode=\(mode.rawValue) listening on \(server.localAddress!) -> \(upstreamAddress)")
try server.closeFuture.wait()
