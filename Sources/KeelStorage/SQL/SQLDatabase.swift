/// Runs ``SQLStatement``s on one backend: the SQL layer every store is written against once
/// (docs/adr/0012-storage-written-once.md).
///
/// Each backend implements it: `SQLiteDatabase` (GRDB) and `PostgresDatabase` (PostgresNIO).
/// A statement outside a ``SQLDatabase/transaction(_:)`` runs on its own (a write is atomic);
/// errors of a refused write come as ``StorageError`` (`.conflict`, `.invalidValue`,
/// `.referenced`) naming the statement's table; other failures are the backend's own.
public protocol SQLExecutor: Sendable {
    var dialect: SQLDialect { get }

    /// Runs `statement` and returns its rows (a `SELECT`, or a write with `RETURNING`).
    func rows(_ statement: SQLStatement) async throws -> [SQLRow]

    /// Runs `statement` and returns how many rows it inserted, updated or deleted.
    @discardableResult
    func run(_ statement: SQLStatement) async throws -> Int
}

/// A backend's database: statements, and transactions.
public protocol SQLDatabase: SQLExecutor {
    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    ///
    /// Statements inside run only through the transaction `body` is given; a store must not call
    /// the database itself (or another store) from `body`. On SQLite the transaction holds the
    /// one writer from its start (`BEGIN IMMEDIATE`), so transactions and writes run one at a
    /// time, across processes too; on PostgreSQL at `READ COMMITTED`, serialised where the store
    /// asks with ``SQLTransaction/lock(_:)``.
    func transaction<Result: Sendable>(_ body: (any SQLTransaction) async throws -> Result) async throws -> Result
}

/// The statements of one transaction.
public protocol SQLTransaction: SQLExecutor {
    /// Holds the lock named `name` until the transaction ends, so transactions that take the same
    /// name run one after another, on every instance sharing the database: a transaction-level
    /// advisory lock on PostgreSQL; nothing more on SQLite, whose transactions already run one
    /// at a time.
    func lock(_ name: String) async throws
}

extension SQLExecutor {
    /// The first row of `statement`'s result, or `nil` when it has none.
    public func row(_ statement: SQLStatement) async throws -> SQLRow? {
        try await self.rows(statement).first
    }

    /// The rows of `statement`, each read by `decode`.
    public func rows<Value>(_ statement: SQLStatement, _ decode: (SQLRow) throws -> Value) async throws -> [Value] {
        try await self.rows(statement).map(decode)
    }

    /// The first row of `statement`, read by `decode`; `nil` when it has none.
    public func row<Value>(_ statement: SQLStatement, _ decode: (SQLRow) throws -> Value) async throws -> Value? {
        try await self.rows(statement).first.map(decode)
    }
}
