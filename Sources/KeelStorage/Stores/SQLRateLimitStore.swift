import KeelCore

/// Rate-limit rules, window grants and concurrency leases in the `rate_limit_rule`,
/// `rate_limit_window` and `rate_limit_lease` tables, on either backend.
///
/// A window change is one statement (an upsert that computes the grant from the row as it was);
/// a slot lease is one transaction holding the lock of its rule. Both are serialised across
/// processes: SQLite runs one writer at a time, PostgreSQL locks the row or the rule.
struct SQLRateLimitStore: RateLimitStore {
    let database: any SQLDatabase

    private static let columns = "id, key_id, team_id, model, rpm, tpm, max_concurrent, window_seconds, created_at"
    /// The two-argument maximum and minimum of each dialect.
    private static let greatest: SQLStatement = "\(sqlite: "MAX", postgres: "GREATEST")"
    private static let least: SQLStatement = "\(sqlite: "MIN", postgres: "LEAST")"

    func rules() async throws -> [RateLimitRule] {
        try await self.database.rows("SELECT \(raw: Self.columns) FROM rate_limit_rule ORDER BY created_at, id", Self.rule(from:))
    }

    func insert(_ rule: RateLimitRule) async throws {
        try await self.database.run(
            """
            INSERT INTO rate_limit_rule (\(raw: Self.columns)) VALUES (\(rule.id), \(rule.keyID), \(rule.teamID), \(rule.model),
            \(rule.requestsPerWindow), \(rule.tokensPerWindow), \(rule.maxConcurrent), \(rule.windowSeconds), \(rule.createdAt))
            """
        )
    }

    func update(_ rule: RateLimitRule) async throws -> Bool {
        try await self.database.run(
            """
            UPDATE rate_limit_rule SET key_id = \(rule.keyID), team_id = \(rule.teamID), model = \(rule.model),
            rpm = \(rule.requestsPerWindow), tpm = \(rule.tokensPerWindow), max_concurrent = \(rule.maxConcurrent),
            window_seconds = \(rule.windowSeconds) WHERE id = \(rule.id)
            """
        ) > 0
    }

    func delete(id: String) async throws -> Bool {
        try await self.database.transaction { tx in
            let deleted = try await tx.run("DELETE FROM rate_limit_rule WHERE id = \(id)") > 0
            try await tx.run("DELETE FROM rate_limit_window WHERE rule_id = \(id)")
            try await tx.run("DELETE FROM rate_limit_lease WHERE rule_id = \(id)")
            return deleted
        }
    }

    func adjustWindow(
        ruleID: String,
        windowStart: Int64,
        requests: Int,
        tokens: Int,
        requestLimit: Int,
        tokenLimit: Int
    ) async throws -> RateLimitWindowGrant {
        let (greatest, least) = (Self.greatest, Self.least)
        /// new = max(0, min(old + asked, max(limit, old))): a grant stops at the limit (or at a
        /// total already above a lowered limit), a give-back at zero.
        func clamped(_ old: String, asked: Int, limit: Int) -> SQLStatement {
            "\(greatest)(0, \(least)(\(raw: old) + \(asked), \(greatest)(\(limit), \(raw: old))))"
        }
        let firstRequests: SQLStatement = "\(greatest)(0, \(least)(\(requests), \(requestLimit)))"
        let firstTokens: SQLStatement = "\(greatest)(0, \(least)(\(tokens), \(tokenLimit)))"
        let newRequests = clamped("w.requests_granted", asked: requests, limit: requestLimit)
        let newTokens = clamped("w.tokens_granted", asked: tokens, limit: tokenLimit)
        // The SET expressions read the row as it was, so last_* is exactly this change.
        let row = try await self.database.row(
            """
            INSERT INTO rate_limit_window AS w
            (rule_id, window_start, requests_granted, tokens_granted, last_requests, last_tokens)
            VALUES (\(ruleID), \(windowStart), \(firstRequests), \(firstTokens), \(firstRequests), \(firstTokens))
            ON CONFLICT (rule_id, window_start) DO UPDATE SET
            last_requests = \(newRequests) - w.requests_granted,
            last_tokens = \(newTokens) - w.tokens_granted,
            requests_granted = \(newRequests),
            tokens_granted = \(newTokens)
            RETURNING last_requests, last_tokens, requests_granted, tokens_granted
            """
        )
        guard let row else { throw StorageError.invalidStoredValue(table: "rate_limit_window", column: "requests_granted") }
        return RateLimitWindowGrant(
            requests: try row.decode("last_requests"),
            tokens: try row.decode("last_tokens"),
            totalRequests: try row.decode("requests_granted"),
            totalTokens: try row.decode("tokens_granted")
        )
    }

    func leaseSlots(ruleID: String, instanceID: String, slots: Int, limit: Int, now: Int64, expiresAt: Int64) async throws -> Int {
        try await self.database.transaction { tx in
            try await tx.lock("keel.rate_limit_lease:" + ruleID)
            try await tx.run("DELETE FROM rate_limit_lease WHERE rule_id = \(ruleID) AND expires_at <= \(now)")
            let others =
                try await tx.row(
                    "SELECT COALESCE(SUM(slots), 0) AS slots FROM rate_limit_lease WHERE rule_id = \(ruleID) AND instance_id <> \(instanceID)"
                ) { try $0.decode("slots", as: Int.self) } ?? 0
            let held = max(0, min(slots, limit - others))
            if held == 0 {
                try await tx.run("DELETE FROM rate_limit_lease WHERE rule_id = \(ruleID) AND instance_id = \(instanceID)")
            } else {
                try await tx.run(
                    """
                    INSERT INTO rate_limit_lease (rule_id, instance_id, slots, expires_at)
                    VALUES (\(ruleID), \(instanceID), \(held), \(expiresAt))
                    ON CONFLICT (rule_id, instance_id) DO UPDATE SET slots = excluded.slots, expires_at = excluded.expires_at
                    """
                )
            }
            return held
        }
    }

    func purge(windowsBefore: Int64, now: Int64) async throws {
        try await self.database.transaction { tx in
            try await tx.run("DELETE FROM rate_limit_window WHERE window_start < \(windowsBefore)")
            try await tx.run("DELETE FROM rate_limit_lease WHERE expires_at <= \(now)")
        }
    }

    private static func rule(from row: SQLRow) throws -> RateLimitRule {
        RateLimitRule(
            id: try row.decode("id"),
            keyID: try row.decode("key_id"),
            teamID: try row.decode("team_id"),
            model: try row.decode("model"),
            requestsPerWindow: try row.decode("rpm"),
            tokensPerWindow: try row.decode("tpm"),
            maxConcurrent: try row.decode("max_concurrent"),
            windowSeconds: try row.decode("window_seconds"),
            createdAt: try row.decode("created_at")
        )
    }
}
