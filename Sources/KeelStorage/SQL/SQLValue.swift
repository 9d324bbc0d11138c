public import KeelCore

/// One value bound to a statement or read from a row, in the types both backends store: SQLite's
/// storage classes, and the PostgreSQL types Keel's schema uses (`BIGINT`, `DOUBLE PRECISION`,
/// `TEXT`, `BOOLEAN`, `BYTEA`). Times are integers (µs or ms since the Unix epoch), money is
/// integer nano-dollars.
public enum SQLValue: Sendable, Equatable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    /// `BOOLEAN` in PostgreSQL; SQLite stores it as the integer 0 or 1.
    case bool(Bool)
    case blob([UInt8])
}

/// A Swift value a statement binds as a parameter (``SQLStatement``'s interpolation).
public protocol SQLBindable: Sendable {
    var sqlValue: SQLValue { get }
}

/// A Swift value a row's column is read as (``SQLRow/decode(_:as:)``).
public protocol SQLDecodable: Sendable {
    /// Reads `value`; `nil` when it is not of this type (the row reports which column).
    init?(sqlValue value: SQLValue)
}

extension SQLValue: SQLBindable {
    public var sqlValue: SQLValue { self }
}

extension String: SQLBindable, SQLDecodable {
    public var sqlValue: SQLValue { .text(self) }

    public init?(sqlValue value: SQLValue) {
        guard case .text(let text) = value else { return nil }
        self = text
    }
}

extension Int64: SQLBindable, SQLDecodable {
    public var sqlValue: SQLValue { .int(self) }

    /// Also from a whole `DOUBLE` and from integer text (PostgreSQL's `NUMERIC`, which `SUM` of a
    /// `BIGINT` returns, arrives as text).
    public init?(sqlValue value: SQLValue) {
        switch value {
        case .int(let number): self = number
        case .double(let number) where number.rounded() == number && abs(number) < 9.2e18: self = Int64(number)
        case .text(let text):
            guard let number = Int64(text) else { return nil }
            self = number
        case .bool(let flag): self = flag ? 1 : 0
        default: return nil
        }
    }
}

extension Int: SQLBindable, SQLDecodable {
    public var sqlValue: SQLValue { .int(Int64(self)) }

    public init?(sqlValue value: SQLValue) {
        guard let number = Int64(sqlValue: value), let int = Int(exactly: number) else { return nil }
        self = int
    }
}

extension Double: SQLBindable, SQLDecodable {
    public var sqlValue: SQLValue { .double(self) }

    public init?(sqlValue value: SQLValue) {
        switch value {
        case .double(let number): self = number
        case .int(let number): self = Double(number)
        case .text(let text):
            guard let number = Double(text) else { return nil }
            self = number
        default: return nil
        }
    }
}

extension Bool: SQLBindable, SQLDecodable {
    public var sqlValue: SQLValue { .bool(self) }

    /// Also from SQLite's integer 0 or 1.
    public init?(sqlValue value: SQLValue) {
        switch value {
        case .bool(let flag): self = flag
        case .int(0): self = false
        case .int(1): self = true
        default: return nil
        }
    }
}

extension [UInt8]: SQLBindable, SQLDecodable {
    public var sqlValue: SQLValue { .blob(self) }

    public init?(sqlValue value: SQLValue) {
        guard case .blob(let bytes) = value else { return nil }
        self = bytes
    }
}

extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

extension Optional: SQLDecodable where Wrapped: SQLDecodable {
    /// `nil` for `NULL`; a value that is not `NULL` must be a `Wrapped`.
    public init?(sqlValue value: SQLValue) {
        if case .null = value {
            self = .none
            return
        }
        guard let wrapped = Wrapped(sqlValue: value) else { return nil }
        self = .some(wrapped)
    }
}

extension Identifier: SQLBindable, SQLDecodable {
    public var sqlValue: SQLValue { .text(self.rawValue) }

    public init?(sqlValue value: SQLValue) {
        guard let text = String(sqlValue: value) else { return nil }
        self.init(text)
    }
}

extension USDNanos: SQLBindable, SQLDecodable {
    public var sqlValue: SQLValue { .int(self.rawValue) }

    public init?(sqlValue value: SQLValue) {
        guard let nanos = Int64(sqlValue: value) else { return nil }
        self.init(nanos)
    }
}

extension SQLBindable where Self: RawRepresentable, RawValue: SQLBindable {
    /// An enumeration is stored as its raw value.
    public var sqlValue: SQLValue { self.rawValue.sqlValue }
}

extension SQLDecodable where Self: RawRepresentable, RawValue: SQLDecodable {
    /// An enumeration is read from its raw value; an unknown one is not a value of the type.
    public init?(sqlValue value: SQLValue) {
        guard let raw = RawValue(sqlValue: value), let decoded = Self(rawValue: raw) else { return nil }
        self = decoded
    }
}
