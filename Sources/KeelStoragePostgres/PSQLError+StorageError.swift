import KeelStorage
import PostgresNIO

extension StorageError {
    /// `error` as the ``StorageError`` of the store protocols when PostgreSQL refused a write to
    /// `table` for a rule of the schema, so that callers see the same error as from SQLite: a
    /// taken primary or unique key (SQLSTATE 23505) is ``Code/conflict``; a failed `CHECK`
    /// (23514), `NOT NULL` (23502) or a number out of its column's range (22003) is
    /// ``Code/invalidValue``; a broken foreign key (23503) is ``Code/referenced``. Any other error
    /// is returned unchanged.
    ///
    /// The server's message and detail are left out: the detail repeats the refused key
    /// (`Key (id)=(…) already exists`). The constraint's name is kept.
    static func mappingPostgres(_ error: any Error, table: String) -> any Error {
        guard let psqlError = error as? PSQLError, psqlError.code == .server,
            let sqlState = psqlError.serverInfo?[.sqlState]
        else {
            return error
        }
        let constraint = psqlError.serverInfo?[.constraintName] ?? "SQLSTATE \(sqlState)"
        switch sqlState {
        case "23505":
            return StorageError.conflict(table: table, constraint: constraint)
        case "23514", "23502", "22003":
            return StorageError.invalidValue(table: table, constraint: constraint)
        case "23503":
            return StorageError.referenced(table: table, constraint: constraint)
        default:
            return error
        }
    }
}
