import KeelCore

/// Data keys in `body_key` and sealed bodies in `request_body`, on either backend.
struct SQLBodyStore: BodyStore {
    let database: any SQLDatabase

    private static let bodyColumns = "request_id, org_id, key_id, started_at, prompt, answer, answer_truncated"

    func key(forOrg org: String) async throws -> BodyKey? {
        try await self.database.row(
            "SELECT org_id, key_id, key, created_at FROM body_key WHERE org_id = \(org)",
            Self.key(from:)
        )
    }

    func insertKeyIfAbsent(_ key: BodyKey) async throws -> BodyKey {
        try await self.database.run(
            """
            INSERT INTO body_key (org_id, key_id, key, created_at) VALUES (\(key.org), \(key.id), \(key.key), \(key.createdAt))
            ON CONFLICT (org_id) DO NOTHING
            """
        )
        guard let stored = try await self.key(forOrg: key.org) else {
            throw StorageError.invalidStoredValue(table: "body_key", column: "org_id")
        }
        return stored
    }

    func erase(org: String) async throws -> (bodies: Int, hadKey: Bool) {
        try await self.database.transaction { tx in
            let hadKey = try await tx.run("DELETE FROM body_key WHERE org_id = \(org)") > 0
            let bodies = try await tx.run("DELETE FROM request_body WHERE org_id = \(org)")
            return (bodies, hadKey)
        }
    }

    func insert(_ bodies: [SealedBody]) async throws -> BodyInsertResult {
        guard !bodies.isEmpty else { return BodyInsertResult(stored: [], erasedKeys: []) }
        return try await self.database.transaction { tx in
            // The keys' rows stay locked until the bodies are in: an erasure waits for them, then
            // deletes them with the rest (SQLite has one writer at a time anyway).
            let keyIDs = Set(bodies.map(\.keyID))
            let live = Set(
                try await tx.rows(
                    "SELECT key_id FROM body_key WHERE key_id IN (\(list: keyIDs.sorted()))\(sqlite: "", postgres: " FOR SHARE")"
                ) { try $0.decode("key_id", as: String.self) }
            )
            let kept = bodies.filter { live.contains($0.keyID) }
            var stored: Set<RequestID> = []
            for chunk in kept.statementChunks(for: tx.dialect) {
                var statement: SQLStatement = "INSERT INTO request_body (\(raw: Self.bodyColumns)) VALUES "
                for (index, body) in chunk.enumerated() {
                    if index > 0 { statement.append(", ") }
                    statement.append(
                        """
                        (\(body.requestID.rawValue), \(body.org), \(body.keyID), \(body.startedAt), \(body.prompt), \(body.answer), \
                        \(body.answerTruncated))
                        """
                    )
                }
                statement.append(" ON CONFLICT (request_id) DO NOTHING RETURNING request_id")
                for id in try await tx.rows(statement, { try $0.decode("request_id", as: String.self) }) {
                    stored.insert(RequestID(id))
                }
            }
            return BodyInsertResult(stored: stored, erasedKeys: keyIDs.subtracting(live))
        }
    }

    func body(requestID: RequestID) async throws -> SealedBody? {
        try await self.database.row(
            "SELECT \(raw: Self.bodyColumns) FROM request_body WHERE request_id = \(requestID.rawValue)"
        ) { row in
            SealedBody(
                requestID: RequestID(try row.decode("request_id", as: String.self)),
                org: try row.decode("org_id"),
                keyID: try row.decode("key_id"),
                startedAt: try row.decode("started_at"),
                prompt: try row.decode("prompt"),
                answer: try row.decode("answer"),
                answerTruncated: try row.decode("answer_truncated")
            )
        }
    }

    func purge(startedBefore time: Int64, scope: RetentionScope) async throws -> Int {
        switch scope {
        case .org(let org):
            return try await self.database.run(
                "DELETE FROM request_body WHERE org_id = \(org.rawValue) AND started_at < \(time)"
            )
        case .allExcept(let orgs) where orgs.isEmpty:
            return try await self.database.run("DELETE FROM request_body WHERE started_at < \(time)")
        case .allExcept(let orgs):
            return try await self.database.run(
                "DELETE FROM request_body WHERE started_at < \(time) AND org_id NOT IN (\(list: orgs.map(\.rawValue).sorted()))"
            )
        }
    }

    private static func key(from row: SQLRow) throws -> BodyKey {
        BodyKey(
            org: try row.decode("org_id"),
            id: try row.decode("key_id"),
            key: try row.decode("key"),
            createdAt: try row.decode("created_at")
        )
    }
}
