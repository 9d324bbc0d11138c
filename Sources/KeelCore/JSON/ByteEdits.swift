public import NIOCore

/// Replacements at byte ranges of a body, applied in one pass without touching other bytes.
public struct ByteEdits: Sendable {
    public struct Edit: Sendable {
        /// Range in the original bytes (empty for an insertion).
        public let range: Range<Int>
        public let replacement: String

        public init(range: Range<Int>, replacement: String) {
            self.range = range
            self.replacement = replacement
        }
    }

    public private(set) var edits: [Edit] = []

    public init() {}

    public var isEmpty: Bool { self.edits.isEmpty }

    public mutating func replace(_ range: Range<Int>, with text: String) {
        self.edits.append(Edit(range: range, replacement: text))
    }

    public mutating func insert(_ text: String, at offset: Int) {
        self.edits.append(Edit(range: offset..<offset, replacement: text))
    }

    /// `buffer` with every edit applied. Edits must not overlap.
    public func applied(to buffer: ByteBuffer) -> ByteBuffer {
        guard !self.edits.isEmpty else { return buffer }
        let sorted = self.edits.sorted { $0.range.lowerBound < $1.range.lowerBound }
        var output = ByteBufferAllocator().buffer(capacity: buffer.readableBytes + sorted.reduce(0) { $0 + $1.replacement.utf8.count })
        var position = 0
        for edit in sorted {
            if edit.range.lowerBound > position {
                output.writeImmutableBuffer(buffer.getSlice(at: buffer.readerIndex + position, length: edit.range.lowerBound - position)!)
            }
            output.writeString(edit.replacement)
            position = max(position, edit.range.upperBound)
        }
        if position < buffer.readableBytes {
            output.writeImmutableBuffer(buffer.getSlice(at: buffer.readerIndex + position, length: buffer.readableBytes - position)!)
        }
        return output
    }
}
