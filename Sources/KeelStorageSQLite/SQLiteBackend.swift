import Foundation
import GRDB
import NIOPosix
public import KeelStorage
public import Logging

/// The embedded storage backend: one SQLite database file in WAL mode, read and written through
/// a GRDB `DatabasePool` (one writer connection, several concurrent readers).
///
/// Every store method runs on GRDB's own dispatch queues through its `async` `read` and
/// `write`, so no caller's thread, and no event loop, waits for the database. Writes are
/// serialised; reads run concurrently with each other and with the writer, and each read sees
/// one committed state.
///
/// A store call made from a cancelled task throws `CancellationError` and writes nothing (GRDB
/// interrupts the statement and rolls back), so a recorder drains its buffer on graceful shutdown
/// from a task that is not cancelled.
///
/// One backend serves the whole process. Another process may open the same file (for example
/// `keel migrate` next to a running server): writes then wait for each other up to
/// ``Configuration/busyTimeout``.
///
/// ```swift
/// let backend = try await SQLiteBackend.open(path: ".keel/keel.sqlite", logger: logger)
/// try await backend.stores.requests.append(records)
/// ```
public final class SQLiteBackend: Sendable {
    /// Settings of the SQLite backend; every field has a default.
    public struct Configuration: Sendable, Equatable {
        /// How long a write waits for the write lock held by another process (or a checkpoint)
        /// before it fails with `SQLITE_BUSY`. In WAL mode reads do not wait for writes.
        public var busyTimeout: Duration
        /// The most read connections open at once.
        public var maximumReaderCount: Int

        /// Creates a configuration. `maximumReaderCount` must be at least 1.
        public init(busyTimeout: Duration = .seconds(5), maximumReaderCount: Int = 4) {
            self.busyTimeout = busyTimeout
            self.maximumReaderCount = maximumReaderCount
        }
    }

    /// The path of the database file, as given to ``open(path:configuration:logger:)``.
    public let path: String
    /// The stores of this database, ready to use.
    public let stores: KeelStores
    // Internal, not private, so that the tests can read pragmas and query plans.
    let pool: DatabasePool
    private let recordWriter: NIOThreadPool
    let database: SQLiteDatabase

    private init(path: String, pool: DatabasePool) {
        self.path = path
        self.pool = pool
        self.recordWriter = SQLiteRequestRecordStore.makeBackgroundWriter()
        self.database = SQLiteDatabase(pool: pool, writer: AsyncLock())
        self.stores = KeelStores(
            database: self.database,
            requests: { [database, recordWriter] auditLog in
                SQLiteRequestRecordStore(database: database, backgroundWriter: recordWriter, auditLog: auditLog)
            },
            backendDescription: "sqlite:\(path)",
            ping: { try await pool.read { db in try db.execute(sql: "SELECT 1") } }
        )
    }

    /// Opens the database at `path`, creating the file and its parent directories when missing,
    /// and applies the pending migrations of `KeelSchema` (rendered for SQLite).
    ///
    /// Connections use `journal_mode=WAL`, `synchronous=NORMAL` and `foreign_keys=ON`, and
    /// statement arguments are left out of error descriptions, so errors never carry stored
    /// values. Opening is the only call that does blocking file-system work on the calling
    /// thread; call it at startup, not from a request handler.
    ///
    /// - Throws: ``StorageError`` when the database was migrated by a newer Keel; GRDB's
    ///   `DatabaseError` or a file-system error when the file cannot be created or opened.
    public static func open(
        path: String,
        configuration: Configuration = Configuration(),
        logger: Logger
    ) async throws -> SQLiteBackend {
        precondition(configuration.maximumReaderCount >= 1, "maximumReaderCount must be at least 1")
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)

        let pool = try DatabasePool(path: path, configuration: Self.grdbConfiguration(configuration))
        let applied = try await SQLiteMigrator(migrations: KeelSchema.migrations(for: .sqlite)).migrate(pool, logger: logger)
        logger.debug(
            "Opened SQLite database",
            metadata: ["keel.storage.path": "\(path)", "keel.storage.migrations_applied": "\(applied.count)"]
        )
        return SQLiteBackend(path: path, pool: pool)
    }

    /// The ids of the migrations applied to this database, in id order.
    public func appliedMigrations() async throws -> [String] {
        try await SQLiteMigrator.appliedMigrationIDs(self.pool)
    }

    /// Closes every connection, after waiting for the database accesses in progress.
    ///
    /// Blocks the calling thread; call it at shutdown, after the recorders have drained. Every
    /// store call made afterwards throws.
    public func close() throws {
        try? self.recordWriter.syncShutdownGracefully()
        try self.pool.close()
    }

    private static func grdbConfiguration(_ configuration: Configuration) -> GRDB.Configuration {
        var grdb = GRDB.Configuration()
        grdb.label = "keel"
        grdb.journalMode = .wal
        grdb.foreignKeysEnabled = true
        grdb.publicStatementArguments = false
        grdb.maximumReaderCount = configuration.maximumReaderCount
        let (seconds, attoseconds) = configuration.busyTimeout.components
        // A transaction of the SQL layer spans several accesses to the writer (SQLiteDatabase).
        grdb.allowsUnsafeTransactions = true
        grdb.busyMode = .timeout(Double(seconds) + Double(attoseconds) / 1e18)
        grdb.prepareDatabase { db in
            // GRDB already sets NORMAL on the connection that enables WAL; setting it on every
            // connection keeps the durability promise independent of that detail.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        return grdb
    }
}
