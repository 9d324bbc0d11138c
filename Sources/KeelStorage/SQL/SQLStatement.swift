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
    enum Fragment: Sendable {
        case text(String)
        case value(SQLValue)
        case dialect(sqlite: String, postgres: String)
    }

    private(set) var fragments: [Fragment]

    public init(stringLiteral value: String) {
        self.fragments = [.text(value)]
    }

    public init(stringInterpolation: Interpolation) {
        self.fragments = stringInterpolation.fragments
    }

    /// SQL text the code spells itself: a name or a column list, never a value.
    public init(raw text: String) {
        self.fragments = [.text(text)]
    }

    public struct Interpolation: StringInterpolationProtocol, Sendable {
        var fragments: [Fragment] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            self.fragments.reserveCapacity(interpolationCount * 2 + 1)
        }

        public mutating func appendLiteral(_ literal: String) {
            guard !literal.isEmpty else { return }
            self.fragments.append(.text(literal))
        }

        /// A bound parameter.
        public mutating func appendInterpolation(_ value: some SQLBindable) {
            self.fragments.append(.value(value.sqlValue))
        }

        /// A bound parameter that may be `NULL`.
        public mutating func appendInterpolation<Value: SQLBindable>(_ value: Value?) {
            self.fragments.append(.value(value?.sqlValue ?? .null))
        }

        /// Another statement, spliced in with its parameters.
        public mutating func appendInterpolation(_ statement: SQLStatement) {
            self.fragments.append(contentsOf: statement.fragments)
        }

        /// One parameter per value, separated by commas; `NULL` when there are none.
        public mutating func appendInterpolation(list values: some Sequence<some SQLBindable>) {
            var first = true
            for value in values {
                if !first { self.fragments.append(.text(", ")) }
                self.fragments.append(.value(value.sqlValue))
                first = false
            }
            if first { self.fragments.append(.text("NULL")) }
        }

        /// A bound parameter holding JSON text, for a JSON column: `JSONB` on PostgreSQL (the
        /// parameter is cast), checked `TEXT` on SQLite.
        public mutating func appendInterpolation(json text: String?) {
            self.fragments.append(.value(text.sqlValue))
            self.fragments.append(.dialect(sqlite: "", postgres: "::jsonb"))
        }

        /// SQL text the code spells itself: a name or a column list, never a value.
        public mutating func appendInterpolation(raw text: String) {
            self.fragments.append(.text(text))
        }

        /// Text that differs between the dialects.
        public mutating func appendInterpolation(sqlite: String, postgres: String) {
            self.fragments.append(.dialect(sqlite: sqlite, postgres: postgres))
        }
    }

    /// Appends `other`, with its parameters.
    public mutating func append(_ other: SQLStatement) {
        self.fragments.append(contentsOf: other.fragments)
    }

    public static func + (lhs: SQLStatement, rhs: SQLStatement) -> SQLStatement {
        var joined = lhs
        joined.append(rhs)
        return joined
    }

    /// `parts` with `separator` between them (`AND`-joined conditions, comma-joined rows).
    public static func joined(_ parts: some Sequence<SQLStatement>, separator: String) -> SQLStatement {
        var joined = SQLStatement(raw: "")
        joined.fragments.removeAll()
        for part in parts {
            if !joined.fragments.isEmpty { joined.fragments.append(.text(separator)) }
            joined.fragments.append(contentsOf: part.fragments)
        }
        return joined
    }

    /// Whether the statement has no text at all.
    public var isEmpty: Bool {
        self.fragments.allSatisfy { if case .text(let text) = $0 { text.isEmpty } else { false } }
    }

    /// The statement's text in `dialect`, and its parameters in order.
    public func rendered(for dialect: SQLDialect) -> (sql: String, values: [SQLValue]) {
        var sql = ""
        var values: [SQLValue] = []
        for fragment in self.fragments {
            switch fragment {
            case .text(let text):
                sql += text
            case .value(let value):
                values.append(value)
                switch dialect {
                case .sqlite: sql += "?"
                case .postgres:
                    // Not `"$\(n)"`: an interpolated string per parameter took a sixth of the
                    // recorder's CPU time on PostgreSQL (thousands of parameters a batch).
                    sql += "$"
                    sql += String(values.count)
                }
            case .dialect(let sqlite, let postgres):
                sql += dialect == .sqlite ? sqlite : postgres
            }
        }
        return (sql, values)
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
        outer: for fragment in self.fragments {
            guard case .text(let text) = fragment else {
                flush()
                continue
            }
            for character in text {
                if character.isLetter || character.isNumber || character == "_" || character == "." {
                    current.append(character)
                } else {
                    flush()
                    if words.count >= count { break outer }
                }
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
