import KeelCore
public import NIOCore

/// Splits an `application/vnd.amazon.eventstream` byte stream into messages, across chunk
/// boundaries, verifying both checksums of every message.
///
/// A message is: total length (UInt32 BE), headers length (UInt32 BE), the CRC32 of those 8
/// bytes, the headers, the payload, and the CRC32 of everything before it. A header is a name
/// (UInt8 length + UTF-8), a type byte and a typed value; strings (type 7) are kept, every other
/// type is skipped by its size (0/1 booleans: none; 2 byte: 1; 3 short: 2; 4 int: 4; 5 long: 8;
/// 6 bytes: UInt16 length + bytes; 8 timestamp: 8; 9 UUID: 16).
///
/// Reference: https://docs.aws.amazon.com/AmazonS3/latest/API/RESTSelectObjectAppendix.html and
/// the `aws-c-event-stream` format.
public struct AWSEventStreamDecoder: Sendable {
    /// One decoded message: its string headers and its payload.
    public struct Message: Sendable, Equatable {
        public var headers: [String: String]
        public var payload: ByteBuffer
    }

    /// Why bytes are not a valid event stream.
    public enum FramingError: Error, Sendable, Equatable {
        case preludeChecksumMismatch
        case messageChecksumMismatch
        case invalidLength
        case invalidHeader
    }

    /// The largest message accepted (AWS caps event-stream messages at 16 MiB).
    public static let maxMessageLength = 16 << 20

    private var buffer = ByteBuffer()

    public init() {}

    /// Whether bytes of an incomplete message are held.
    public var hasPartialMessage: Bool { self.buffer.readableBytes > 0 }

    /// Appends `chunk` and returns every message it completes, in order.
    public mutating func messages(from chunk: ByteBuffer) throws(FramingError) -> [Message] {
        var chunk = chunk
        self.buffer.writeBuffer(&chunk)
        var messages: [Message] = []
        while self.buffer.readableBytes >= 12 {
            let start = self.buffer.readerIndex
            let totalLength = Int(self.buffer.getInteger(at: start, endianness: .big, as: UInt32.self)!)
            let headersLength = Int(self.buffer.getInteger(at: start + 4, endianness: .big, as: UInt32.self)!)
            let preludeCRC = self.buffer.getInteger(at: start + 8, endianness: .big, as: UInt32.self)!
            let computed = self.buffer.withUnsafeReadableBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<8])) }
            guard computed == preludeCRC else { throw .preludeChecksumMismatch }
            guard totalLength >= 16, totalLength <= Self.maxMessageLength, headersLength <= totalLength - 16 else {
                throw .invalidLength
            }
            guard self.buffer.readableBytes >= totalLength else { break }
            let messageCRC = self.buffer.getInteger(at: start + totalLength - 4, endianness: .big, as: UInt32.self)!
            let computedMessage = self.buffer.withUnsafeReadableBytes {
                CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<(totalLength - 4)]))
            }
            guard computedMessage == messageCRC else { throw .messageChecksumMismatch }
            let headers = try Self.headers(self.buffer.getSlice(at: start + 12, length: headersLength)!)
            let payload = self.buffer.getSlice(at: start + 12 + headersLength, length: totalLength - 16 - headersLength)!
            messages.append(Message(headers: headers, payload: payload))
            self.buffer.moveReaderIndex(forwardBy: totalLength)
        }
        if self.buffer.readableBytes == 0 {
            self.buffer.clear()
        } else if self.buffer.readerIndex > 64 << 10 {
            self.buffer.discardReadBytes()
        }
        return messages
    }

    static func headers(_ bytes: ByteBuffer) throws(FramingError) -> [String: String] {
        var bytes = bytes
        var headers: [String: String] = [:]
        while bytes.readableBytes > 0 {
            guard let nameLength = bytes.readInteger(as: UInt8.self), let name = bytes.readString(length: Int(nameLength)),
                let type = bytes.readInteger(as: UInt8.self)
            else { throw .invalidHeader }
            let skip: Int
            switch type {
            case 0, 1: skip = 0
            case 2: skip = 1
            case 3: skip = 2
            case 4: skip = 4
            case 5, 8: skip = 8
            case 9: skip = 16
            case 6, 7:
                guard let length = bytes.readInteger(endianness: .big, as: UInt16.self) else { throw .invalidHeader }
                if type == 7 {
                    guard let value = bytes.readString(length: Int(length)) else { throw .invalidHeader }
                    headers[name] = value
                    continue
                }
                skip = Int(length)
            default:
                throw .invalidHeader
            }
            guard bytes.readableBytes >= skip else { throw .invalidHeader }
            bytes.moveReaderIndex(forwardBy: skip)
        }
        return headers
    }
}
