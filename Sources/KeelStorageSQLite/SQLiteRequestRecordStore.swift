import GRDB
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

    private static let insertSQL: String = {
        let placeholders = Array(repeating: "?", count: RequestRecord.sqliteColumnCount).joined(separator: ", ")
        return "INSERT INTO request_record (\(RequestRecord.sqliteColumns)) VALUES (\(placeholders))"
    }()

    func append(_ records: [RequestRecord]) async throws {
        guard !records.isEmpty else { return }
        do {
            try await self.pool.write { db in
                let statement = try db.cachedStatement(sql: Self.insertSQL)
                for record in records {
                    // The values match the statement by construction (same column list); they
                    // are bound and stepped with SQLite's own calls, without GRDB's argument
                    // boxing and validation.
                    try SQLiteBinder.execute(statement, in: db) { record.bindSQLite(to: $0) }
                }
                try Self.upsertRollups(CostRollupBatch(records), db: db)
            }
        } catch {
            throw StorageError.mappingSQLite(error, table: "request_record")
        }
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
