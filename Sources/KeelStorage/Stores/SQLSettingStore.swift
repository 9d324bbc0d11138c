/// Small named values in the `setting` table, one row per name, on either backend.
///
/// `insertIfAbsent` is atomic: when several callers race, or several processes share the
/// database, exactly one value is stored and every caller gets that value back.
struct SQLSettingStore: SettingStore {
    let database: any SQLDatabase

    func value(for name: String) async throws -> String? {
        try await self.database.row("SELECT value FROM setting WHERE name = \(name)") { try $0.decode("value") }
    }

    func insertIfAbsent(_ value: String, for name: String) async throws -> String {
        try await self.database.transaction { tx in
            // The insert waits for a racing one to commit, then does nothing; the read that
            // follows sees the value that won.
            try await tx.run("INSERT INTO setting (name, value) VALUES (\(name), \(value)) ON CONFLICT (name) DO NOTHING")
            guard let stored = try await tx.row("SELECT value FROM setting WHERE name = \(name)", { try $0.decode("value", as: String.self) })
            else {
                throw StorageError.invalidStoredValue(table: "setting", column: "value")
            }
            return stored
        }
    }

    func setValue(_ value: String, for name: String) async throws {
        try await self.database.run(
            "INSERT INTO setting (name, value) VALUES (\(name), \(value)) ON CONFLICT (name) DO UPDATE SET value = excluded.value"
        )
    }
}
