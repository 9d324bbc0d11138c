import GRDB
import KeelCore
import KeelStorage

/// Rate-limit rules, window grants and concurrency leases in the `rate_limit_rule`,
/// `rate_limit_window` and `rate_limit_lease` tables.
///
/// Every change is one write transaction, and SQLite runs one writer at a time, also across
/// processes sharing the file, so grants and leases are serialised as the protocol requires.
struct SQLiteRateLimitStore: RateLimitStore {
    let pool: DatabasePool

    private static let columns = "id, key_id, team_id, model, rpm, tpm, max_concurrent, window_seconds, created_at"

    func rules() async throws -> [RateLimitRule] {
        try await self.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.columns) FROM rate_limit_rule ORDER BY created_at, id")
                .map(Self.rule(from:))
        }
    }

    func insert(_ rule: RateLimitRule) async throws {
        do {
            try await self.pool.write { db in
                try db.execute(
                    sql: "INSERT INTO rate_limit_rule (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: Self.arguments(rule)
                )
            }
        } catch {
            throw StorageError.mappingSQLite(error, table: "rate_limit_rule")
        }
    }

    func update(_ rule: RateLimitRule) async throws -> Bool {
        do {
            return try await self.pool.write { db in
                try db.execute(
                    sql: """
                        UPDATE rate_limit_rule SET key_id = ?, team_id = ?, model = ?, rpm = ?, tpm = ?, \
                        max_concurrent = ?, window_seconds = ? WHERE id = ?
                        """,
                    arguments: [
                        rule.keyID?.rawValue, rule.teamID?.rawValue, rule.model, rule.requestsPerWindow,
                        rule.tokensPerWindow, rule.maxConcurrent, rule.windowSeconds, rule.id,
                    ]
                )
                return db.changesCount > 0
            }
        } catch {
            throw StorageError.mappingSQLite(error, table: "rate_limit_rule")
        }
    }

    func delete(id: String) async throws -> Bool {
        try await self.pool.write { db in
            try db.execute(sql: "DELETE FROM rate_limit_rule WHERE id = ?", arguments: [id])
            let deleted = db.changesCount > 0
            try db.execute(sql: "DELETE FROM rate_limit_window WHERE rule_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM rate_limit_lease WHERE rule_id = ?", arguments: [id])
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
        try await self.pool.write { db in
            // The SET expressions read the row as it was, so last_* is exactly this change.
            // new = MAX(0, MIN(old + asked, MAX(limit, old))): a grant stops at the limit (or at
            // a total already above a lowered limit), a give-back at zero.
            let row = try Row.fetchOne(
                db,
                sql: """
                    INSERT INTO rate_limit_window AS w \
                    (rule_id, window_start, requests_granted, tokens_granted, last_requests, last_tokens) \
                    VALUES (?1, ?2, MAX(0, MIN(?3, ?4)), MAX(0, MIN(?5, ?6)), MAX(0, MIN(?3, ?4)), MAX(0, MIN(?5, ?6))) \
                    ON CONFLICT (rule_id, window_start) DO UPDATE SET \
                    last_requests = MAX(0, MIN(w.requests_granted + ?3, MAX(?4, w.requests_granted))) - w.requests_granted, \
                    last_tokens = MAX(0, MIN(w.tokens_granted + ?5, MAX(?6, w.tokens_granted))) - w.tokens_granted, \
                    requests_granted = MAX(0, MIN(w.requests_granted + ?3, MAX(?4, w.requests_granted))), \
                    tokens_granted = MAX(0, MIN(w.tokens_granted + ?5, MAX(?6, w.tokens_granted))) \
                    RETURNING last_requests, last_tokens, requests_granted, tokens_granted
                    """,
                arguments: [ruleID, windowStart, requests, requestLimit, tokens, tokenLimit]
            )
            guard let row else { throw StorageError.invalidStoredValue(table: "rate_limit_window", column: "requests_granted") }
            return RateLimitWindowGrant(
                requests: row[0], tokens: row[1], totalRequests: row[2], totalTokens: row[3])
        }
    }

    func leaseSlots(ruleID: String, instanceID: String, slots: Int, limit: Int, now: Int64, expiresAt: Int64) async throws -> Int {
        try await self.pool.write { db in
            try db.execute(
                sql: "DELETE FROM rate_limit_lease WHERE rule_id = ? AND expires_at <= ?", arguments: [ruleID, now])
            let others =
                try Int.fetchOne(
                    db,
                    sql: "SELECT COALESCE(SUM(slots), 0) FROM rate_limit_lease WHERE rule_id = ? AND instance_id <> ?",
                    arguments: [ruleID, instanceID]
                ) ?? 0
            let held = max(0, min(slots, limit - others))
            if held == 0 {
                try db.execute(
                    sql: "DELETE FROM rate_limit_lease WHERE rule_id = ? AND instance_id = ?", arguments: [ruleID, instanceID])
            } else {
                try db.execute(
                    sql: """
                        INSERT INTO rate_limit_lease (rule_id, instance_id, slots, expires_at) VALUES (?, ?, ?, ?) \
                        ON CONFLICT (rule_id, instance_id) DO UPDATE SET slots = excluded.slots, expires_at = excluded.expires_at
                        """,
                    arguments: [ruleID, instanceID, held, expiresAt]
                )
            }
            return held
        }
    }

    func purge(windowsBefore: Int64, now: Int64) async throws {
        try await self.pool.write { db in
            try db.execute(sql: "DELETE FROM rate_limit_window WHERE window_start < ?", arguments: [windowsBefore])
            try db.execute(sql: "DELETE FROM rate_limit_lease WHERE expires_at <= ?", arguments: [now])
        }
    }

    private static func arguments(_ rule: RateLimitRule) -> StatementArguments {
        [
            rule.id, rule.keyID?.rawValue, rule.teamID?.rawValue, rule.model, rule.requestsPerWindow, rule.tokensPerWindow,
            rule.maxConcurrent, rule.windowSeconds, rule.createdAt,
        ]
    }

    private static func rule(from row: Row) -> RateLimitRule {
        RateLimitRule(
            id: row[0],
            keyID: (row[1] as String?).map { KeyID($0) },
            teamID: (row[2] as String?).map { TeamID($0) },
            model: row[3],
            requestsPerWindow: row[4],
            tokensPerWindow: row[5],
            maxConcurrent: row[6],
            windowSeconds: row[7],
            createdAt: row[8]
        )
    }
}
