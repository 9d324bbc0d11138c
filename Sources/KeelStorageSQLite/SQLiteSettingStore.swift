import GRDB
import KeelStorage

/// Small named values in the `setting` table, one row per name.
///
/// `insertIfAbsent` is atomic: when several callers race, or several processes share the file,
/// exactly one value is stored and every caller gets that value back.
struct SQLiteSettingStore: SettingStore {
    let pool: DatabasePool

    func value(for name: String) async throws -> String? {
        try await self.pool.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM setting WHERE name = ?", arguments: [name])
        }
    }

    func insertIfAbsent(_ value: String, for name: String) async throws -> String {
        try await self.pool.write { db in
            // Insert and read back in one write transaction, so no other writer can come between.
            try db.execute(
                sql: "INSERT INTO setting (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                arguments: [name, value]
            )
            guard
                let stored = try String.fetchOne(db, sql: "SELECT value FROM setting WHERE name = ?", arguments: [name])
            else {
                throw StorageError.invalidStoredValue(table: "setting", column: "value")
            }
            return stored
        }
    }

    func setValue(_ value: String, for name: String) async throws {
        try await self.pool.write { db in
            try db.execute(
                sql:
                    "INSERT INTO setting (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                arguments: [name, value]
            )
        }
    }
}
