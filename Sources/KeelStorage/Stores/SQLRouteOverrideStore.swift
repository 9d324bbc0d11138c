import KeelCore

/// Routing overrides in `route_override`, on either backend.
struct SQLRouteOverrideStore: RouteOverrideStore {
    let database: any SQLDatabase

    func overrides() async throws -> [RouteOverride] {
        try await self.database.rows(
            "SELECT id, kind, provider, model, deployment, reason, created_at FROM route_override ORDER BY created_at, id"
        ) { row in
            let kindText: String = try row.decode("kind")
            guard let kind = RouteOverride.Kind(rawValue: kindText) else {
                throw StorageError.invalidStoredValue(table: "route_override", column: "kind")
            }
            return RouteOverride(
                id: try row.decode("id"),
                kind: kind,
                provider: try row.decode("provider"),
                model: try row.decode("model"),
                deployment: try row.decode("deployment"),
                reason: try row.decode("reason"),
                createdAt: try row.decode("created_at")
            )
        }
    }

    func insert(_ override: RouteOverride) async throws {
        try await self.database.run(
            """
            INSERT INTO route_override (id, kind, provider, model, deployment, reason, created_at)
            VALUES (\(override.id), \(override.kind.rawValue), \(override.provider), \(override.model), \
            \(override.deployment), \(override.reason), \(override.createdAt))
            """
        )
    }

    func delete(id: String) async throws -> Bool {
        try await self.database.run("DELETE FROM route_override WHERE id = \(id)") > 0
    }

    func stamp() async throws -> String {
        try await self.database.row(
            "SELECT COUNT(*) AS n, COALESCE(MAX(created_at), 0) AS t, COALESCE(MIN(id), '') AS first FROM route_override"
        ) { row in
            let count: Int64 = try row.decode("n")
            let time: Int64 = try row.decode("t")
            let first: String = try row.decode("first")
            return "\(count):\(time):\(first)"
        } ?? ""
    }
}
