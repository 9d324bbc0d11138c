/// A validating, allocation-light JSON scanner that indexes the members of one object.
///
/// Keel never decodes a whole request body into objects on the hot path: it validates the bytes
/// once, remembers where each top-level member's value lies, and reads only the fields the
/// pipeline needs. The original bytes can then be forwarded untouched, or with one value replaced.
///
/// ```swift
/// let index = try JSONScanner.indexObject(bytes, maxDepth: 64)
/// let model = index["model"].flatMap { index.string($0) }
/// ```
public enum JSONScanner {
    /// Why a document is not acceptable JSON, with the byte offset where it went wrong.
    public struct SyntaxError: Error, Sendable, Equatable {
        public enum Reason: String, Sendable {
            case unexpectedEnd = "unexpected end of input"
            case unexpectedCharacter = "unexpected character"
            case invalidString = "invalid string"
            case invalidNumber = "invalid number"
            case tooDeep = "nesting is too deep"
            case trailingData = "data after the JSON value"
            case notAnObject = "the JSON value is not an object"
        }

        public let reason: Reason
        public let offset: Int
    }

    /// The kind of a JSON value.
    public enum Kind: Sendable, Equatable {
        case object, array, string, number, bool, null
    }

    /// One member of an indexed object: its key and where its value lies in the scanned bytes.
    public struct Member: Sendable, Equatable {
        public let key: String
        public let range: Range<Int>
        public let kind: Kind
    }

    /// Validates `bytes` as a single JSON object and indexes its top-level members.
    ///
    /// - Throws: ``SyntaxError`` for malformed JSON, a value that is not an object, or nesting
    ///   deeper than `maxDepth`.
    public static func indexObject(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 64) throws(SyntaxError) -> JSONObjectIndex {
        var cursor = Cursor(bytes: bytes, maxDepth: maxDepth)
        cursor.skipWhitespace()
        guard cursor.position < bytes.count else { throw SyntaxError(reason: .unexpectedEnd, offset: cursor.position) }
        guard bytes[cursor.position] == UInt8(ascii: "{") else {
            // Still report malformed input as a syntax error rather than a shape error.
            _ = try cursor.value(depth: 0)
            cursor.skipWhitespace()
            guard cursor.position == bytes.count else { throw SyntaxError(reason: .trailingData, offset: cursor.position) }
            throw SyntaxError(reason: .notAnObject, offset: 0)
        }
        var members: [Member] = []
        members.reserveCapacity(12)
        try cursor.object(depth: 0, members: &members)
        cursor.skipWhitespace()
        guard cursor.position == bytes.count else { throw SyntaxError(reason: .trailingData, offset: cursor.position) }
        return JSONObjectIndex(members: members, bytes: bytes)
    }

    /// Validates `bytes` as one JSON value of any kind.
    public static func validate(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 64) throws(SyntaxError) -> Kind {
        var cursor = Cursor(bytes: bytes, maxDepth: maxDepth)
        cursor.skipWhitespace()
        let kind = try cursor.value(depth: 0)
        cursor.skipWhitespace()
        guard cursor.position == bytes.count else { throw SyntaxError(reason: .trailingData, offset: cursor.position) }
        return kind
    }

    /// Decodes the JSON string literal at `range` (quotes included), resolving escapes. The runs
    /// between escapes are copied whole, so a long text with a few `\n` costs about a copy.
    public static func decodeString(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String? {
        guard range.count >= 2, bytes[range.lowerBound] == UInt8(ascii: "\""), bytes[range.upperBound - 1] == UInt8(ascii: "\"")
        else { return nil }
        let inner = (range.lowerBound + 1)..<(range.upperBound - 1)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[inner])
        guard var escape = ByteSearch.firstIndex(of: UInt8(ascii: "\\"), in: slice) else {
            return String(decoding: slice, as: UTF8.self)
        }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(slice.count)
        var index = 0
        while true {
            decoded.append(contentsOf: UnsafeRawBufferPointer(rebasing: slice[index..<escape]))
            index = escape + 1
            guard index < slice.count else { return nil }
            switch slice[index] {
            case UInt8(ascii: "\""): decoded.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): decoded.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): decoded.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "u"):
                guard let unit = hex4(slice, index + 1) else { return nil }
                index += 4
                var scalarValue = UInt32(unit)
                if (0xD800..<0xDC00).contains(unit), index + 6 < slice.count,
                    slice[index + 1] == UInt8(ascii: "\\"), slice[index + 2] == UInt8(ascii: "u"),
                    let low = hex4(slice, index + 3), (0xDC00..<0xE000).contains(low)
                {
                    scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                    index += 6
                }
                UTF8.encode(Unicode.Scalar(scalarValue) ?? "\u{FFFD}") { decoded.append($0) }
            default:
                return nil
            }
            index += 1
            guard let next = ByteSearch.firstIndex(of: UInt8(ascii: "\\"), in: slice, from: index) else {
                decoded.append(contentsOf: UnsafeRawBufferPointer(rebasing: slice[index...]))
                return String(decoding: decoded, as: UTF8.self)
            }
            escape = next
        }
    }

    private static func hex4(_ bytes: UnsafeRawBufferPointer, _ start: Int) -> UInt16? {
        guard start + 4 <= bytes.count else { return nil }
        var value: UInt16 = 0
        for offset in 0..<4 {
            guard let digit = hexValue(bytes[start + offset]) else { return nil }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
