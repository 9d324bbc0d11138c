import GRDB
import KeelCore
import KeelStorage
import NIOPosix

/// The request log on SQLite: ``SQLRequestRecordStore``'s statements, with the recorder's batches
/// written from a thread of their own at low priority.
///
/// `append` runs ``SQLRequestRecordStore/appendStatements(_:dialect:)`` in one GRDB write transaction,
/// holding the ``SQLiteDatabase`` writer lock, so it never runs inside another store's open
/// transaction. Reads are the generic store's.
struct SQLiteRequestRecordStore: RequestRecordStore {
    let database: SQLiteDatabase
    /// The thread that writes small batches (see ``append(_:)``).
    let backgroundWriter: NIOThreadPool
    /// The audit log a batch's entries are appended to, in the batch's transaction.
    let auditLog: SQLAuditLogStore

    /// A started one-thread pool for ``backgroundWriter``.
    static func makeBackgroundWriter() -> NIOThreadPool {
        let threads = NIOThreadPool(numberOfThreads: 1)
        threads.start()
        return threads
    }

    private var store: SQLRequestRecordStore { SQLRequestRecordStore(database: self.database, auditLog: self.auditLog) }

    /// Writes `records` in one transaction.
    ///
    /// The recorder's batches are written from a thread of their own at the lowest scheduling
    /// priority (nice 19; SQLite runs on the calling thread of a synchronous write), so that on a
    /// shared core the threads serving requests preempt it: a transaction of a few dozen records
    /// and their audit entries takes a millisecond or more, which otherwise delayed the requests
    /// that arrived meanwhile. An `urgent` batch is written at normal priority: while the recorder
    /// is behind it sends short urgent batches, so that it catches up (a low-priority writer would
    /// fall behind under saturation until the buffer's backpressure stalled requests), and a batch
    /// with an entry someone waits for (strict mode) is not left to the scheduler's leftovers.
    ///
    /// Batch size alone does not tell a backlog: a low-priority write under load takes longer, so
    /// the next batch is larger, and a size limit sent every few batches to normal priority in
    /// the middle of serving (a stall of several milliseconds at one connection).
    func append(_ records: [RequestRecord]) async throws {
        try await self.append(records, audit: [], urgent: false)
    }

    func append(_ records: [RequestRecord], audit leaves: [AuditLeaf]) async throws -> AuditAppendResult? {
        try await self.append(records, audit: leaves, urgent: false)
    }

    func append(_ records: [RequestRecord], audit leaves: [AuditLeaf], urgent: Bool) async throws -> AuditAppendResult?
    {
        guard !records.isEmpty || !leaves.isEmpty else { return nil }
        let pool = self.database.pool
        let auditLog = self.auditLog
        let appended: SQLAuditLogStore.Appended?
        do {
            appended = try await self.database.writer.withLock {
                if !urgent {
                    try await self.backgroundWriter.runIfActive {
                        LowPriorityThread.lowerCurrent()
                        return try pool.write { db in try Self.insert(records, leaves, auditLog: auditLog, db: db) }
                    }
                } else {
                    try await pool.write { db in try Self.insert(records, leaves, auditLog: auditLog, db: db) }
                }
            }
        } catch {
            throw StorageError.mappingSQLite(
                error,
                table: leaves.isEmpty || !records.isEmpty ? "request_record" : "audit_entry"
            )
        }
        guard let appended else { return nil }
        auditLog.committed(appended)
        return appended.result
    }

    /// The records' statements, then the audit entries', in the open transaction of `db`: the
    /// synchronous form of ``SQLAuditLogStore/append(_:in:)`` (SQLite's transactions already run
    /// one at a time, so there is no lock to take).
    private static func insert(
        _ records: [RequestRecord],
        _ leaves: [AuditLeaf],
        auditLog: SQLAuditLogStore,
        db: Database
    ) throws -> SQLAuditLogStore.Appended? {
        for statement in SQLRequestRecordStore.appendStatements(records, dialect: .sqlite) {
            _ = try SQLiteDatabase.execute(statement, in: db)
        }
        guard !leaves.isEmpty else { return nil }
        let size = try SQLAuditLogStore.decodeSize(SQLiteDatabase.fetch(SQLAuditLogStore.headStatement, in: db).first)
        var tree: MerkleTreeAppender
        if let cached = auditLog.cachedTree(size: size) {
            tree = cached
        } else {
            let ids = MerkleTreeAppender.frontierNodeIDs(size: size)
            let rows = ids.isEmpty ? [] : try SQLiteDatabase.fetch(SQLAuditLogStore.nodesStatement(ids), in: db)
            tree = try MerkleTreeAppender(size: size, frontier: SQLAuditLogStore.hashes(ids, from: rows))
        }
        let nodes = tree.append(contentsOf: leaves.lazy.map(\.hash))
        for statement in SQLAuditLogStore.writeStatements(
            leaves,
            firstIndex: size,
            nodes: nodes,
            treeSize: tree.size,
            records: records,
            dialect: .sqlite
        ) {
            _ = try SQLiteDatabase.execute(statement, in: db)
        }
        return SQLAuditLogStore.Appended(result: AuditAppendResult(firstIndex: size, treeSize: tree.size), tree: tree)
    }

    func records(matching query: RequestRecordQuery) async throws -> [RequestRecord] {
        try await self.store.records(matching: query)
    }

    func purge(startedBefore time: Int64, scope: RetentionScope) async throws -> Int {
        try await self.store.purge(startedBefore: time, scope: scope)
    }

    func count(matching query: RequestRecordQuery) async throws -> Int {
        try await self.store.count(matching: query)
    }
}
