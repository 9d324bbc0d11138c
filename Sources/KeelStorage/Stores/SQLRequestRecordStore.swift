package import KeelCore

/// The request log in the `request_record` table, on any backend's ``SQLDatabase``.
///
/// - `append` writes a batch in one transaction: multi-row `INSERT`s
///   (``appendStatements(_:dialect:)``), then upserts of the cost rollups (`cost_rollup`,
///   `cost_rollup_tag`), then the batch's audit entries (``SQLAuditLogStore/append(_:in:)``), summed in memory first so each distinct rollup key of the batch is
///   written once. All records and their rollups are stored, or none: a duplicate id, in the
///   batch or already stored, rejects the whole batch with `StorageError` `.conflict`, a value
///   that breaks a `CHECK` with `.invalidValue`.
/// - A read is one statement and sees one committed state.
/// - Pages are ordered by `(started_at DESC, id DESC)`, `id` in byte order on both backends. The
///   key, team, org and model filters and the time window are served by indexes that end in
///   `(started_at, id)`, so such a page is an index range scan with no sort; the other filters are
///   checked while walking those indexes (see `RequestRecordQuery+SQL.swift`).
package struct SQLRequestRecordStore: RequestRecordStore {
    package let database: any SQLDatabase
    /// The audit log whose entries a batch may carry.
    package let auditLog: SQLAuditLogStore

    package init(database: any SQLDatabase, auditLog: SQLAuditLogStore) {
        self.database = database
        self.auditLog = auditLog
    }

    package func append(_ records: [RequestRecord]) async throws {
        _ = try await self.append(records, audit: [])
    }

    package func append(_ records: [RequestRecord], audit leaves: [AuditLeaf]) async throws -> AuditAppendResult? {
        guard !records.isEmpty || !leaves.isEmpty else { return nil }
        let dialect = self.database.dialect
        let appended = try await self.database.transaction { transaction -> SQLAuditLogStore.Appended? in
            for statement in Self.appendStatements(records, dialect: dialect) { try await transaction.run(statement) }
            return leaves.isEmpty ? nil : try await self.auditLog.append(leaves, in: transaction, records: records)
        }
        guard let appended else { return nil }
        self.auditLog.committed(appended)
        return appended.result
    }

    /// The statements that append `records` and add them to the cost rollups, to run in one
    /// transaction in this order. Each is built when it is reached, so a batch holds one
    /// statement's rows at a time.
    package static func appendStatements(_ records: [RequestRecord], dialect: SQLDialect) -> AppendStatements {
        AppendStatements(records: records, dialect: dialect)
    }

    package struct AppendStatements: Sequence, IteratorProtocol {
        let records: [RequestRecord]
        let dialect: SQLDialect
        private var chunks: IndexingIterator<[ArraySlice<RequestRecord>]>
        private var upserts: IndexingIterator<[SQLStatement]>?

        init(records: [RequestRecord], dialect: SQLDialect) {
            self.records = records
            self.dialect = dialect
            self.chunks = records.statementChunks(for: dialect).makeIterator()
        }

        package mutating func next() -> SQLStatement? {
            if let chunk = self.chunks.next() {
                return
                    "INSERT INTO request_record (\(raw: RequestRecord.insertColumns)) VALUES \(SQLStatement.joined(chunk.lazy.map(\.insertRow), separator: ", "))"
            }
            if self.upserts == nil {
                self.upserts = CostRollupBatch(self.records).upsertStatements(for: self.dialect).makeIterator()
            }
            return self.upserts?.next()
        }
    }

    package func records(matching query: RequestRecordQuery) async throws -> [RequestRecord] {
        guard query.limit > 0 else { return [] }
        return try await self.database.rows(query.pageStatement, RequestRecord.init(row:))
    }

    /// Deletes the records of `scope` that started before `time`. The audit entries kept as a
    /// reference to one of them (``AuditLeaf/Storage/record(_:)``) get their bytes written out in
    /// full first, in the same transaction, so the log outlives the records it covers.
    package func purge(startedBefore time: Int64, scope: RetentionScope) async throws -> Int {
        let condition: SQLStatement
        switch scope {
        case .org(let org):
            condition = "org_id = \(org.rawValue) AND started_at < \(time)"
        case .allExcept(let orgs) where orgs.isEmpty:
            condition = "started_at < \(time)"
        case .allExcept(let orgs):
            condition =
                "started_at < \(time) AND (org_id IS NULL OR org_id NOT IN (\(list: orgs.map(\.rawValue).sorted())))"
        }
        // Records an incident links stay until the incident is closed (its evidence is frozen).
        let purgeable: SQLStatement = """
            \(condition) AND NOT EXISTS (SELECT 1 FROM incident_record p JOIN incident i ON i.id = p.incident_id \
            WHERE p.request_id = request_record.id AND i.state <> 'closed')
            """
        var deleted = 0
        while true {
            // A chunk at a time: a purge of millions of rows neither holds one long transaction
            // nor reads every entry into memory at once.
            let rows = try await self.database.transaction { tx -> Int in
                try await self.auditLog.writeOutEntries(ofRecordsWhere: purgeable, limit: Self.purgeChunk, in: tx)
                return try await tx.run(
                    "DELETE FROM request_record WHERE id IN (SELECT id FROM request_record WHERE \(purgeable) ORDER BY id LIMIT \(Self.purgeChunk))"
                )
            }
            deleted += rows
            if rows < Self.purgeChunk { return deleted }
        }
    }

    /// Records deleted per transaction by ``purge(startedBefore:scope:)``.
    static let purgeChunk = 5_000

    package func count(matching query: RequestRecordQuery) async throws -> Int {
        try await self.database.row(query.countStatement)?.decodeFirst(as: Int.self) ?? 0
    }

    /// The number and total cost of the records of `taskID`, only those `within` the scope when
    /// one is given: ``AgentTaskStore/totals(ofTask:within:)`` on every backend.
    package static func totals(
        ofTask taskID: String,
        within: RequestRecordQuery.Scope?,
        in database: any SQLDatabase
    ) async throws -> AgentTaskTotals {
        var query = RequestRecordQuery(within: within)
        query.taskID = taskID
        let statement: SQLStatement = """
            SELECT COUNT(*) AS requests, CAST(COALESCE(SUM(cost_nanos), 0) AS BIGINT) AS cost_nanos \
            FROM request_record WHERE \(query.condition(includingCursor: false))
            """
        guard let row = try await database.row(statement) else { return AgentTaskTotals(requests: 0, cost: .zero) }
        return AgentTaskTotals(requests: try row.decode("requests"), cost: try row.decode("cost_nanos"))
    }
}
