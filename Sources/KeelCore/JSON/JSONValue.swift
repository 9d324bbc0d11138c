public import NIOCore

/// A JSON value read into memory, for the bodies that must be understood as a whole: dialect
/// translation and the simulator's inspection of requests. (The pass-through path never builds
/// one; it reads single fields with ``JSONScanner``.) Object members keep their document order,
/// so a translated body lists its fields in a stable order and tool arguments keep the order of
/// their schema.
public enum JSONValue: Sendable, Equatable, Hashable {
    /// One member of an object, in document order.
    public struct Member: Sendable, Equatable, Hashable {
        public let key: String
        public let value: JSONValue

        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    case object([Member])
    case array([JSONValue])
    case string(String)
    /// The number's JSON text, converted on demand (so integers of any size survive a round trip).
    case number(String)
    case bool(Bool)
    case null

    /// The value of the last member named `key` (as JSON parsers keep the last duplicate), or
    /// `nil` when this is not an object or has no such member.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    public var string: String? {
        if case .string(let value) = self { value } else { nil }
    }

    public var array: [JSONValue]? {
        if case .array(let value) = self { value } else { nil }
    }

    public var members: [Member]? {
        if case .object(let value) = self { value } else { nil }
    }

    public var bool: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    /// The number as an `Int` when it is integral (`3` or `3.0`) and fits.
    public var int: Int? {
        guard case .number(let text) = self else { return nil }
        if let value = Int(text) { return value }
        guard let value = Double(text), value.rounded() == value, abs(value) < 9e15 else { return nil }
        return Int(value)
    }

    public var double: Double? {
        guard case .number(let text) = self else { return nil }
        return Double(text)
    }

    public var isNull: Bool { self == .null }

    public var isObject: Bool {
        if case .object = self { true } else { false }
    }

    /// A number from an integer.
    public static func int(_ value: some BinaryInteger) -> JSONValue { .number(String(value)) }

    /// A number from a double, written in its shortest round-tripping form.
    public static func double(_ value: Double) -> JSONValue {
        guard value.isFinite else { return .null }
        if value.rounded() == value && abs(value) < 1e15 { return .number(String(Int64(value))) }
        return .number(String(value))
    }

    /// An object from key–value pairs in the given order; `nil` values are left out.
    public static func object(_ pairs: KeyValuePairs<String, JSONValue?>) -> JSONValue {
        .object(pairs.compactMap { pair in pair.value.map { Member(key: pair.key, value: $0) } })
    }
}

extension JSONValue {
    /// Parses and validates `bytes` (depth-limited), failing on any syntax error.
    public init(parsing bytes: UnsafeRawBufferPointer, maxDepth: Int = 64) throws(JSONScanner.SyntaxError) {
        _ = try JSONScanner.validate(bytes, maxDepth: maxDepth)
        self.init(validated: bytes)
    }

    /// Parses and validates the readable bytes of `buffer`.
    public init(parsing buffer: ByteBuffer, maxDepth: Int = 64) throws(JSONScanner.SyntaxError) {
        let result = buffer.withUnsafeReadableBytes { bytes -> Result<JSONValue, JSONScanner.SyntaxError> in
            do throws(JSONScanner.SyntaxError) {
                return .success(try JSONValue(parsing: bytes, maxDepth: maxDepth))
            } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }

    /// Parses and validates `text`.
    public init(parsing text: String, maxDepth: Int = 64) throws(JSONScanner.SyntaxError) {
        var text = text
        let result = text.withUTF8 { utf8 -> Result<JSONValue, JSONScanner.SyntaxError> in
            do throws(JSONScanner.SyntaxError) {
                return .success(try JSONValue(parsing: UnsafeRawBufferPointer(utf8), maxDepth: maxDepth))
            } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }

    /// Reads the JSON value in `bytes`, which ``JSONScanner`` must already have validated (for
    /// example a member slice of a ``JSONObjectIndex``). Invalid input gives a best-effort value
    /// rather than a crash.
    public init(validated bytes: UnsafeRawBufferPointer) {
        var reader = JSONValueReader(bytes: bytes)
        self = reader.value()
    }

    /// Reads the value of `member` of an index built by ``JSONScanner/indexObject(_:maxDepth:)``.
    public init(_ member: JSONScanner.Member, of index: JSONObjectIndex) {
        self.init(validated: index.slice(member))
    }
}

extension JSONValue {
    /// The value written back as compact JSON text.
    public var jsonText: String {
        var output = ""
        self.write(to: &output)
        return output
    }

    /// Appends the value as compact JSON text.
    public func write(to output: inout String) {
        switch self {
        case .object(let members):
            output.append("{")
            for (position, member) in members.enumerated() {
                if position > 0 { output.append(",") }
                JSONWriter.appendString(member.key, to: &output)
                output.append(":")
                member.value.write(to: &output)
            }
            output.append("}")
        case .array(let elements):
            output.append("[")
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(",") }
                element.write(to: &output)
            }
            output.append("]")
        case .string(let value):
            JSONWriter.appendString(value, to: &output)
        case .number(let text):
            output.append(text)
        case .bool(let value):
            output.append(value ? "true" : "false")
        case .null:
            output.append("null")
        }
    }

    /// The value as compact JSON bytes.
    public var jsonBuffer: ByteBuffer {
        ByteBuffer(string: self.jsonText)
    }
}
