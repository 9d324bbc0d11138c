import GRDB
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif
import KeelCore
import KeelStorage

/// The request log in the `request_record` table.
///
/// - `append` writes a batch in one write transaction through one cached prepared statement:
///   all records are stored, or none. The same transaction upserts the cost rollups
///   (`cost_rollup`, `cost_rollup_tag`), summed in memory first so each distinct rollup key of the
///   batch is written once. A duplicate id, in the batch or already stored, rejects
///   the whole batch with `StorageError` `.conflict`; a value that breaks a `CHECK` constraint
///   with `.invalidValue`.
/// - Reads run on GRDB's reader connections and see one committed state.
/// - Pages are ordered by `(started_at DESC, id DESC)`. The key, team and model filters and the
///   time window are served by indexes that end in `(started_at, id)`, so such a page is an
///   index range scan with no sort; the other filters are checked while walking those indexes.
struct SQLiteRequestRecordStore: RequestRecordStore {
    let pool: DatabasePool
    /// Every write takes its writer lock.
    let database: SQLiteDatabase
    /// The thread that writes small batches (see ``append(_:)``).
    let backgroundWriter: NIOThreadPool

    /// Batches up to this many records are written on the background writer thread; larger ones
    /// (a backlog: the recorder is behind) on GRDB's writer at normal priority.
    static let backgroundBatchLimit = 128

    /// A started one-thread pool for ``backgroundWriter``.
    static func makeBackgroundWriter() -> NIOThreadPool {
        let threads = NIOThreadPool(numberOfThreads: 1)
        threads.start()
        return threads
    }

    private static let insertSQL: String = {
        let placeholders = Array(repeating: "?", count: RequestRecord.sqliteColumnCount).joined(separator: ", ")
        return "INSERT INTO request_record (\(RequestRecord.sqliteColumns)) VALUES (\(placeholders))"
    }()

    /// Writes `records` in one transaction.
    ///
    /// A small batch (the recorder keeping up) is written from a thread of its own at the lowest
    /// scheduling priority (nice 19; SQLite runs on the calling thread of a synchronous write), so
    /// that on a shared core the threads serving requests preempt it: a transaction of a few
    /// dozen records takes most of a millisecond, which otherwise delayed the requests that
    /// arrived meanwhile. A large batch means a backlog, and is written at normal priority so the
    /// recorder catches up (a low-priority writer would fall behind under saturation until the
    /// buffer's backpressure stalled requests).
    func append(_ records: [RequestRecord]) async throws {
        guard !records.isEmpty else { return }
        do {
            if records.count <= Self.backgroundBatchLimit {
                let pool = self.pool
                // The writer lock first: the SQL layer's transactions hold GRDB's writer open
                // across accesses (SQLiteDatabase).
                try await self.database.writer.withLock {
                    try await self.backgroundWriter.runIfActive {
                        Self.lowerPriority()
                        try pool.write { db in try Self.insert(records, db: db) }
                    }
                }
            } else {
                try await self.database.write { db in try Self.insert(records, db: db) }
            }
        } catch {
            throw StorageError.mappingSQLite(error, table: "request_record")
        }
    }

    private static func insert(_ records: [RequestRecord], db: Database) throws {
        let statement = try db.cachedStatement(sql: Self.insertSQL)
        for record in records {
            // The values match the statement by construction (same column list); they
            // are bound and stepped with SQLite's own calls, without GRDB's argument
            // boxing and validation.
            try SQLiteBinder.execute(statement, in: db) { record.bindSQLite(to: $0) }
        }
        try Self.upsertRollups(CostRollupBatch(records), db: db)
    }

    /// Nice 19 for the calling thread (on Linux the nice value is per thread; `who` 0 is the
    /// caller). Raising one's own niceness needs no privilege; a failure leaves it as it was.
    private static func lowerPriority() {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
        #endif
    }

    private static let rollupUpsertSQL = CostRollup.upsertSQL(
        table: "cost_rollup", keyColumns: CostRollup.keyColumns,
        values: "(" + Array(repeating: "?", count: CostRollup.keyColumns.count + CostRollup.sumColumns.count).joined(separator: ", ") + ")")

    private static let tagRollupUpsertSQL = CostRollup.upsertSQL(
        table: "cost_rollup_tag", keyColumns: CostRollup.tagKeyColumns,
        values: "(" + Array(repeating: "?", count: CostRollup.tagKeyColumns.count + CostRollup.sumColumns.count).joined(separator: ", ") + ")")

    /// Adds `batch` to the rollups: one upsert per distinct key.
    static func upsertRollups(_ batch: CostRollupBatch, db: Database) throws {
        let statement = try db.cachedStatement(sql: Self.rollupUpsertSQL)
        for (key, totals) in batch.rows {
            var arguments: [(any DatabaseValueConvertible)?] = [key.granularity, key.bucketStart]
            arguments += key.textValues.map { $0 }
            arguments += totals.columnValues.map { $0 }
            statement.setUncheckedArguments(StatementArguments(arguments))
            try statement.execute()
        }
        let tagStatement = try db.cachedStatement(sql: Self.tagRollupUpsertSQL)
        for (key, totals) in batch.tagRows {
            var arguments: [(any DatabaseValueConvertible)?] = [key.granularity, key.bucketStart]
            arguments += key.textValues.map { $0 }
            arguments += totals.columnValues.map { $0 }
            tagStatement.setUncheckedArguments(StatementArguments(arguments))
            try tagStatement.execute()
        }
    }

    func records(matching query: RequestRecordQuery) async throws -> [RequestRecord] {
        guard query.limit > 0 else { return [] }
        let (sql, arguments) = query.sqliteSelect()
        return try await self.pool.read { db in
            let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
            var records: [RequestRecord] = []
            // A huge limit means "all"; do not reserve memory for it.
            records.reserveCapacity(min(query.limit, 1_000))
            while let row = try rows.next() {
                records.append(try RequestRecord(sqliteRow: row))
            }
            return records
        }
    }

    func count(matching query: RequestRecordQuery) async throws -> Int {
        let (sql, arguments) = query.sqliteCount()
        return try await self.pool.read { db in
            try Int.fetchOne(db.cachedStatement(sql: sql), arguments: arguments) ?? 0
        }
    }
}
