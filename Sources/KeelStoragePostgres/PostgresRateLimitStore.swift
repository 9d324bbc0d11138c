import KeelCore
import KeelStorage
import Logging
import PostgresNIO

/// Rate-limit rules, window grants and concurrency leases in the `rate_limit_rule`,
/// `rate_limit_window` and `rate_limit_lease` tables, shared by every gateway instance.
///
/// A window grant is one upsert: the row lock it takes serialises concurrent grants of one
/// window (`READ COMMITTED` re-reads the row after waiting), and its `SET` expressions read the
/// row as it was, so `last_*` is exactly this grant. A lease is one transaction under a
/// transaction-level advisory lock on the rule, so two instances never both count the same free
/// slots.
struct PostgresRateLimitStore: RateLimitStore {
    let client: PostgresClient

    private static let columns = "id, key_id, team_id, model, rpm, tpm, max_concurrent, window_seconds, created_at"

    func rules() async throws -> [RateLimitRule] {
        let rows = try await self.client.query(
            PostgresQuery(unsafeSQL: "SELECT \(Self.columns) FROM rate_limit_rule ORDER BY created_at, id"),
            logger: PostgresBackend.quietLogger
        )
        var rules: [RateLimitRule] = []
        for try await (id, key, team, model, rpm, tpm, concurrent, window, created) in rows.decode(
            (String, String?, String?, String?, Int64?, Int64?, Int64?, Int64, Int64).self
        ) {
            rules.append(
                RateLimitRule(
                    id: id,
                    keyID: key.map { KeyID($0) },
                    teamID: team.map { TeamID($0) },
                    model: model,
                    requestsPerWindow: rpm.map { Int($0) },
                    tokensPerWindow: tpm.map { Int($0) },
                    maxConcurrent: concurrent.map { Int($0) },
                    windowSeconds: Int(window),
                    createdAt: created
                )
            )
        }
        return rules
    }

    func insert(_ rule: RateLimitRule) async throws {
        let rpm = rule.requestsPerWindow.map { Int64($0) }
        let tpm = rule.tokensPerWindow.map { Int64($0) }
        let concurrent = rule.maxConcurrent.map { Int64($0) }
        do {
            try await self.client.query(
                """
                INSERT INTO rate_limit_rule (id, key_id, team_id, model, rpm, tpm, max_concurrent, window_seconds, created_at) \
                VALUES (\(rule.id), \(rule.keyID?.rawValue), \(rule.teamID?.rawValue), \(rule.model), \(rpm), \(tpm), \
                \(concurrent), \(Int64(rule.windowSeconds)), \(rule.createdAt))
                """,
                logger: PostgresBackend.quietLogger
            )
        } catch {
            throw StorageError.mappingPostgres(error, table: "rate_limit_rule")
        }
    }

    func update(_ rule: RateLimitRule) async throws -> Bool {
        let rpm = rule.requestsPerWindow.map { Int64($0) }
        let tpm = rule.tokensPerWindow.map { Int64($0) }
        let concurrent = rule.maxConcurrent.map { Int64($0) }
        do {
            let rows = try await self.client.query(
                """
                UPDATE rate_limit_rule SET key_id = \(rule.keyID?.rawValue), team_id = \(rule.teamID?.rawValue), \
                model = \(rule.model), rpm = \(rpm), tpm = \(tpm), max_concurrent = \(concurrent), \
                window_seconds = \(Int64(rule.windowSeconds)) WHERE id = \(rule.id) RETURNING 1
                """,
                logger: PostgresBackend.quietLogger
            )
            var changed = false
            for try await _ in rows { changed = true }
            return changed
        } catch {
            throw StorageError.mappingPostgres(error, table: "rate_limit_rule")
        }
    }

    func delete(id: String) async throws -> Bool {
        try await self.client.withConnection { connection in
            try await PostgresBackend.inTransaction(connection) { connection in
                let rows = try await connection.query(
                    "DELETE FROM rate_limit_rule WHERE id = \(id) RETURNING 1", logger: PostgresBackend.quietLogger)
                var deleted = false
                for try await _ in rows { deleted = true }
                try await connection.query("DELETE FROM rate_limit_window WHERE rule_id = \(id)", logger: PostgresBackend.quietLogger)
                try await connection.query("DELETE FROM rate_limit_lease WHERE rule_id = \(id)", logger: PostgresBackend.quietLogger)
                return deleted
            }
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
        var bindings = PostgresBindings(capacity: 6)
        bindings.append(ruleID)
        bindings.append(windowStart)
        bindings.append(Int64(requests))
        bindings.append(Int64(requestLimit))
        bindings.append(Int64(tokens))
        bindings.append(Int64(tokenLimit))
        // new = GREATEST(0, LEAST(old + asked, GREATEST(limit, old))): a grant stops at the limit
        // (or at a total already above a lowered limit), a give-back at zero.
        let query = PostgresQuery(
            unsafeSQL: """
                INSERT INTO rate_limit_window AS w \
                (rule_id, window_start, requests_granted, tokens_granted, last_requests, last_tokens) \
                VALUES ($1, $2, GREATEST(0, LEAST($3, $4)), GREATEST(0, LEAST($5, $6)), \
                GREATEST(0, LEAST($3, $4)), GREATEST(0, LEAST($5, $6))) \
                ON CONFLICT (rule_id, window_start) DO UPDATE SET \
                last_requests = GREATEST(0, LEAST(w.requests_granted + $3, GREATEST($4, w.requests_granted))) - w.requests_granted, \
                last_tokens = GREATEST(0, LEAST(w.tokens_granted + $5, GREATEST($6, w.tokens_granted))) - w.tokens_granted, \
                requests_granted = GREATEST(0, LEAST(w.requests_granted + $3, GREATEST($4, w.requests_granted))), \
                tokens_granted = GREATEST(0, LEAST(w.tokens_granted + $5, GREATEST($6, w.tokens_granted))) \
                RETURNING last_requests, last_tokens, requests_granted, tokens_granted
                """,
            binds: bindings
        )
        let rows = try await self.client.query(query, logger: PostgresBackend.quietLogger)
        for try await (granted, grantedTokens, total, totalTokens) in rows.decode((Int64, Int64, Int64, Int64).self) {
            return RateLimitWindowGrant(
                requests: Int(granted), tokens: Int(grantedTokens), totalRequests: Int(total), totalTokens: Int(totalTokens))
        }
        throw StorageError.invalidStoredValue(table: "rate_limit_window", column: "requests_granted")
    }

    func leaseSlots(ruleID: String, instanceID: String, slots: Int, limit: Int, now: Int64, expiresAt: Int64) async throws -> Int {
        try await self.client.withConnection { connection in
            try await PostgresBackend.inTransaction(connection) { connection in
                let lockName = "keel.rate_limit_lease:" + ruleID
                try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lockName)))", logger: PostgresBackend.quietLogger)
                try await connection.query(
                    "DELETE FROM rate_limit_lease WHERE rule_id = \(ruleID) AND expires_at <= \(now)",
                    logger: PostgresBackend.quietLogger
                )
                let sums = try await connection.query(
                    "SELECT COALESCE(SUM(slots), 0)::BIGINT FROM rate_limit_lease WHERE rule_id = \(ruleID) AND instance_id <> \(instanceID)",
                    logger: PostgresBackend.quietLogger
                )
                var others = 0
                for try await sum in sums.decode(Int64.self) { others = Int(sum) }
                let held = max(0, min(slots, limit - others))
                if held == 0 {
                    try await connection.query(
                        "DELETE FROM rate_limit_lease WHERE rule_id = \(ruleID) AND instance_id = \(instanceID)",
                        logger: PostgresBackend.quietLogger
                    )
                } else {
                    try await connection.query(
                        """
                        INSERT INTO rate_limit_lease (rule_id, instance_id, slots, expires_at) \
                        VALUES (\(ruleID), \(instanceID), \(Int64(held)), \(expiresAt)) \
                        ON CONFLICT (rule_id, instance_id) DO UPDATE SET slots = excluded.slots, expires_at = excluded.expires_at
                        """,
                        logger: PostgresBackend.quietLogger
                    )
                }
                return held
            }
        }
    }

    func purge(windowsBefore: Int64, now: Int64) async throws {
        try await self.client.query("DELETE FROM rate_limit_window WHERE window_start < \(windowsBefore)", logger: PostgresBackend.quietLogger)
        try await self.client.query("DELETE FROM rate_limit_lease WHERE expires_at <= \(now)", logger: PostgresBackend.quietLogger)
    }
}
