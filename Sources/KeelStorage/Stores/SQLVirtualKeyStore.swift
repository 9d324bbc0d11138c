public import KeelCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Client API keys in the `virtual_key` table, stored as hashes, on any backend's
/// ``SQLDatabase``.
///
/// `id` and `hash` are unique: inserting either twice throws ``StorageError`` `.conflict` and
/// stores nothing. `models` is a JSON array of strings, its order kept, and `tags` a JSON object
/// with sorted keys: checked text on SQLite, `JSONB` on PostgreSQL (read back as text).
package struct SQLVirtualKeyStore: VirtualKeyStore {
    let database: any SQLDatabase

    package init(database: any SQLDatabase) {
        self.database = database
    }

    package func insert(_ key: VirtualKey) async throws {
        let models = "[" + key.models.map(JSONWriter.quoted).joined(separator: ",") + "]"
        try await self.database.run(
            """
            INSERT INTO virtual_key
            (id, hash, prefix, name, org_id, team_id, project_id, user_id, models, role, tags,
            created_at, expires_at, revoked_at, agent_id)
            VALUES (\(key.id), \(key.hash), \(key.prefix), \(key.name), \(key.orgID), \
            \(key.teamID), \(key.projectID), \(key.userID), \(json: models), \
            \(key.role), \(json: AttributionTags.json(key.tags)), \(key.createdAt), \
            \(key.expiresAt), \(key.revokedAt), \(key.agentID))
            """
        )
    }

    package func allKeys() async throws -> [VirtualKey] {
        try await self.database.rows(
            "SELECT \(Self.columns) FROM virtual_key ORDER BY created_at, id",
            Self.key(from:)
        )
    }

    package func key(id: KeyID) async throws -> VirtualKey? {
        try await self.database.row("SELECT \(Self.columns) FROM virtual_key WHERE id = \(id)", Self.key(from:))
    }

    package func revoke(id: KeyID, at: Int64) async throws -> Bool {
        // coalesce keeps the first revocation time; the row still counts as changed on both
        // backends, so a second revocation of a known key reports `true`.
        try await self.database.run(
            "UPDATE virtual_key SET revoked_at = coalesce(revoked_at, \(at)) WHERE id = \(id)"
        ) > 0
    }

    package func setSuspended(id: KeyID, at: Int64?) async throws -> Bool {
        try await self.database.run("UPDATE virtual_key SET suspended_at = \(at) WHERE id = \(id)") > 0
    }

    package func stamp() async throws -> String {
        try await self.database.row(
            """
            SELECT COUNT(*) AS keys, COALESCE(MAX(created_at), 0) AS created, COUNT(revoked_at) AS revoked,
            COALESCE(MAX(revoked_at), 0) AS last_revoked, COUNT(suspended_at) AS suspended,
            COALESCE(MAX(suspended_at), 0) AS suspended_sum FROM virtual_key
            """
        ) { row in
            "\(try row.decode("keys") as Int)|\(try row.decode("created") as Int64)|\(try row.decode("revoked") as Int)|"
                + "\(try row.decode("last_revoked") as Int64)|\(try row.decode("suspended") as Int)|"
                + "\(try row.decode("suspended_sum") as Int64)"
        } ?? ""
    }

    private static let columns: SQLStatement = """
        id, hash, prefix, name, org_id, team_id, project_id, user_id, \
        models\(sqlite: "", postgres: "::text") AS models, role, tags\(sqlite: "", postgres: "::text") AS tags, \
        created_at, expires_at, revoked_at, agent_id, suspended_at
        """

    private static func key(from row: SQLRow) throws -> VirtualKey {
        VirtualKey(
            id: try row.decode("id"),
            hash: try row.decode("hash"),
            prefix: try row.decode("prefix"),
            name: try row.decode("name"),
            orgID: try row.decode("org_id"),
            teamID: try row.decode("team_id"),
            projectID: try row.decode("project_id"),
            userID: try row.decode("user_id"),
            models: try Self.decodeJSON([String].self, row, "models"),
            role: try row.decode("role"),
            tags: try Self.decodeJSON([String: String].self, row, "tags"),
            createdAt: try row.decode("created_at"),
            expiresAt: try row.decode("expires_at"),
            revokedAt: try row.decode("revoked_at"),
            agentID: try row.decode("agent_id"),
            suspendedAt: try row.decode("suspended_at")
        )
    }

    /// The JSON text of `column` as a `T`.
    private static func decodeJSON<T: Decodable>(_ type: T.Type, _ row: SQLRow, _ column: String) throws -> T {
        let text = try row.decode(column, as: String.self)
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw StorageError.invalidStoredValue(table: "virtual_key", column: column)
        }
    }
}

/// A key's role is stored as its wire name (`team_admin`, `none`).
extension AdminRole: SQLBindable, SQLDecodable {}
