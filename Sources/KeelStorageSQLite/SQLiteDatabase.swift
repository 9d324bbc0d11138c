import Foundation
import GRDB
import GRDBSQLite
import KeelStorage

/// The SQL layer on SQLite, through GRDB's `DatabasePool`: reads on its reader connections,
/// writes and transactions on its one writer.
///
/// Every write to the file from this process goes through ``writer``'s lock: a statement, a
/// transaction (held from `BEGIN IMMEDIATE` to `COMMIT`, each statement a separate access to
/// GRDB's writer), and the tuned paths that use GRDB directly (``write(_:)``). So no statement of
/// another writer runs inside an open transaction, and a transaction's statements may await in
/// between. Other processes sharing the file wait for SQLite's lock (the busy timeout).
struct SQLiteDatabase: SQLDatabase {
    let pool: DatabasePool
    let writer: AsyncLock

    var dialect: SQLDialect { .sqlite }

    func rows(_ statement: SQLStatement) async throws -> [SQLRow] {
        do {
            if statement.verb == .read {
                return try await self.pool.read { db in try Self.fetch(statement, in: db) }
            }
            return try await self.write { db in try Self.fetch(statement, in: db) }
        } catch {
            throw StorageError.mappingSQLite(error, table: statement.table)
        }
    }

    @discardableResult
    func run(_ statement: SQLStatement) async throws -> Int {
        do {
            return try await self.write { db in try Self.execute(statement, in: db) }
        } catch {
            throw StorageError.mappingSQLite(error, table: statement.table)
        }
    }

    func transaction<Result: Sendable>(_ body: (any SQLTransaction) async throws -> Result) async throws -> Result {
        try await self.writer.withLock {
            let pool = self.pool
            try await pool.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
            do {
                let result = try await body(Transaction(pool: pool))
                try await pool.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
                return result
            } catch {
                // Not cancelled with the caller: the writer must not stay inside the transaction.
                await Task.detached {
                    try? await pool.writeWithoutTransaction { db in
                        if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") }
                    }
                }.value
                throw error
            }
        }
    }

    /// Runs `body` on GRDB's writer in a transaction of its own, holding the writer lock: for a
    /// store's tuned path (the request recorder's batched inserts).
    func write<Result: Sendable>(_ body: @escaping @Sendable (Database) throws -> Result) async throws -> Result {
        try await self.writer.withLock { try await self.pool.write(body) }
    }

    /// The statements of a transaction, on GRDB's writer, inside the open `BEGIN IMMEDIATE`.
    private struct Transaction: SQLTransaction {
        let pool: DatabasePool

        var dialect: SQLDialect { .sqlite }

        func rows(_ statement: SQLStatement) async throws -> [SQLRow] {
            do {
                return try await self.pool.writeWithoutTransaction { db in try SQLiteDatabase.fetch(statement, in: db) }
            } catch {
                throw StorageError.mappingSQLite(error, table: statement.table)
            }
        }

        @discardableResult
        func run(_ statement: SQLStatement) async throws -> Int {
            do {
                return try await self.pool.writeWithoutTransaction { db in try SQLiteDatabase.execute(statement, in: db) }
            } catch {
                throw StorageError.mappingSQLite(error, table: statement.table)
            }
        }

        /// SQLite runs one writer at a time: the transaction holds it already.
        func lock(_ name: String) async throws {}
    }

    static func fetch(_ statement: SQLStatement, in db: Database) throws -> [SQLRow] {
        let prepared = try Self.prepare(statement, in: db)
        let columns = SQLColumns(names: prepared.columnNames, of: statement)
        var rows: [SQLRow] = []
        let cursor = try Row.fetchCursor(prepared)
        while let row = try cursor.next() {
            var values: [SQLValue] = []
            values.reserveCapacity(row.count)
            for index in 0..<row.count { values.append(Self.value(row[index] as DatabaseValue)) }
            rows.append(SQLRow(columns: columns, values: values))
        }
        return rows
    }

    static func execute(_ statement: SQLStatement, in db: Database) throws -> Int {
        try Self.prepare(statement, in: db).execute()
        return db.changesCount
    }

    /// `statement` prepared on `db` (from GRDB's cache), its parameters bound.
    ///
    /// The values are bound with SQLite's own calls: building GRDB's `StatementArguments` reads
    /// each value through a key path, which cost the recorder's multi-row inserts more than a
    /// tenth of their time. GRDB is given empty arguments marked as set, so it resets the
    /// statement before each run without clearing these bindings.
    static func prepare(_ statement: SQLStatement, in db: Database) throws -> Statement {
        let (sql, values) = statement.rendered(for: .sqlite)
        let prepared = try db.cachedStatement(sql: sql)
        assert(Int(sqlite3_bind_parameter_count(prepared.sqliteStatement)) == values.count, "one value per parameter")
        prepared.setUncheckedArguments(StatementArguments())
        var binder = SQLiteBinder(statement: prepared.sqliteStatement)
        for value in values { binder.bind(value) }
        return prepared
    }

    static func value(_ value: DatabaseValue) -> SQLValue {
        switch value.storage {
        case .null: .null
        case .int64(let number): .int(number)
        case .double(let number): .double(number)
        case .string(let text): .text(text)
        case .blob(let data): .blob([UInt8](data))
        }
    }
}
