/// The JSON Canonicalization Scheme of RFC 8785: one byte sequence per JSON value, so that audit
/// entries hash the same wherever they are re-encoded.
///
/// - Object members are sorted by their names' UTF-16 code units; duplicate names are refused.
/// - No white space between tokens.
/// - Strings escape only `"`, `\` and the control characters below U+0020 (`\b \t \n \f \r` by
///   their short forms, the rest as `\u00xx` in lowercase hex); everything else is raw UTF-8.
/// - Numbers are IEEE-754 doubles written as ECMAScript's `Number.prototype.toString` does
///   (``numberText(_:)``); NaN and infinities are refused, and so is a number whose text
///   overflows a double.
///
/// ```swift
/// let bytes = try CanonicalJSON.encode(JSONValue(parsing: #"{"b": 1.50, "a": [true]}"#))
/// // {"a":[true],"b":1.5}
/// ```
public enum CanonicalJSON {
    /// The canonical bytes of `value`.
    public static func encode(_ value: JSONValue) throws(CanonicalJSONError) -> [UInt8] {
        var output: [UInt8] = []
        try Self.append(value, to: &output)
        return output
    }

    /// Parses the JSON text `bytes` and returns its canonical bytes. Refuses text that is not
    /// I-JSON (RFC 7493), as RFC 8785 requires: invalid UTF-8, an escaped lone surrogate, a
    /// repeated member name, a number that is not a finite double.
    public static func canonicalize(_ bytes: some Collection<UInt8>) throws(CanonicalJSONError) -> [UInt8] {
        let input = Array(bytes)
        // The parser would read both as U+FFFD; canonical form has no place for either.
        guard String(validating: input, as: UTF8.self) != nil, !Self.hasLoneSurrogateEscape(input) else {
            throw .invalidJSON
        }
        let value: JSONValue
        do {
            value = try input.withUnsafeBytes { buffer throws(JSONScanner.SyntaxError) in
                try JSONValue(parsing: buffer)
            }
        } catch {
            throw .invalidJSON
        }
        return try Self.encode(value)
    }

    /// Whether `json` escapes half of a surrogate pair without the other half (`"\ud800"`).
    /// Outside strings a backslash is a syntax error, which the parser reports.
    private static func hasLoneSurrogateEscape(_ json: [UInt8]) -> Bool {
        func unit(at index: Int) -> UInt16? {
            guard index + 6 <= json.count, json[index] == UInt8(ascii: "\\"), json[index + 1] == UInt8(ascii: "u"),
                let bytes = HexCoding.decode(String(decoding: json[(index + 2)..<(index + 6)], as: UTF8.self))
            else { return nil }
            return UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        }
        var index = 0
        while index < json.count {
            guard json[index] == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            guard let code = unit(at: index) else {
                index += 2  // any other escape: the backslash and the character after it
                continue
            }
            switch code {
            case 0xD800..<0xDC00:
                guard let low = unit(at: index + 6), (0xDC00..<0xE000).contains(low) else { return true }
                index += 12
            case 0xDC00..<0xE000:
                return true
            default:
                index += 6
            }
        }
        return false
    }

    /// Appends the canonical bytes of `value` to `output`.
    public static func append(_ value: JSONValue, to output: inout [UInt8]) throws(CanonicalJSONError) {
        switch value {
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            let order = Self.sortedOrder(members)
            for (position, index) in order.enumerated() {
                let member = members[index]
                if position > 0 {
                    guard members[order[position - 1]].key != member.key else { throw .duplicateKey(member.key) }
                    output.append(UInt8(ascii: ","))
                }
                Self.appendString(member.key, to: &output)
                output.append(UInt8(ascii: ":"))
                try Self.append(member.value, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                try Self.append(element, to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .string(let text):
            Self.appendString(text, to: &output)
        case .number(let text):
            output.append(contentsOf: try Self.canonicalNumber(text).utf8)
        case .bool(let flag):
            output.append(contentsOf: flag ? Self.trueLiteral : Self.falseLiteral)
        case .null:
            output.append(contentsOf: Self.nullLiteral)
        }
    }

    private static let trueLiteral = Array("true".utf8)
    private static let falseLiteral = Array("false".utf8)
    private static let nullLiteral = Array("null".utf8)
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// The positions of `members` in canonical order. Sorting positions rather than members keeps
    /// the sort from copying strings and values, and members already in order cost one pass.
    static func sortedOrder(_ members: [JSONValue.Member]) -> [Int] {
        var order = Array(members.indices)
        let inOrder = members.indices.dropFirst().allSatisfy { !Self.precedes(members[$0].key, members[$0 - 1].key) }
        if !inOrder {
            order.sort { Self.precedes(members[$0].key, members[$1].key) }
        }
        return order
    }

    /// Whether `lhs` sorts before `rhs` by UTF-16 code units (RFC 8785 §3.2.3), compared on their
    /// UTF-8 bytes: the orders agree except that UTF-16 puts a character above U+FFFF (a
    /// surrogate pair, 0xD800…) before one in U+E000…U+FFFF, where UTF-8 puts it after (lead byte
    /// 0xF0… against 0xEE or 0xEF). Bytes first differ at a lead byte or inside one character,
    /// so that is the one case to turn round.
    static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        let result = lhs.utf8.withContiguousStorageIfAvailable { left in
            rhs.utf8.withContiguousStorageIfAvailable { right in Self.precedes(left, right) }
        }
        return (result ?? nil) ?? Self.precedes(Array(lhs.utf8), Array(rhs.utf8))
    }

    private static func precedes(
        _ left: some RandomAccessCollection<UInt8>,
        _ right: some RandomAccessCollection<UInt8>
    ) -> Bool {
        var leftIndex = left.startIndex
        var rightIndex = right.startIndex
        while leftIndex != left.endIndex && rightIndex != right.endIndex {
            let (x, y) = (left[leftIndex], right[rightIndex])
            if x != y {
                if x >= 0xF0 && (y == 0xEE || y == 0xEF) { return true }
                if y >= 0xF0 && (x == 0xEE || x == 0xEF) { return false }
                return x < y
            }
            left.formIndex(after: &leftIndex)
            right.formIndex(after: &rightIndex)
        }
        return leftIndex == left.endIndex && rightIndex != right.endIndex
    }

    /// Appends `text` as a JSON string with RFC 8785's escaping (§3.2.2.2).
    public static func appendString(_ text: String, to output: inout [UInt8]) {
        if text.utf8.withContiguousStorageIfAvailable({ Self.appendString(utf8: $0, to: &output) }) == nil {
            Self.appendString(utf8: Array(text.utf8), to: &output)
        }
    }

    private static func appendString(utf8 bytes: some Collection<UInt8>, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        // Most names and values need no escape: copy them whole.
        guard bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
            output.append(contentsOf: bytes)
            output.append(UInt8(ascii: "\""))
            return
        }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0C: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x00..<0x20:
                output.append(contentsOf: [
                    UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                ])
                output.append(Self.hexDigits[Int(byte >> 4)])
                output.append(Self.hexDigits[Int(byte & 0x0F)])
            default:
                output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    /// `value` in canonical form: object members sorted, numbers in their canonical text. Its
    /// ``JSONValue/jsonText`` is the canonical encoding, and two values with one canonical encoding
    /// normalize to equal values.
    public static func normalized(_ value: JSONValue) throws(CanonicalJSONError) -> JSONValue {
        switch value {
        case .object(let members):
            var normalized: [JSONValue.Member] = []
            normalized.reserveCapacity(members.count)
            for member in Self.sortedOrder(members).map({ members[$0] }) {
                guard normalized.last?.key != member.key else { throw .duplicateKey(member.key) }
                normalized.append(JSONValue.Member(key: member.key, value: try Self.normalized(member.value)))
            }
            return .object(normalized)
        case .array(let elements):
            var normalized: [JSONValue] = []
            normalized.reserveCapacity(elements.count)
            for element in elements { normalized.append(try Self.normalized(element)) }
            return .array(normalized)
        case .number(let text):
            return .number(try Self.canonicalNumber(text))
        case .string, .bool, .null:
            return value
        }
    }

    /// The canonical text of the number whose JSON text is `text`.
    private static func canonicalNumber(_ text: String) throws(CanonicalJSONError) -> String {
        // Fast path: an integer below 2^53 is exact as a double and prints as itself.
        let utf8 = text.utf8
        let digits = utf8.first == UInt8(ascii: "-") ? utf8.dropFirst() : utf8[...]
        if !digits.isEmpty, digits.count <= 16, digits.allSatisfy({ (0x30...0x39).contains($0) }),
            digits.first != UInt8(ascii: "0") || digits.count == 1,
            digits.reduce(UInt64(0), { $0 * 10 + UInt64($1 - 0x30) }) < 1 << 53
        {
            return text == "-0" ? "0" : text
        }
        guard let value = Double(text), value.isFinite else { throw .invalidNumber(text) }
        return try Self.numberText(value)
    }
}

/// Why a value has no canonical form.
public enum CanonicalJSONError: Error, Sendable, Equatable {
    /// The input is not JSON.
    case invalidJSON
    /// An object has two members with this name (RFC 8785 needs I-JSON, RFC 7493).
    case duplicateKey(String)
    /// A number that is not a finite double: NaN, an infinity, or a text that overflows.
    case invalidNumber(String)
}
