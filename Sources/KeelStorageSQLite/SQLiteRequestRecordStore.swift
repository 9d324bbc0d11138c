import GRDB
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif
import KeelCore
import KeelStorage

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

    /// Batches up to this many records are written on the background writer thread; larger ones
    /// (a backlog: the recorder is behind) on GRDB's writer at normal priority.
    static let backgroundBatchLimit = 128

    /// A started one-thread pool for ``backgroundWriter``.
    static func makeBackgroundWriter() -> NIOThreadPool {
        let threads = NIOThreadPool(numberOfThreads: 1)
        threads.start()
        return threads
    }

    private var store: SQLRequestRecordStore { SQLRequestRecordStore(database: self.database) }

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
        let pool = self.database.pool
        do {
            try await self.database.writer.withLock {
                if records.count <= Self.backgroundBatchLimit {
                    try await self.backgroundWriter.runIfActive {
                        Self.lowerPriority()
                        try pool.write { db in try Self.insert(records, db: db) }
                    }
                } else {
                    try await pool.write { db in try Self.insert(records, db: db) }
                }
            }
        } catch {
            throw StorageError.mappingSQLite(error, table: "request_record")
        }
    }

    private static func insert(_ records: [RequestRecord], db: Database) throws {
        for statement in SQLRequestRecordStore.appendStatements(records, dialect: .sqlite) {
            _ = try SQLiteDatabase.execute(statement, in: db)
        }
    }

    /// Nice 19 for the calling thread (on Linux the nice value is per thread; `who` 0 is the
    /// caller). Raising one's own niceness needs no privilege; a failure leaves it as it was.
    private static func lowerPriority() {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
        #endif
    }

    func records(matching query: RequestRecordQuery) async throws -> [RequestRecord] {
        try await self.store.records(matching: query)
    }

    func count(matching query: RequestRecordQuery) async throws -> Int {
        try await self.store.count(matching: query)
    }
}
