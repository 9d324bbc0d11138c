/// The top-level members of a scanned JSON object, with typed readers for their values.
///
/// Valid only while the bytes it was scanned from are alive and unchanged; it holds the buffer
/// pointer, so use it inside the `withUnsafeReadableBytes` scope that produced it.
public struct JSONObjectIndex {
    public let members: [JSONScanner.Member]
    public let bytes: UnsafeRawBufferPointer

    /// The last member named `key` (JSON parsers commonly keep the last duplicate).
    public subscript(key: String) -> JSONScanner.Member? {
        self.members.last { $0.key == key }
    }

    public func string(_ member: JSONScanner.Member) -> String? {
        guard member.kind == .string else { return nil }
        return JSONScanner.decodeString(self.bytes, member.range)
    }

    public func bool(_ member: JSONScanner.Member) -> Bool? {
        guard member.kind == .bool else { return nil }
        return self.bytes[member.range.lowerBound] == UInt8(ascii: "t")
    }

    /// The member's value as an integer, when it is a JSON number with an integral value (`12`,
    /// `12.0`, `1.2e1`) that fits `Int`.
    public func int(_ member: JSONScanner.Member) -> Int? {
        guard member.kind == .number else { return nil }
        return JSONScanner.integer(self.slice(member))
    }

    /// The member's number as a `Double`.
    public func double(_ member: JSONScanner.Member) -> Double? {
        guard member.kind == .number else { return nil }
        return Double(self.text(member))
    }

    /// The raw JSON text of the member's value.
    public func text(_ member: JSONScanner.Member) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: self.bytes[member.range]), as: UTF8.self)
    }

    /// The member's value bytes, for scanning a nested object.
    public func slice(_ member: JSONScanner.Member) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self.bytes[member.range])
    }

    /// Counts the elements of an array member (0 for an empty array, `nil` when not an array).
    public func arrayCount(_ member: JSONScanner.Member) -> Int? {
        guard member.kind == .array else { return nil }
        var cursor = JSONScanner.Cursor(bytes: self.slice(member), maxDepth: Int.max)
        cursor.position = 1
        cursor.skipWhitespace()
        if cursor.position < cursor.bytes.count, cursor.bytes[cursor.position] == UInt8(ascii: "]") { return 0 }
        var count = 0
        while cursor.position < cursor.bytes.count {
            cursor.skipWhitespace()
            guard (try? cursor.value(depth: 0)) != nil else { return nil }
            count += 1
            cursor.skipWhitespace()
            guard cursor.position < cursor.bytes.count else { return nil }
            if cursor.bytes[cursor.position] == UInt8(ascii: "]") { return count }
            cursor.position += 1
        }
        return nil
    }

    /// The bytes of an array member's first element (`nil` for an empty array or not an array).
    public func firstElement(_ member: JSONScanner.Member) -> UnsafeRawBufferPointer? {
        guard member.kind == .array else { return nil }
        let array = self.slice(member)
        var cursor = JSONScanner.Cursor(bytes: array, maxDepth: Int.max)
        cursor.position = 1
        cursor.skipWhitespace()
        let start = cursor.position
        guard start < array.count, array[start] != UInt8(ascii: "]"), (try? cursor.value(depth: 0)) != nil else {
            return nil
        }
        return UnsafeRawBufferPointer(rebasing: array[start..<cursor.position])
    }
}
