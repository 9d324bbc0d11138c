/// One row of a result, its columns read by name.
///
/// ```swift
/// let team = Team(id: try row.decode("id"), name: try row.decode("name"), createdAt: try row.decode("created_at"))
/// ```
public struct SQLRow: Sendable {
    public let columns: SQLColumns
    public let values: [SQLValue]

    public init(columns: SQLColumns, values: [SQLValue]) {
        precondition(columns.names.count == values.count, "a row has one value per column")
        self.columns = columns
        self.values = values
    }

    /// The value of `column`.
    ///
    /// - Throws: ``StorageError`` `.invalidStoredValue` when the result has no such column.
    public func value(_ column: String) throws -> SQLValue {
        guard let index = self.columns.index(of: column) else {
            throw StorageError.invalidStoredValue(table: self.columns.table, column: column)
        }
        return self.values[index]
    }

    /// The value of `column` as a `T` (an optional type reads `NULL` as `nil`).
    ///
    /// - Throws: ``StorageError`` `.invalidStoredValue` when there is no such column or its
    ///   value is not a `T` (an unknown enumeration case, a `NULL` where a value must be).
    public func decode<T: SQLDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let decoded = T(sqlValue: try self.value(column)) else {
            throw StorageError.invalidStoredValue(table: self.columns.table, column: column)
        }
        return decoded
    }

    /// The value of the first column as a `T`: for `SELECT COUNT(*)` and the like.
    public func decodeFirst<T: SQLDecodable>(as type: T.Type = T.self) throws -> T {
        guard let first = self.columns.names.first else {
            throw StorageError.invalidStoredValue(table: self.columns.table, column: "(first)")
        }
        return try self.decode(first, as: type)
    }
}

/// The column names of one result, shared by its rows.
public final class SQLColumns: Sendable {
    public let names: [String]
    /// The statement whose result this is.
    private let source: SQLStatement
    private let positions: [String: Int]

    public init(names: [String], of source: SQLStatement) {
        self.names = names
        self.source = source
        var positions: [String: Int] = [:]
        for (index, name) in names.enumerated() where positions[name] == nil { positions[name] = index }
        self.positions = positions
    }

    /// The table the statement named, for error messages: read from its text only when one is
    /// needed.
    public var table: String { self.source.table }

    public func index(of column: String) -> Int? {
        if let index = self.positions[column] { return index }
        // PostgreSQL folds unquoted names to lower case.
        return self.positions[column.lowercased()]
    }
}
