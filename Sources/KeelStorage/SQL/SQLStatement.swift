/// A SQL statement written once for both backends, with Swift string interpolation: every
/// interpolated value becomes a bound parameter, never SQL text.
///
/// ```swift
/// let statement: SQLStatement = "SELECT name FROM team WHERE org_id = \(orgID) AND id > \(after) LIMIT \(limit)"
/// // SQLite: SELECT name FROM team WHERE org_id = ? AND id > ? LIMIT ?
/// // PostgreSQL: SELECT name FROM team WHERE org_id = $1 AND id > $2 LIMIT $3
/// ```
///
/// - `\(value)`: a parameter (any ``SQLBindable``: text, integers, doubles, booleans, bytes,
///   ids, money, optionals as `NULL`).
/// - `\(statement)`: another statement spliced in, its parameters with it.
/// - `\(list: values)`: `?, ?, ?`, for a list whose length the code fixes (the values of a
///   row). A set of varying size is ``values(ofJSONArray:)``: SQLite keeps each statement text
///   prepared, and one text per size would grow without bound.
/// - `\(json: text)`: a parameter for a JSON column (cast to `JSONB` on PostgreSQL).
/// - `\(raw: text)`: SQL text, for names and column lists the code itself spells; never a value.
/// - `\(sqlite: a, postgres: b)`: text that differs between the dialects (a type name, a
///   function).
///
/// ``rendered(for:)`` writes it in a backend's dialect: `?` or `$n` placeholders.
public struct SQLStatement: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The text in both dialects at once: SQL as written, with a mark byte where a parameter or a
    /// dialect's own text goes (``Mark``). One string and one array of values, rather than a
    /// list of pieces: the recorder's multi-row inserts hold hundreds of rows of 38 parameters,
    /// and a piece per literal and per value took three times the memory and an allocation per row.
    private(set) var template: String
    /// The parameters, in the order of their marks.
    private(set) var values: [SQLValue]
    /// The dialects' own texts, in the order of their marks.
    private(set) var alternatives: [Alternative]

    struct Alternative: Sendable {
        let sqlite: String
        let postgres: String
    }

    /// Control bytes standing in the template for what differs between dialects; SQL text never
    /// holds them (``Interpolation/appendLiteral(_:)`` checks that in debug builds).
    enum Mark {
        /// A parameter: `?` or `$n`.
        static let parameter: UInt8 = 0x01
        /// A JSON parameter: `?` or `$n::jsonb`.
        static let json: UInt8 = 0x02
        /// The next ``Alternative``.
        static let alternative: UInt8 = 0x03

        static func isFree(_ text: String) -> Bool {
            !text.utf8.contains { $0 >= Mark.parameter && $0 <= Mark.alternative }
        }
    }

    public init(stringLiteral value: String) {
        self.init(raw: value)
    }

    public init(stringInterpolation: Interpolation) {
        self = stringInterpolation.statement
    }

    /// SQL text the code spells itself: a name or a column list, never a value.
    public init(raw text: String) {
        assert(Mark.isFree(text), "SQL text holds a control byte")
        self.template = text
        self.values = []
        self.alternatives = []
    }

    public struct Interpolation: StringInterpolationProtocol, Sendable {
        var statement = SQLStatement(raw: "")

        public init(literalCapacity: Int, interpolationCount: Int) {
            self.statement.template.reserveCapacity(literalCapacity + interpolationCount)
            self.statement.values.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            self.statement.appendRaw(literal)
        }

        /// A bound parameter.
        public mutating func appendInterpolation(_ value: some SQLBindable) {
            self.statement.appendParameter(value.sqlValue, mark: Mark.parameter)
        }

        /// A bound parameter that may be `NULL`.
        public mutating func appendInterpolation<Value: SQLBindable>(_ value: Value?) {
            self.statement.appendParameter(value?.sqlValue ?? .null, mark: Mark.parameter)
        }

        /// Another statement, spliced in with its parameters.
        public mutating func appendInterpolation(_ statement: SQLStatement) {
            self.statement.append(statement)
        }

        /// One parameter per value, separated by commas; `NULL` when there are none.
        public mutating func appendInterpolation(list values: some Sequence<some SQLBindable>) {
            var first = true
            for value in values {
                if !first { self.statement.template += ", " }
                self.statement.appendParameter(value.sqlValue, mark: Mark.parameter)
                first = false
            }
            if first { self.statement.template += "NULL" }
        }

        /// A bound parameter holding JSON text, for a JSON column: `JSONB` on PostgreSQL (the
        /// parameter is cast), checked `TEXT` on SQLite.
        public mutating func appendInterpolation(json text: String?) {
            self.statement.appendParameter(text.sqlValue, mark: Mark.json)
        }

        /// SQL text the code spells itself: a name or a column list, never a value.
        public mutating func appendInterpolation(raw text: String) {
            self.statement.appendRaw(text)
        }

        /// Text that differs between the dialects.
        public mutating func appendInterpolation(sqlite: String, postgres: String) {
            assert(Mark.isFree(sqlite) && Mark.isFree(postgres), "SQL text holds a control byte")
            self.statement.template.unicodeScalars.append(Unicode.Scalar(Mark.alternative))
            self.statement.alternatives.append(Alternative(sqlite: sqlite, postgres: postgres))
        }
    }

    private mutating func appendRaw(_ text: String) {
        assert(Mark.isFree(text), "SQL text holds a control byte")
        self.template += text
    }

    private mutating func appendParameter(_ value: SQLValue, mark: UInt8) {
        self.template.unicodeScalars.append(Unicode.Scalar(mark))
        self.values.append(value)
    }

    /// Appends `other`, with its parameters.
    public mutating func append(_ other: SQLStatement) {
        self.template += other.template
        self.values += other.values
        self.alternatives += other.alternatives
    }

    public static func + (lhs: SQLStatement, rhs: SQLStatement) -> SQLStatement {
        var joined = lhs
        joined.append(rhs)
        return joined
    }

    /// `parts` with `separator` between them (`AND`-joined conditions, comma-joined rows).
    public static func joined(_ parts: some Sequence<SQLStatement>, separator: String) -> SQLStatement {
        var joined = SQLStatement(raw: "")
        var first = true
        for part in parts {
            if !first { joined.appendRaw(separator) }
            joined.append(part)
            first = false
        }
        return joined
    }

    /// Whether the statement has no text at all.
    public var isEmpty: Bool { self.template.isEmpty }

    /// The statement's text in `dialect`, and its parameters in order.
    public func rendered(for dialect: SQLDialect) -> (sql: String, values: [SQLValue]) {
        var sql: [UInt8] = []
        sql.reserveCapacity(self.template.utf8.count + (dialect == .postgres ? self.values.count * 4 : 0))
        var parameter = 0
        var alternative = 0
        for byte in self.template.utf8 {
            switch byte {
            case Mark.parameter, Mark.json:
                parameter += 1
                switch dialect {
                case .sqlite: sql.append(UInt8(ascii: "?"))
                case .postgres:
                    // Not `"$\(n)"`: a string per parameter took a sixth of the recorder's CPU
                    // time on PostgreSQL (thousands of parameters a batch).
                    sql.append(UInt8(ascii: "$"))
                    Self.appendDecimal(parameter, to: &sql)
                    if byte == Mark.json { sql.append(contentsOf: "::jsonb".utf8) }
                }
            case Mark.alternative:
                let text = self.alternatives[alternative]
                sql.append(contentsOf: dialect == .sqlite ? text.sqlite.utf8 : text.postgres.utf8)
                alternative += 1
            default:
                sql.append(byte)
            }
        }
        return (String(decoding: sql, as: UTF8.self), self.values)
    }

    private static func appendDecimal(_ number: Int, to bytes: inout [UInt8]) {
        var divisor = 1
        while divisor * 10 <= number { divisor *= 10 }
        var rest = number
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    /// The SQLite text with `?` placeholders, for messages and tests.
    public var description: String { self.rendered(for: .sqlite).sql }

    /// What the statement does, read from its first words.
    package var verb: Verb {
        var words = self.leadingWords(3).makeIterator()
        switch words.next() {
        case "SELECT", "WITH", "VALUES", "EXPLAIN", "PRAGMA": return .read
        case "INSERT", "REPLACE":
            _ = words.next()  // INTO
            return .write(table: words.next() ?? "")
        case "UPDATE": return .write(table: words.next() ?? "")
        case "DELETE":
            _ = words.next()  // FROM
            return .write(table: words.next() ?? "")
        default: return .other
        }
    }

    package enum Verb: Equatable {
        /// Returns rows and changes nothing (SQLite runs it on a reader connection).
        case read
        /// Changes rows of `table`.
        case write(table: String)
        /// Anything else (DDL, transaction control).
        case other
    }

    /// The table the statement writes, or else the first one it reads, for error messages.
    package var table: String {
        if case .write(let table) = self.verb, !table.isEmpty { return table }
        let words = self.leadingWords(.max)
        if let from = words.firstIndex(of: "FROM"), from + 1 < words.count { return words[from + 1].lowercased() }
        return "the database"
    }

    /// The first `count` words of the text, upper-cased keywords and names as written, without
    /// punctuation around them.
    private func leadingWords(_ count: Int) -> [String] {
        var words: [String] = []
        var current = ""
        func flush() {
            if !current.isEmpty {
                words.append(words.isEmpty || Self.keywords.contains(current.uppercased()) ? current.uppercased() : current)
            }
            current = ""
        }
        for character in self.template {
            if character.isLetter || character.isNumber || character == "_" || character == "." {
                current.append(character)
            } else {
                flush()
                if words.count >= count { break }
            }
        }
        flush()
        return words
    }

    private static let keywords: Set<String> = ["INTO", "FROM", "SELECT", "WHERE"]
}

/// The SQL dialect of a backend.
public enum SQLDialect: Sendable, Equatable {
    case sqlite
    case postgres
}
