/// A failure the store protocols name, thrown alike by every backend.
///
/// Stores throw it for the conditions a caller may want to tell apart, whatever the database:
/// a unique key that is already taken (``Code/conflict``), a value the schema refuses
/// (``Code/invalidValue``), a reference between rows that would break (``Code/referenced``), a
/// database written by a newer Keel (``Code/newerSchema``), a stored value that cannot be read
/// back (``Code/invalidStoredValue``) and a backend location that cannot be used
/// (``Code/invalidConfiguration``). Other failures (a lost connection, a busy or full database,
/// cancellation) are the backend's own errors, thrown as they are.
///
/// The message names tables, columns, constraints and migration ids, never a stored value or a
/// statement argument, so it is safe to log.
public struct StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure; `package` so that a new kind never breaks callers.
    package enum Code: Sendable, Equatable {
        /// A row with the same unique key (an id, a key hash) is already stored, or appears twice
        /// in one batch. Nothing of the write was stored.
        case conflict
        /// A value breaks a rule of the schema (a negative cost, an unknown outcome). Nothing of
        /// the write was stored.
        case invalidValue
        /// A row refers to a row that does not exist (a team of an unknown organisation), or a
        /// row that others still refer to was to be deleted. Nothing of the write was stored.
        case referenced
        /// The database records migrations this build does not know: a newer Keel wrote it.
        case newerSchema
        /// A stored value cannot be read back as its Swift type.
        case invalidStoredValue
        /// The location or settings of the backend cannot be used (a malformed database URL).
        case invalidConfiguration
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

    /// The error of a write refused because `constraint` of `table` (a unique key) is taken.
    package static func conflict(table: String, constraint: String) -> Self {
        Self(.conflict, message: "A row of \(table) with the same unique key already exists (\(constraint)).")
    }

    /// The error of a write refused because a value breaks `constraint` of `table`.
    package static func invalidValue(table: String, constraint: String) -> Self {
        Self(.invalidValue, message: "A value for \(table) breaks a rule of the schema (\(constraint)).")
    }

    /// The error of a write refused because `constraint` of `table` (a reference between rows)
    /// would break: the referenced row is missing, or the deleted row is still referred to.
    package static func referenced(table: String, constraint: String) -> Self {
        Self(
            .referenced,
            message: "A row of \(table) refers to a row that does not exist, or is still referred to (\(constraint))."
        )
    }

    /// The error of opening a database that records migrations this build does not know.
    package static func newerSchema(unknownMigrations: [String]) -> Self {
        Self(
            .newerSchema,
            message: "The database was migrated by a newer version of Keel (unknown migrations: "
                + unknownMigrations.joined(separator: ", ") + "); refusing to open it."
        )
    }

    /// The error of reading a stored value that cannot be decoded.
    package static func invalidStoredValue(table: String, column: String) -> Self {
        Self(.invalidStoredValue, message: "The stored value of \(table).\(column) cannot be read.")
    }

    /// The ``message``.
    public var description: String { self.message }
}
