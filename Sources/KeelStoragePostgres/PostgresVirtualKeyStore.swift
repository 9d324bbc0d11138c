import FoundationEssentials
import KeelCore
import KeelStorage
import PostgresNIO

/// Client API keys in the `virtual_key` table, stored as hashes.
///
/// `id` and `hash` are unique: inserting either twice fails with `StorageError` `.conflict` and
/// stores nothing. `models` is stored as a JSONB array of strings, its order kept; `tags` as a
/// JSONB object.
struct PostgresVirtualKeyStore: VirtualKeyStore {
    let client: PostgresClient

    private static let selectColumns = """
        id, hash, prefix, name, team_id, project_id, user_id, models::text, created_at, expires_at, revoked_at,
        org_id, role, tags::text
        """

    func insert(_ key: VirtualKey) async throws {
        var bindings = PostgresBindings(capacity: 14)
        bindings.append(key.id.rawValue)
        bindings.append(key.hash)
        bindings.append(key.prefix)
        bindings.append(key.name)
        bindings.append(key.teamID?.rawValue)
        bindings.append(key.projectID?.rawValue)
        bindings.append(key.userID?.rawValue)
        bindings.append(try Self.encodeModels(key.models))
        bindings.append(key.createdAt)
        bindings.append(key.expiresAt)
        bindings.append(key.revokedAt)
        bindings.append(key.orgID?.rawValue)
        bindings.append(key.role.rawValue)
        bindings.append(try Self.encodeTags(key.tags))
        let insert = PostgresQuery(
            unsafeSQL: """
                INSERT INTO virtual_key \
                (id, hash, prefix, name, team_id, project_id, user_id, models, created_at, expires_at, revoked_at, \
                org_id, role, tags) \
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, $13, $14::jsonb)
                """,
            binds: bindings
        )
        do {
            try await self.client.query(insert, logger: PostgresBackend.quietLogger)
        } catch {
            throw StorageError.mappingPostgres(error, table: "virtual_key")
        }
    }

    func allKeys() async throws -> [VirtualKey] {
        let rows = try await self.client.query(
            PostgresQuery(unsafeSQL: "SELECT \(Self.selectColumns) FROM virtual_key ORDER BY created_at, id COLLATE \"C\""),
            logger: PostgresBackend.quietLogger
        )
        var keys: [VirtualKey] = []
        for try await row in rows {
            keys.append(try Self.key(from: row))
        }
        return keys
    }

    func key(id: KeyID) async throws -> VirtualKey? {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(id.rawValue)
        let rows = try await self.client.query(
            PostgresQuery(unsafeSQL: "SELECT \(Self.selectColumns) FROM virtual_key WHERE id = $1", binds: bindings),
            logger: PostgresBackend.quietLogger
        )
        for try await row in rows {
            return try Self.key(from: row)
        }
        return nil
    }

    func revoke(id: KeyID, at: Int64) async throws -> Bool {
        // coalesce keeps the first revocation time; the row is still returned, so a second
        // revocation of a known key reports `true`, as on SQLite.
        let rows = try await self.client.query(
            "UPDATE virtual_key SET revoked_at = coalesce(revoked_at, \(at)) WHERE id = \(id.rawValue) RETURNING 1",
            logger: PostgresBackend.quietLogger
        )
        var changed = false
        for try await _ in rows { changed = true }
        return changed
    }

    private static func key(from row: PostgresRow) throws -> VirtualKey {
        let cells = row.makeRandomAccess()
        let id = try cells[0].decode(String.self)
        let hash = try cells[1].decode(String.self)
        let prefix = try cells[2].decode(String.self)
        let name = try cells[3].decode(String?.self)
        let teamID = try cells[4].decode(String?.self)
        let projectID = try cells[5].decode(String?.self)
        let userID = try cells[6].decode(String?.self)
        let models = try Self.decodeModels(try cells[7].decode(String.self))
        let createdAt = try cells[8].decode(Int64.self)
        let expiresAt = try cells[9].decode(Int64?.self)
        let revokedAt = try cells[10].decode(Int64?.self)
        let orgID = try cells[11].decode(String?.self)
        guard let role = AdminRole(rawValue: try cells[12].decode(String.self)) else {
            throw StorageError.invalidStoredValue(table: "virtual_key", column: "role")
        }
        let tags = try Self.decodeTags(try cells[13].decode(String.self))
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

    private static func encodeTags(_ tags: [String: String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(tags), as: UTF8.self)
    }

    private static func decodeTags(_ json: String) throws -> [String: String] {
        do {
            return try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
        } catch {
            throw StorageError.invalidStoredValue(table: "virtual_key", column: "tags")
        }
    }
}
