import KeelCore

/// A JSON value read into memory, for the nested request members the simulator inspects
/// (`messages`, `tools`, `stop`, …). Object members keep their order, which matters for
/// determinism: tool arguments follow the order of the schema's properties.
///
/// Only built from bytes that ``JSONScanner`` has validated (see ``init(validated:)``), so the
/// reader needs no error paths of its own.
enum JSONTree: Sendable, Equatable {
    /// One member of an object, in document order.
    struct Member: Sendable, Equatable {
        let key: String
        let value: JSONTree
    }

    case object([Member])
    case array([JSONTree])
    case string(String)
    /// The number's JSON text, converted on demand.
    case number(String)
    case bool(Bool)
    case null

    /// The value of the last member named `key` (as JSON parsers keep the last duplicate), or
    /// `nil` when this is not an object or has no such member.
    subscript(key: String) -> JSONTree? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    var string: String? {
        if case .string(let value) = self { value } else { nil }
    }

    var array: [JSONTree]? {
        if case .array(let value) = self { value } else { nil }
    }

    var members: [Member]? {
        if case .object(let value) = self { value } else { nil }
    }

    var bool: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    /// The number as an `Int` when it is integral (`3` or `3.0`) and fits.
    var int: Int? {
        guard case .number(let text) = self else { return nil }
        if let value = Int(text) { return value }
        guard let value = Double(text), value.rounded() == value, abs(value) < 9e15 else { return nil }
        return Int(value)
    }

    var isNull: Bool { self == .null }
}

extension JSONTree {
    /// Reads the JSON value in `bytes`, which ``JSONScanner`` must already have validated (for
    /// example a member slice of a ``JSONObjectIndex``). Invalid input gives a best-effort value
    /// rather than a crash.
    init(validated bytes: UnsafeRawBufferPointer) {
        var reader = JSONTreeReader(bytes: bytes)
        self = reader.value()
    }

    /// Reads the value of `member` of an index built by ``JSONScanner/indexObject(_:maxDepth:)``.
    init(_ member: JSONScanner.Member, of index: JSONObjectIndex) {
        self.init(validated: index.slice(member))
    }
}

extension JSONTree {
    /// The value written back as compact JSON text.
    var jsonText: String {
        switch self {
        case .object(let members):
            "{" + members.map { JSONWriter.quoted($0.key) + ":" + $0.value.jsonText }.joined(separator: ",") + "}"
        case .array(let elements):
            "[" + elements.map(\.jsonText).joined(separator: ",") + "]"
        case .string(let value):
            JSONWriter.quoted(value)
        case .number(let text):
            text
        case .bool(let value):
            value ? "true" : "false"
        case .null:
            "null"
        }
    }
}
