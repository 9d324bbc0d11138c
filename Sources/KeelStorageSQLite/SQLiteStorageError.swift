/// A failure that is specific to the SQLite backend, as opposed to an error reported by SQLite
/// itself (a constraint violation, a busy database), which is thrown as GRDB's `DatabaseError`.
///
/// The message names tables, columns and migration ids, never a stored value.
public struct SQLiteStorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure; `package` so that a new kind never breaks callers.
    package enum Code: Sendable, Equatable {
        /// The database records migrations this build does not know: a newer Keel wrote it.
        case newerSchema
        /// A stored value cannot be read back as its Swift type.
        case invalidStoredValue
    }

    /// The kind of failure, for Keel's own modules and tests.
    package let code: Code
    /// What went wrong, safe to log: no stored value or statement argument.
    public let message: String

    /// Creates an error; `message` must not contain stored values or statement arguments.
    package init(_ code: Code, message: String) {
        self.code = code
        self.message = message
    }

    static func newerSchema(unknownMigrations: [String]) -> Self {
        Self(
            .newerSchema,
            message: "The database was migrated by a newer version of Keel (unknown migrations: "
                + unknownMigrations.joined(separator: ", ") + "); refusing to open it."
        )
    }

    static func invalidStoredValue(table: String, column: String) -> Self {
        Self(.invalidStoredValue, message: "The stored value of \(table).\(column) cannot be read.")
    }

    /// The ``message``.
    public var description: String { self.message }
}
