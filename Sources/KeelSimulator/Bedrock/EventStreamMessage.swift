import NIOCore

/// One message of the AWS event-stream framing (`application/vnd.amazon.eventstream`), as
/// Bedrock's `converse-stream` sends them.
///
/// Layout, all integers big-endian: total length (UInt32), headers length (UInt32), CRC-32 of
/// those 8 bytes, the headers, the payload, CRC-32 of everything before it. Each header is its
/// name's length (UInt8), the name, the type 7 (string), the value's length (UInt16), the value.
struct EventStreamMessage: Sendable {
    /// The headers in order: `:event-type` (or `:exception-type`), `:content-type`, `:message-type`.
    var headers: [(name: String, value: String)]
    var payload: [UInt8]

    /// An `event` message of `type` with a JSON payload.
    static func event(_ type: String, json: String) -> Self {
        Self(
            headers: [(":event-type", type), (":content-type", "application/json"), (":message-type", "event")],
            payload: Array(json.utf8))
    }

    /// An `exception` message, as a stream error arrives after the head.
    static func exception(_ type: String, json: String) -> Self {
        Self(
            headers: [(":exception-type", type), (":content-type", "application/json"), (":message-type", "exception")],
            payload: Array(json.utf8))
    }

    /// The framed bytes.
    var bytes: [UInt8] {
        var headerBytes: [UInt8] = []
        for header in self.headers {
            let name = Array(header.name.utf8)
            let value = Array(header.value.utf8)
            headerBytes.append(UInt8(name.count))
            headerBytes += name
            headerBytes.append(7)
            headerBytes.append(UInt8(value.count >> 8))
            headerBytes.append(UInt8(value.count & 0xFF))
            headerBytes += value
        }
        let total = 12 + headerBytes.count + self.payload.count + 4
        var bytes: [UInt8] = []
        bytes.reserveCapacity(total)
        Self.append(UInt32(total), to: &bytes)
        Self.append(UInt32(headerBytes.count), to: &bytes)
        Self.append(CRC32.checksum(bytes), to: &bytes)
        bytes += headerBytes
        bytes += self.payload
        Self.append(CRC32.checksum(bytes), to: &bytes)
        return bytes
    }

    var buffer: ByteBuffer {
        ByteBuffer(bytes: self.bytes)
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes.append(UInt8(value >> 24))
        bytes.append(UInt8((value >> 16) & 0xFF))
        bytes.append(UInt8((value >> 8) & 0xFF))
        bytes.append(UInt8(value & 0xFF))
    }
}
