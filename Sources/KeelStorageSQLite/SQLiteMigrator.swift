import Foundation
import GRDB
import KeelStorage
import Logging

/// Brings a database up to date with a list of migrations.
///
/// The bookkeeping table `schema_migration` records the id of every applied migration and when
/// it was applied. Each pending migration runs in its own write transaction together with its
/// bookkeeping row, so a failed migration leaves no trace and the next start retries it.
struct SQLiteMigrator: Sendable {
    let migrations: [SchemaMigration]

    /// Creates a migrator. Ids that are not unique and strictly increasing are a programmer error.
    init(migrations: [SchemaMigration]) {
        for (earlier, later) in zip(migrations, migrations.dropFirst()) {
            precondition(earlier.id < later.id, "Migration ids must be unique and increasing: \(later.id)")
        }
        self.migrations = migrations
    }

    // The bookkeeping table is the runner's own, not part of the migration list, so it is
    // created idempotently before anything else is read.
    private static let bookkeepingSQL = """
        CREATE TABLE IF NOT EXISTS schema_migration (
            id         TEXT    PRIMARY KEY NOT NULL,
            applied_at INTEGER NOT NULL
        ) STRICT
        """

    /// Applies the pending migrations in order and returns the ids it applied.
    ///
    /// Throws ``StorageError`` when the database records a migration this list does not
    /// know: it was written by a newer Keel, and this one must not touch it.
    func migrate(_ writer: some DatabaseWriter, logger: Logger) async throws -> [String] {
        try await writer.write { db in try db.execute(sql: Self.bookkeepingSQL) }
        let applied = Set(try await Self.appliedMigrationIDs(writer))
        let unknown = applied.subtracting(self.migrations.map(\.id)).sorted()
        guard unknown.isEmpty else {
            throw StorageError.newerSchema(unknownMigrations: unknown)
        }

        var newlyApplied: [String] = []
        for migration in self.migrations where !applied.contains(migration.id) {
            let appliedAt = Int64(Date().timeIntervalSince1970 * 1_000_000)
            let didApply = try await writer.write { db in
                // Another process sharing the file may have applied it since the list was read;
                // inside the write transaction the check is final.
                let exists = try Bool.fetchOne(
                    db,
                    sql: "SELECT EXISTS (SELECT 1 FROM schema_migration WHERE id = ?)",
                    arguments: [migration.id]
                )
                if exists == true { return false }
                try db.execute(sql: migration.sql)
                try db.execute(
                    sql: "INSERT INTO schema_migration (id, applied_at) VALUES (?, ?)",
                    arguments: [migration.id, appliedAt]
                )
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
    static func appliedMigrationIDs(_ reader: some DatabaseReader) async throws -> [String] {
        try await reader.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM schema_migration ORDER BY id")
        }
    }
}
