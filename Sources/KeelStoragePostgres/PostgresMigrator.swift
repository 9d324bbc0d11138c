import Foundation
import KeelStorage
import Logging
import PostgresNIO

/// Brings a database up to date with a list of migrations, safely when several processes start
/// at once against one database.
///
/// The bookkeeping table `schema_migration` records the id of every applied migration and when
/// it was applied. Each pending migration runs in its own transaction together with its
/// bookkeeping row, so a failed migration leaves no trace and the next start retries it, while
/// the migrations before it stay applied.
///
/// Every transaction of the runner first takes the transaction-level advisory lock
/// ``lockKey`` (`pg_advisory_xact_lock`), which PostgreSQL releases at commit or rollback. Two
/// gateways starting together therefore migrate one after the other: the second waits, then
/// finds each migration recorded and skips it. Without the lock both would run
/// `CREATE TABLE IF NOT EXISTS` and the same migration at once, and one would fail on a
/// catalog unique key.
struct PostgresMigrator: Sendable {
    let migrations: [SchemaMigration]

    /// The key of the advisory lock that serialises migration runs on one database: the ASCII
    /// bytes of "keel_mig". Advisory locks are per database, so deployments in different schemas
    /// of one database take turns too, which costs only a short wait at start-up.
    static let lockKey: Int64 = 0x6B65_656C_5F6D_6967

    /// Creates a migrator. Ids that are not unique and strictly increasing are a programmer error.
    init(migrations: [SchemaMigration]) {
        for (earlier, later) in zip(migrations, migrations.dropFirst()) {
            precondition(earlier.id < later.id, "Migration ids must be unique and increasing: \(later.id)")
        }
        self.migrations = migrations
    }

    // The bookkeeping table is the runner's own, not part of the migration list, so it is
    // created idempotently (under the lock) before anything else is read.
    private static let bookkeepingSQL: PostgresQuery = """
        CREATE TABLE IF NOT EXISTS schema_migration (
            id         TEXT COLLATE "C" PRIMARY KEY,
            applied_at BIGINT NOT NULL
        )
        """

    /// Applies the pending migrations in order on `connection` and returns the ids it applied.
    ///
    /// When `schema` is given it is created first if missing; `connection` must already have it
    /// as its `search_path`.
    ///
    /// - Throws: ``StorageError`` `.newerSchema` when the database records a migration this list
    ///   does not know: a newer Keel wrote it, and this one must not touch it. PostgreSQL's
    ///   errors as `PSQLError` when a statement fails.
    func migrate(_ connection: PostgresConnection, schema: String?, logger: Logger) async throws -> [String] {
        let applied: Set<String> = try await Self.inLockedTransaction(connection, logger: logger) { connection in
            if let schema {
                // An identifier cannot be a bound parameter; it is quoted, never interpolated raw.
                let create = "CREATE SCHEMA IF NOT EXISTS " + PostgresBackend.quotedIdentifier(schema)
                try await connection.query(PostgresQuery(unsafeSQL: create), logger: logger)
            }
            try await connection.query(Self.bookkeepingSQL, logger: logger)
            return Set(try await Self.appliedMigrationIDs(connection, logger: logger))
        }
        let unknown = applied.subtracting(self.migrations.map(\.id)).sorted()
        guard unknown.isEmpty else {
            throw StorageError.newerSchema(unknownMigrations: unknown)
        }

        var newlyApplied: [String] = []
        for migration in self.migrations where !applied.contains(migration.id) {
            let appliedAt = Int64(Date().timeIntervalSince1970 * 1_000_000)
            let didApply = try await Self.inLockedTransaction(connection, logger: logger) { connection in
                // Another process may have applied it since the list was read; under the lock
                // the check is final.
                let rows = try await connection.query(
                    "SELECT 1 FROM schema_migration WHERE id = \(migration.id)", logger: logger)
                for try await _ in rows { return false }
                for statement in PostgresStatementSplitter.statements(in: migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migration (id, applied_at) VALUES (\(migration.id), \(appliedAt))",
                    logger: logger)
                return true
            }
            if didApply {
                logger.info("Applied schema migration", metadata: ["keel.storage.migration": "\(migration.id)"])
                newlyApplied.append(migration.id)
            }
        }
        return newlyApplied
    }

    /// The ids recorded in `schema_migration`, in id order.
    static func appliedMigrationIDs(_ connection: PostgresConnection, logger: Logger) async throws -> [String] {
        let rows = try await connection.query("SELECT id FROM schema_migration ORDER BY id", logger: logger)
        var ids: [String] = []
        for try await (id) in rows.decode(String.self) {
            ids.append(id)
        }
        return ids
    }

    /// Runs `body` in a transaction that first takes the migration lock.
    private static func inLockedTransaction<Result: Sendable>(
        _ connection: PostgresConnection,
        logger: Logger,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await PostgresBackend.inTransaction(connection, logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
            return try await body(connection)
        }
    }
}
