public import NIOCore

/// Splits a server-sent-events byte stream into complete lines, across chunk boundaries.
///
/// Feed each chunk as it arrives; every line the chunk completes is reported in order. A trailing
/// partial line is kept (``carry``) until the chunk that completes it. Lines end with `\n`; a
/// preceding `\r` is not part of the reported line.
public struct SSELineSplitter: Sendable {
    /// Bytes of a line that started in an earlier chunk and has not ended yet.
    public private(set) var carry: ByteBuffer?
    /// The maximum length of one line; a longer one throws ``LineTooLong``.
    public let maxLineLength: Int

    public struct LineTooLong: Error, Sendable {}

    public init(maxLineLength: Int = 16 << 20) {
        self.maxLineLength = maxLineLength
    }

    /// Called for each complete line: its content (without the newline), and the range of the
    /// chunk it occupies (for a line that began in an earlier chunk, the range starts at 0 and
    /// covers only this chunk's part of it).
    public typealias LineHandler = (_ line: UnsafeRawBufferPointer, _ chunkRange: Range<Int>) throws -> Void

    /// Reports every line `chunk` completes, in order. Returns the number of bytes of `chunk` that
    /// belong to complete lines (the rest is carried to the next call).
    @discardableResult
    public mutating func feed(_ chunk: ByteBuffer, onLine: LineHandler) throws -> Int {
        let consumed = try chunk.withUnsafeReadableBytes { bytes -> Int in
            var lineStart = 0
            if var carried = self.carry {
                guard let newline = ByteSearch.firstIndex(of: UInt8(ascii: "\n"), in: bytes) else { return 0 }
                carried.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[0...newline]))
                self.carry = nil
                try carried.withUnsafeReadableBytes { joined in
                    let end = Self.contentEnd(joined, newline: joined.count - 1)
                    try onLine(UnsafeRawBufferPointer(rebasing: joined[0..<end]), 0..<(newline + 1))
                }
                lineStart = newline + 1
            }
            while let newline = ByteSearch.firstIndex(of: UInt8(ascii: "\n"), in: bytes, from: lineStart) {
                let end = Self.contentEnd(bytes, newline: newline)
                try onLine(UnsafeRawBufferPointer(rebasing: bytes[lineStart..<end]), lineStart..<(newline + 1))
                lineStart = newline + 1
            }
            return lineStart
        }
        if consumed < chunk.readableBytes {
            let restLength = chunk.readableBytes - consumed
            let rest = chunk.getSlice(at: chunk.readerIndex + consumed, length: restLength)!
            if var carried = self.carry {
                guard carried.readableBytes + restLength <= self.maxLineLength else { throw LineTooLong() }
                carried.writeImmutableBuffer(rest)
                self.carry = carried
            } else {
                guard restLength <= self.maxLineLength else { throw LineTooLong() }
                var owned = ByteBufferAllocator().buffer(capacity: max(256, restLength * 2))
                owned.writeImmutableBuffer(rest)
                self.carry = owned
            }
        }
        return consumed
    }

    private static func contentEnd(_ bytes: UnsafeRawBufferPointer, newline: Int) -> Int {
        newline > 0 && bytes[newline - 1] == UInt8(ascii: "\r") ? newline - 1 : newline
    }
}
