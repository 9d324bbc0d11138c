import Foundation
import GRDB
import KeelCore
import KeelStorage

/// Client API keys in the `virtual_key` table, stored as hashes.
///
/// `id` and `hash` are unique: inserting either twice fails with `StorageError` `.conflict` and
/// stores nothing. `models` is stored as a JSON array of strings, `tags` as a JSON object.
struct SQLiteVirtualKeyStore: VirtualKeyStore {
    let pool: DatabasePool

    private static let columns = """
        id, hash, prefix, name, team_id, project_id, user_id, models, created_at, expires_at, revoked_at,
        org_id, role, tags
        """

    func insert(_ key: VirtualKey) async throws {
        let models = try Self.encodeModels(key.models)
        do {
            try await self.pool.write { db in
                try db.execute(
                    sql: "INSERT INTO virtual_key (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        key.id.rawValue, key.hash, key.prefix, key.name,
                        key.teamID?.rawValue, key.projectID?.rawValue, key.userID?.rawValue,
                        models, key.createdAt, key.expiresAt, key.revokedAt,
                        key.orgID?.rawValue, key.role.rawValue, SQLiteJSON.object(key.tags),
                    ]
                )
            }
        } catch {
            throw StorageError.mappingSQLite(error, table: "virtual_key")
        }
    }

    func allKeys() async throws -> [VirtualKey] {
        try await self.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.columns) FROM virtual_key ORDER BY created_at, id")
                .map(Self.key(from:))
        }
    }

    func key(id: KeyID) async throws -> VirtualKey? {
        try await self.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.columns) FROM virtual_key WHERE id = ?", arguments: [id.rawValue])
                .map(Self.key(from:))
        }
    }

    func revoke(id: KeyID, at: Int64) async throws -> Bool {
        try await self.pool.write { db in
            // coalesce keeps the first revocation time; SQLite still counts the row as changed,
            // so a second revocation of a known key reports `true`.
            try db.execute(
                sql: "UPDATE virtual_key SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?",
                arguments: [at, id.rawValue]
            )
            return db.changesCount > 0
        }
    }

    private static func key(from row: Row) throws -> VirtualKey {
        let id = try row.decode(String.self, atIndex: 0)
        let hash = try row.decode(String.self, atIndex: 1)
        let prefix = try row.decode(String.self, atIndex: 2)
        let name = try row.decode(String?.self, atIndex: 3)
        let teamID = try row.decode(String?.self, atIndex: 4)
        let projectID = try row.decode(String?.self, atIndex: 5)
        let userID = try row.decode(String?.self, atIndex: 6)
        let models = try Self.decodeModels(try row.decode(String.self, atIndex: 7))
        let createdAt = try row.decode(Int64.self, atIndex: 8)
        let expiresAt = try row.decode(Int64?.self, atIndex: 9)
        let revokedAt = try row.decode(Int64?.self, atIndex: 10)
        let orgID = try row.decode(String?.self, atIndex: 11)
        guard let role = AdminRole(rawValue: try row.decode(String.self, atIndex: 12)) else {
            throw StorageError.invalidStoredValue(table: "virtual_key", column: "role")
        }
        let tags = try Self.decodeTags(try row.decode(String.self, atIndex: 13))
        return VirtualKey(
            id: KeyID(id),
            hash: hash,
            prefix: prefix,
            name: name,
            orgID: orgID.map { OrgID($0) },
            teamID: teamID.map { TeamID($0) },
            projectID: projectID.map { ProjectID($0) },
            userID: userID.map { UserID($0) },
            models: models,
            role: role,
            tags: tags,
            createdAt: createdAt,
            expiresAt: expiresAt,
            revokedAt: revokedAt
        )
    }

    private static func encodeModels(_ models: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(models), as: UTF8.self)
    }

    private static func decodeModels(_ json: String) throws -> [String] {
        do {
            return try JSONDecoder().decode([String].self, from: Data(json.utf8))
        } catch {
            throw StorageError.invalidStoredValue(table: "virtual_key", column: "models")
        }
    }

    private static func decodeTags(_ json: String) throws -> [String: String] {
        do {
            return try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
        } catch {
            throw StorageError.invalidStoredValue(table: "virtual_key", column: "tags")
        }
    }
}
