import KeelStorage
import PostgresNIO

/// Small named values in the `setting` table, one row per name.
///
/// `insertIfAbsent` is atomic across callers and processes: its `INSERT … ON CONFLICT DO
/// NOTHING` waits for a concurrent insert of the same name to commit, and the `SELECT` that
/// follows runs as a separate statement with a new snapshot (`READ COMMITTED`), so it sees the
/// value that won. Exactly one value is stored and every caller gets it back.
struct PostgresSettingStore: SettingStore {
    let client: PostgresClient

    func value(for name: String) async throws -> String? {
        let rows = try await self.client.query(
            "SELECT value FROM setting WHERE name = \(name)", logger: PostgresBackend.quietLogger)
        for try await value in rows.decode(String.self) {
            return value
        }
        return nil
    }

    func insertIfAbsent(_ value: String, for name: String) async throws -> String {
        let inserted = try await self.client.query(
            "INSERT INTO setting (name, value) VALUES (\(name), \(value)) ON CONFLICT (name) DO NOTHING RETURNING value",
            logger: PostgresBackend.quietLogger
        )
        for try await stored in inserted.decode(String.self) {
            return stored
        }
        // Not in one statement: a statement's snapshot predates the concurrent commit it waited for.
        guard let stored = try await self.value(for: name) else {
            throw StorageError.invalidStoredValue(table: "setting", column: "value")
        }
        return stored
    }

    func setValue(_ value: String, for name: String) async throws {
        try await self.client.query(
            """
            INSERT INTO setting (name, value) VALUES (\(name), \(value)) \
            ON CONFLICT (name) DO UPDATE SET value = excluded.value
            """,
            logger: PostgresBackend.quietLogger
        )
    }
}
