import KeelCore
import KeelStorage
import PostgresNIO

/// The request log in the `request_record` table.
///
/// - `append` writes a batch in one transaction: multi-row `INSERT`s of at most
///   ``rowsPerStatement`` rows, then multi-row upserts of the cost rollups (`cost_rollup`,
///   `cost_rollup_tag`), summed in memory first so each distinct rollup key is written once. All
///   records and their rollups are stored, or none: a duplicate id, in the batch or already stored, rejects the whole batch
///   with `StorageError` `.conflict`, a value that breaks a `CHECK` with `.invalidValue`.
/// - Reads see one committed state per statement.
/// - Pages are ordered by `(started_at DESC, id DESC)`, `id` in byte order (`COLLATE "C"`), as
///   on SQLite. The key, team and model filters and the time window are served by indexes that
///   end in `(started_at, id)`, scanned backwards.
struct PostgresRequestRecordStore: RequestRecordStore {
    let client: PostgresClient

    /// Rows per `INSERT`: 27 parameters a row, well under PostgreSQL's 65,535 per statement.
    static let rowsPerStatement = 1_000

    func append(_ records: [RequestRecord]) async throws {
        guard !records.isEmpty else { return }
        let rollups = CostRollupBatch(records)
        do {
            try await self.client.withConnection { connection in
                try await PostgresBackend.inTransaction(connection) { connection in
                    var start = records.startIndex
                    while start < records.endIndex {
                        let end = min(start + Self.rowsPerStatement, records.endIndex)
                        try await connection.query(Self.insert(records[start..<end]), logger: PostgresBackend.quietLogger)
                        start = end
                    }
                    for query in Self.rollupUpserts(rollups) {
                        try await connection.query(query, logger: PostgresBackend.quietLogger)
                    }
                }
            }
        } catch {
            throw StorageError.mappingPostgres(error, table: "request_record")
        }
    }

    /// Multi-row upserts of the batch's rollup rows, at most ``rowsPerStatement`` rows each. The
    /// rows of one statement have distinct keys (they were summed in memory), as `ON CONFLICT DO
    /// UPDATE` requires, and come in key order, so concurrent batches lock rows in one order.
    static func rollupUpserts(_ batch: CostRollupBatch) -> [PostgresQuery] {
        var queries: [PostgresQuery] = []
        func build(table: String, keyColumns: [String], rows: [(integers: [Int64], texts: [String], sums: [Int64])]) {
            var start = 0
            while start < rows.count {
                let end = min(start + Self.rowsPerStatement, rows.count)
                var bindings = PostgresBindings()
                var values: [String] = []
                for row in rows[start..<end] {
                    var placeholders: [String] = []
                    for value in row.integers {
                        bindings.append(value)
                        placeholders.append("$\(bindings.count)")
                    }
                    for value in row.texts {
                        bindings.append(value)
                        placeholders.append("$\(bindings.count)")
                    }
                    for value in row.sums {
                        bindings.append(value)
                        placeholders.append("$\(bindings.count)")
                    }
                    values.append("(" + placeholders.joined(separator: ", ") + ")")
                }
                let sql = CostRollup.upsertSQL(table: table, keyColumns: keyColumns, values: values.joined(separator: ", "))
                queries.append(PostgresQuery(unsafeSQL: sql, binds: bindings))
                start = end
            }
        }
        build(
            table: "cost_rollup", keyColumns: CostRollup.keyColumns,
            rows: batch.rows.map { ([$0.key.granularity, $0.key.bucketStart], $0.key.textValues, $0.totals.columnValues) })
        build(
            table: "cost_rollup_tag", keyColumns: CostRollup.tagKeyColumns,
            rows: batch.tagRows.map { ([$0.key.granularity, $0.key.bucketStart], $0.key.textValues, $0.totals.columnValues) })
        return queries
    }

    func records(matching query: RequestRecordQuery) async throws -> [RequestRecord] {
        guard query.limit > 0 else { return [] }
        let rows = try await self.client.query(query.postgresSelect(), logger: PostgresBackend.quietLogger)
        var records: [RequestRecord] = []
        // A huge limit means "all"; do not reserve memory for it.
        records.reserveCapacity(min(query.limit, 1_000))
        for try await row in rows {
            records.append(try RequestRecord(postgresRow: row))
        }
        return records
    }

    func count(matching query: RequestRecordQuery) async throws -> Int {
        let rows = try await self.client.query(query.postgresCount(), logger: PostgresBackend.quietLogger)
        for try await count in rows.decode(Int64.self) {
            return Int(count)
        }
        return 0
    }

    private static func insert(_ records: ArraySlice<RequestRecord>) -> PostgresQuery {
        var bindings = PostgresBindings(capacity: records.count * RequestRecord.postgresColumnCount)
        var sql = "INSERT INTO request_record (\(RequestRecord.postgresInsertColumns)) VALUES "
        for (offset, record) in records.enumerated() {
            if offset > 0 { sql += ", " }
            sql += RequestRecord.postgresPlaceholders(first: offset * RequestRecord.postgresColumnCount + 1)
            record.appendPostgresBindings(to: &bindings)
        }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }
}
