import HTTPTypes
import HummingbirdCore
import NIOCore

/// HTTP/1.1 response serialisation for ``GatewayConnectionHandler``.
enum HTTP1Response {
    /// How a response's body is delimited and whether the connection stays open after it.
    struct Framing: Sendable {
        var keepAlive: Bool
        /// A response to `HEAD`: the head only.
        var omitBody: Bool
        /// Chunked transfer encoding (the length is not known up front).
        var chunked = false

        init(keepAlive: Bool, omitBody: Bool) {
            self.keepAlive = keepAlive
            self.omitBody = omitBody
        }
    }

    /// The status line and header block of `response`, with Keel's own framing headers
    /// (`content-length` or `transfer-encoding`, and `connection: close` when the connection
    /// ends). A status that never has a body (1xx, 204, 304) gets neither.
    static func head(_ response: HTTPResponse, contentLength: Int?, framing: inout Framing, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 256 + response.headerFields.count * 48)
        let code = response.status.code
        buffer.writeStaticString("HTTP/1.1 ")
        buffer.writeString(String(code))
        buffer.writeStaticString(" ")
        buffer.writeString(response.status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        for field in response.headerFields {
            switch field.name {
            case .contentLength, .transferEncoding, .connection: continue
            default: break
            }
            Self.write(field, into: &buffer)
        }
        if code < 200 || code == 204 || code == 304 {
            framing.omitBody = true
            framing.chunked = false
        } else if let contentLength {
            framing.chunked = false
            buffer.writeStaticString("content-length: ")
            buffer.writeString(String(contentLength))
            buffer.writeStaticString("\r\n")
        } else {
            framing.chunked = true
            buffer.writeStaticString("transfer-encoding: chunked\r\n")
        }
        if !framing.keepAlive {
            buffer.writeStaticString("connection: close\r\n")
        }
        buffer.writeStaticString("\r\n")
        return buffer
    }

    /// One `name: value` header line.
    static func write(_ field: HTTPField, into buffer: inout ByteBuffer) {
        buffer.writeString(field.name.rawName)
        buffer.writeStaticString(": ")
        buffer.writeString(field.value)
        buffer.writeStaticString("\r\n")
    }

    /// Closes `channel` once everything written before has reached the socket.
    static func closeAfterWrites(_ channel: any Channel) {
        let flushed: EventLoopFuture<Void> = channel.writeAndFlush(IOData.byteBuffer(ByteBuffer()))
        flushed.whenComplete { _ in channel.close(promise: nil) }
    }
}

/// Writes a response body to the channel after its head.
///
/// - A fixed-length body joins the head in one buffer (up to 64 KiB; beyond, buffers are written
///   as they are) and leaves in one flush at the end.
/// - A streamed body is written chunk by chunk, each flushed at once. While the socket accepts
///   data a chunk is not awaited; once the channel is unwritable (the client reads slower than
///   the upstream writes), each write is awaited, so a slow client slows the relay instead of
///   growing a buffer.
struct ChannelResponseWriter: ResponseBodyWriter {
    let channel: any Channel
    let framing: HTTP1Response.Framing
    /// Bytes not written yet: the head, and the start of a fixed-length body.
    var pending: ByteBuffer?

    static let joinLimit = 64 << 10

    init(channel: any Channel, framing: HTTP1Response.Framing, pending: ByteBuffer) {
        self.channel = channel
        self.framing = framing
        self.pending = pending
    }

    mutating func write(_ buffer: ByteBuffer) async throws {
        if self.framing.omitBody || buffer.readableBytes == 0 { return }
        if self.framing.chunked {
            try await self.writeChunk(buffer)
            return
        }
        if var pending = self.pending {
            self.pending = nil
            if pending.readableBytes + buffer.readableBytes <= Self.joinLimit {
                pending.writeImmutableBuffer(buffer)
                self.pending = pending
                return
            }
            self.channel.write(IOData.byteBuffer(pending), promise: nil)
        }
        self.channel.write(IOData.byteBuffer(buffer), promise: nil)
    }

    private mutating func writeChunk(_ buffer: ByteBuffer) async throws {
        var frame = self.pending ?? self.channel.allocator.buffer(capacity: buffer.readableBytes + 16)
        self.pending = nil
        frame.writeString(String(buffer.readableBytes, radix: 16))
        frame.writeStaticString("\r\n")
        let written: EventLoopFuture<Void>
        if buffer.readableBytes <= Self.joinLimit {
            frame.writeImmutableBuffer(buffer)
            frame.writeStaticString("\r\n")
            written = self.channel.writeAndFlush(IOData.byteBuffer(frame))
        } else {
            self.channel.write(IOData.byteBuffer(frame), promise: nil)
            self.channel.write(IOData.byteBuffer(buffer), promise: nil)
            written = self.channel.writeAndFlush(IOData.byteBuffer(ByteBuffer(staticString: "\r\n")))
        }
        if !self.channel.isWritable { try await written.get() }
    }

    /// Ends the response without waiting for the flush: nothing follows it on this request, and
    /// a client that is gone already shows as a failed write or a closed channel.
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        var last = self.pending ?? self.channel.allocator.buffer(capacity: 8)
        if self.framing.chunked && !self.framing.omitBody {
            last.writeStaticString("0\r\n")
            for field in trailingHeaders ?? [:] {
                HTTP1Response.write(field, into: &last)
            }
            last.writeStaticString("\r\n")
        }
        let written: EventLoopFuture<Void> = self.channel.writeAndFlush(IOData.byteBuffer(last))
        if !self.framing.keepAlive {
            let channel = self.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
