import NIOCore
import NIOHTTP1

/// An upstream request serialised as HTTP/1.1: the request line, headers and (when small) the
/// body in one buffer, so it leaves in one write with no encoder handler in the pipeline.
struct UpstreamWireRequest: Sendable {
    /// Bodies up to this size join the head in one buffer; a larger one is written after it as it
    /// is, without a copy.
    static let joinLimit = 64 << 10

    let method: HTTPMethod
    var bytes: ByteBuffer
    /// The body, when it is too large to join the head.
    var separateBody: ByteBuffer?

    /// `POST path` to `host`, with `headers` (minus any `host`, `content-length`,
    /// `transfer-encoding` and `connection` of their own, which this sets), and `body`.
    /// Returns `nil` when a header name or value holds CR, LF or NUL.
    init?(post path: String, host: String, headers: HTTPHeaders, body: ByteBuffer) {
        self.init(.POST, path: path, host: host, headers: headers, body: body)
    }

    /// `method path` to `host`, as ``init(post:host:headers:body:)`` writes a `POST`.
    init?(_ method: HTTPMethod, path: String, host: String, headers: HTTPHeaders, body: ByteBuffer) {
        self.method = method
        let joined = body.readableBytes <= Self.joinLimit
        var bytes = ByteBuffer()
        bytes.reserveCapacity(256 + path.utf8.count + headers.count * 64 + (joined ? body.readableBytes : 0))
        if method == .POST {
            bytes.writeStaticString("POST ")
        } else {
            bytes.writeString(method.rawValue + " ")
        }
        bytes.writeString(path)
        bytes.writeStaticString(" HTTP/1.1\r\nhost: ")
        bytes.writeString(host)
        bytes.writeStaticString("\r\n")
        for (name, value) in headers {
            if Self.isFraming(name) { continue }
            guard Self.isSafe(name), Self.isSafe(value) else { return nil }
            bytes.writeString(name)
            bytes.writeStaticString(": ")
            bytes.writeString(value)
            bytes.writeStaticString("\r\n")
        }
        bytes.writeStaticString("content-length: ")
        bytes.writeString(String(body.readableBytes))
        bytes.writeStaticString("\r\n\r\n")
        if joined {
            bytes.writeImmutableBuffer(body)
            self.separateBody = nil
        } else {
            self.separateBody = body
        }
        self.bytes = bytes
    }

    private static func isFraming(_ name: String) -> Bool {
        switch name.utf8.count {
        case 4: name.caseInsensitiveEquals("host")
        case 10: name.caseInsensitiveEquals("connection")
        case 14: name.caseInsensitiveEquals("content-length")
        case 17: name.caseInsensitiveEquals("transfer-encoding")
        default: false
        }
    }

    /// No CR, LF or NUL: the text cannot end a header line or smuggle another.
    private static func isSafe(_ text: String) -> Bool {
        !text.utf8.contains { $0 == 13 || $0 == 10 || $0 == 0 }
    }
}

extension String {
    /// ASCII case-insensitive equality with a lowercase `other`.
    fileprivate func caseInsensitiveEquals(_ other: StaticString) -> Bool {
        let lhs = self.utf8
        guard lhs.count == other.utf8CodeUnitCount else { return false }
        return other.withUTF8Buffer { rhs in
            zip(lhs, rhs).allSatisfy { a, b in (a | 0x20) == b || a == b }
        }
    }
}

/// NIO's HTTP/1.1 response decoder, told of each request by the connection handler rather than
/// by observing written request parts (requests leave as bytes): it needs the method to know
/// that a response to `HEAD` has no body.
struct UpstreamResponseDecoder: ByteToMessageDecoder {
    typealias InboundOut = HTTPClientResponsePart

    private let decoder = HTTPResponseDecoder(leftOverBytesStrategy: .fireError)
    private static let post = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/")

    /// The next response answers a request with `method`.
    func expectResponse(to method: HTTPMethod) {
        self.decoder.write(
            data: .head(method == .POST ? Self.post : HTTPRequestHead(version: .http1_1, method: method, uri: "/"))
        )
    }

    func decoderAdded(context: ChannelHandlerContext) {
        self.decoder.decoderAdded(context: context)
    }

    func decoderRemoved(context: ChannelHandlerContext) {
        self.decoder.decoderRemoved(context: context)
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        try self.decoder.decode(context: context, buffer: &buffer)
    }

    mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        try self.decoder.decodeLast(context: context, buffer: &buffer, seenEOF: seenEOF)
    }
}
