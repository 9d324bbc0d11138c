import GRDB
import KeelStorage

extension StorageError {
    /// `error` as the ``StorageError`` of the store protocols when SQLite refused a write to
    /// `table` for a constraint: a taken primary or unique key is ``Code/conflict``, a failed
    /// `CHECK` or `NOT NULL` is ``Code/invalidValue``, a broken `FOREIGN KEY` is
    /// ``Code/referenced``. Any other error is returned unchanged.
    ///
    /// SQLite's message names the constraint's columns or expression (`UNIQUE constraint failed:
    /// virtual_key.hash`), never the refused value, so it is kept as the constraint's description.
    static func mappingSQLite(_ error: any Error, table: String) -> any Error {
        guard let databaseError = error as? DatabaseError, databaseError.resultCode == .SQLITE_CONSTRAINT else {
            return error
        }
        let constraint = databaseError.message ?? "constraint"
        switch databaseError.extendedResultCode {
        case .SQLITE_CONSTRAINT_PRIMARYKEY, .SQLITE_CONSTRAINT_UNIQUE:
            return StorageError.conflict(table: table, constraint: constraint)
        case .SQLITE_CONSTRAINT_CHECK, .SQLITE_CONSTRAINT_NOTNULL:
            return StorageError.invalidValue(table: table, constraint: constraint)
        case .SQLITE_CONSTRAINT_FOREIGNKEY:
            return StorageError.referenced(table: table, constraint: constraint)
        // A DELETE that breaks an immediate foreign key fails with the plain SQLITE_CONSTRAINT
        // code (the violation is counted, then reported at the end of the statement).
        case _ where constraint.hasPrefix("FOREIGN KEY constraint failed"):
            return StorageError.referenced(table: table, constraint: constraint)
        default:
            return error
        }
    }
}
