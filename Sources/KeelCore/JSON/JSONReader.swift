/// A validating pull reader over JSON bytes: walks a document once, descending only into the
/// members its caller asks for and validating (without decoding) everything it skips.
///
/// Stream observers read a handful of fields from every event (`choices[].finish_reason`,
/// `choices[].delta.content`, `usage`, `error`…). Searching the bytes for `"usage":{` looks
/// cheaper but is wrong for valid JSON the searcher did not expect (`"usage": {`, keys written
/// with `\u` escapes, the same key nested inside a tool's arguments); this reader sees exactly
/// what a full parse sees, at the cost of one pass and no allocation.
///
/// ```swift
/// var reader = JSONReader(bytes)
/// try reader.enterObject()
/// while let key = try reader.nextMember() {
///     if reader.key(key, is: "usage"), try reader.peek() == .object { usage = try reader.skipValue() }
///     else { _ = try reader.skipValue() }
/// }
/// try reader.finish()
/// ```
///
/// Duplicate keys are all reported, in order; a caller that keeps the last one behaves as common
/// JSON parsers do. Valid only while `bytes` is alive.
public struct JSONReader {
    /// A member's key: where its string literal (quotes included) lies, and whether it holds an
    /// escape (which a comparison must decode).
    public struct Key: Sendable, Equatable {
        public let range: Range<Int>
        public let hasEscape: Bool
    }

    private var cursor: JSONScanner.Cursor
    /// One bit per open container, set while it has not yet produced its first member or element.
    private var firstPending: UInt64 = 0
    /// One bit per open container, set when it is an object.
    private var objectBits: UInt64 = 0
    private var depth = 0

    public var bytes: UnsafeRawBufferPointer { self.cursor.bytes }

    public init(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 64) {
        self.cursor = JSONScanner.Cursor(bytes: bytes, maxDepth: min(maxDepth, 64))
    }

    private func fail(_ reason: JSONScanner.SyntaxError.Reason) -> JSONScanner.SyntaxError {
        JSONScanner.SyntaxError(reason: reason, offset: self.cursor.position)
    }

    /// The kind of the next value, without consuming it.
    public mutating func peek() throws(JSONScanner.SyntaxError) -> JSONScanner.Kind {
        self.cursor.skipWhitespace()
        guard self.cursor.position < self.bytes.count else { throw self.fail(.unexpectedEnd) }
        switch self.bytes[self.cursor.position] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: throw self.fail(.unexpectedCharacter)
        }
    }

    /// Validates and steps over the next value; returns where it lies.
    @discardableResult
    public mutating func skipValue() throws(JSONScanner.SyntaxError) -> Range<Int> {
        self.cursor.skipWhitespace()
        let start = self.cursor.position
        _ = try self.cursor.value(depth: self.depth)
        return start..<self.cursor.position
    }

    /// Opens the object that is the next value; read its members with ``nextMember()``.
    public mutating func enterObject() throws(JSONScanner.SyntaxError) {
        try self.enter(UInt8(ascii: "{"))
    }

    /// Opens the array that is the next value; step through it with ``nextElement()``.
    public mutating func enterArray() throws(JSONScanner.SyntaxError) {
        try self.enter(UInt8(ascii: "["))
    }

    private mutating func enter(_ opening: UInt8) throws(JSONScanner.SyntaxError) {
        self.cursor.skipWhitespace()
        guard self.cursor.position < self.bytes.count else { throw self.fail(.unexpectedEnd) }
        guard self.bytes[self.cursor.position] == opening else { throw self.fail(.unexpectedCharacter) }
        guard self.depth < self.cursor.maxDepth else { throw self.fail(.tooDeep) }
        self.cursor.position += 1
        self.firstPending |= 1 << UInt64(self.depth)
        if opening == UInt8(ascii: "{") {
            self.objectBits |= 1 << UInt64(self.depth)
        } else {
            self.objectBits &= ~(1 << UInt64(self.depth))
        }
        self.depth += 1
    }

    /// The next member's key of the open object, with the reader placed on its value (which the
    /// caller must read or skip); `nil` when the object ends (and is closed).
    public mutating func nextMember() throws(JSONScanner.SyntaxError) -> Key? {
        guard try self.advance(closing: UInt8(ascii: "}")) else { return nil }
        guard self.cursor.position < self.bytes.count else { throw self.fail(.unexpectedEnd) }
        guard self.bytes[self.cursor.position] == UInt8(ascii: "\"") else { throw self.fail(.unexpectedCharacter) }
        let start = self.cursor.position
        try self.cursor.string()
        let range = start..<self.cursor.position
        self.cursor.skipWhitespace()
        guard self.cursor.position < self.bytes.count else { throw self.fail(.unexpectedEnd) }
        guard self.bytes[self.cursor.position] == UInt8(ascii: ":") else { throw self.fail(.unexpectedCharacter) }
        self.cursor.position += 1
        let inner = UnsafeRawBufferPointer(rebasing: self.bytes[(range.lowerBound + 1)..<(range.upperBound - 1)])
        return Key(range: range, hasEscape: inner.contains(UInt8(ascii: "\\")))
    }

    /// Whether the open array has another element (the reader is then placed on it, and the
    /// caller must read or skip it); `false` when the array ends (and is closed).
    public mutating func nextElement() throws(JSONScanner.SyntaxError) -> Bool {
        try self.advance(closing: UInt8(ascii: "]"))
    }

    /// Steps past the separator before the next item of the open container, or past its end.
    private mutating func advance(closing: UInt8) throws(JSONScanner.SyntaxError) -> Bool {
        precondition(self.depth > 0, "no container is open")
        let bit: UInt64 = 1 << UInt64(self.depth - 1)
        self.cursor.skipWhitespace()
        guard self.cursor.position < self.bytes.count else { throw self.fail(.unexpectedEnd) }
        let byte = self.bytes[self.cursor.position]
        if self.firstPending & bit != 0 {
            self.firstPending &= ~bit
            if byte == closing {
                self.cursor.position += 1
                self.depth -= 1
                return false
            }
            return true
        }
        if byte == closing {
            self.cursor.position += 1
            self.depth -= 1
            return false
        }
        guard byte == UInt8(ascii: ",") else { throw self.fail(.unexpectedCharacter) }
        self.cursor.position += 1
        self.cursor.skipWhitespace()
        return true
    }

    /// Steps over the remaining members or elements of the open container and closes it.
    public mutating func leave() throws(JSONScanner.SyntaxError) {
        precondition(self.depth > 0, "no container is open")
        if self.objectBits & (1 << UInt64(self.depth - 1)) != 0 {
            while try self.nextMember() != nil { try self.skipValue() }
        } else {
            while try self.nextElement() { try self.skipValue() }
        }
    }

    /// Checks that only whitespace follows the value read.
    public mutating func finish() throws(JSONScanner.SyntaxError) {
        self.cursor.skipWhitespace()
        guard self.depth == 0 else { throw self.fail(.unexpectedEnd) }
        guard self.cursor.position == self.bytes.count else { throw self.fail(.trailingData) }
    }

    /// Whether `key` names `name`, escapes resolved.
    public func key(_ key: Key, is name: StaticString) -> Bool {
        let inner = (key.range.lowerBound + 1)..<(key.range.upperBound - 1)
        if !key.hasEscape {
            guard inner.count == name.utf8CodeUnitCount else { return false }
            let pointer = name.utf8Start
            for offset in 0..<inner.count where self.bytes[inner.lowerBound + offset] != pointer[offset] { return false }
            return true
        }
        guard let decoded = JSONScanner.decodeString(self.bytes, key.range) else { return false }
        return decoded.utf8.elementsEqual(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    }

    /// Reads the next value as a string (escapes resolved); `nil`, with the value skipped, when it
    /// is not a string.
    public mutating func readString() throws(JSONScanner.SyntaxError) -> String? {
        guard try self.peek() == .string else {
            try self.skipValue()
            return nil
        }
        let range = try self.skipValue()
        return JSONScanner.decodeString(self.bytes, range)
    }

    /// Reads the next value and tells whether it is a non-empty string, without decoding it.
    public mutating func readNonEmptyString() throws(JSONScanner.SyntaxError) -> Bool {
        let kind = try self.peek()
        let range = try self.skipValue()
        return kind == .string && range.count > 2
    }

    /// Reads the next value and tells whether it is a non-empty array.
    public mutating func readNonEmptyArray() throws(JSONScanner.SyntaxError) -> Bool {
        guard try self.peek() == .array else {
            try self.skipValue()
            return false
        }
        try self.enterArray()
        var count = 0
        while try self.nextElement() {
            count += 1
            try self.skipValue()
        }
        return count > 0
    }

    /// Reads the next value as an integer: a JSON number with an integral value (`12`, `12.0`,
    /// `1.2e1`) that fits; `nil`, with the value skipped, otherwise.
    public mutating func readInt() throws(JSONScanner.SyntaxError) -> Int? {
        guard try self.peek() == .number else {
            try self.skipValue()
            return nil
        }
        let range = try self.skipValue()
        return JSONScanner.integer(UnsafeRawBufferPointer(rebasing: self.bytes[range]))
    }
}

extension JSONScanner {
    /// The integral value of a JSON number's text (`12`, `-3`, `12.0`, `1.2e1`, `120e-1`), or `nil`
    /// when it has a fraction or does not fit `Int`.
    public static func integer(_ text: UnsafeRawBufferPointer) -> Int? {
        var value = 0
        var negative = false
        var index = 0
        if index < text.count, text[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var plain = index < text.count
        while index < text.count {
            let byte = text[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                plain = false
                break
            }
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = times.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            if overflowTimes || overflowSum { return nil }
            value = sum
            index += 1
        }
        if plain { return negative ? -value : value }
        guard let double = Double(String(decoding: text, as: UTF8.self)), double.rounded() == double,
            abs(double) < 9e15
        else { return nil }
        return Int(double)
    }
}
