/// Keel's schema, as the ordered list of migrations that builds it, written once for both
/// backends.
///
/// The list is append-only: a migration is never edited or removed once merged (a database that
/// applied it keeps what it did). To change the schema, append a migration with the next id. Ids
/// are unique and increasing in both numeric and string order; each backend applies the pending
/// ones in this order, each in its own transaction, and records them in `schema_migration`.
///
/// A statement is rendered for each backend (``SQLStatement/rendered(for:)``); where the dialects
/// differ it says so with the fragments below, so both backends hold the same data in the same
/// shape:
/// - ``bytes``: `BLOB` on SQLite, `BYTEA` on PostgreSQL.
/// - ``integer``: `INTEGER` on SQLite (the only integer type of a `STRICT` table), `BIGINT` on
///   PostgreSQL. Money is integer nano-dollars, times integer microseconds since the epoch.
/// - ``boolean(_:default:)``: PostgreSQL's `BOOLEAN`; an `INTEGER` checked to be 0 or 1 on SQLite.
/// - ``json(_:_:default:)``: `JSONB` checked to be an array or object on PostgreSQL; `TEXT`
///   checked with `json_valid` / `json_type` on SQLite.
/// - ``byteOrder``: `COLLATE "C"` on PostgreSQL for text that a page cursor compares or a report
///   groups by, so it sorts by bytes as SQLite's `BINARY` does, whatever the database's locale.
/// - ``strict`` / ``strictWithoutRowID``: SQLite's `STRICT` tables refuse a value of the wrong
///   type; PostgreSQL's types already do.
/// - ``indexExpression(_:)``: PostgreSQL wants an indexed expression in parentheses.
///
/// A statement that means something else on each backend altogether is written as
/// `\(sqlite: "…", postgres: "…")`; a new migration should rarely need one.
public enum KeelSchema {
    /// One forward-only schema change: its id and its statements.
    public struct SQLMigration: Sendable {
        public let id: String
        public let statement: SQLStatement

        public init(id: String, statement: SQLStatement) {
            self.id = id
            self.statement = statement
        }
    }

    /// Every migration, oldest first, rendered for `dialect`.
    public static func migrations(for dialect: SQLDialect) -> [SchemaMigration] {
        Self.migrations.map { SchemaMigration(id: $0.id, sql: $0.statement.rendered(for: dialect).sql) }
    }

    static let integer: SQLStatement = "\(sqlite: "INTEGER", postgres: "BIGINT")"
    static let byteOrder: SQLStatement = "\(sqlite: "", postgres: " COLLATE \"C\"")"
    static let bytes: SQLStatement = "\(sqlite: "BLOB", postgres: "BYTEA")"
    static let strict: SQLStatement = "\(sqlite: " STRICT", postgres: "")"
    static let strictWithoutRowID: SQLStatement = "\(sqlite: " STRICT, WITHOUT ROWID", postgres: "")"

    /// A `NOT NULL` boolean column's type and checks, after its name.
    static func boolean(_ column: String, default value: Bool? = nil) -> SQLStatement {
        let sqliteDefault = value.map { " DEFAULT \($0 ? 1 : 0)" } ?? ""
        let postgresDefault = value.map { " DEFAULT \($0 ? "TRUE" : "FALSE")" } ?? ""
        return
            "\(sqlite: "INTEGER NOT NULL\(sqliteDefault) CHECK (\(column) IN (0, 1))", postgres: "BOOLEAN NOT NULL\(postgresDefault)")"
    }

    enum JSONKind: String {
        case array
        case object
    }

    /// A JSON column's type and checks, after its name: `NOT NULL` with a default, or nullable.
    static func json(_ column: String, _ kind: JSONKind, default value: String? = nil) -> SQLStatement {
        let type = kind.rawValue
        let checkIndent = "\n                    CHECK "
        guard let value else {
            let sqlite =
                "TEXT" + checkIndent
                + "(\(column) IS NULL OR (json_valid(\(column)) AND json_type(\(column)) = '\(type)'))"
            let postgres = "JSONB" + checkIndent + "(\(column) IS NULL OR jsonb_typeof(\(column)) = '\(type)')"
            return "\(sqlite: sqlite, postgres: postgres)"
        }
        let sqlite =
            "TEXT NOT NULL DEFAULT '\(value)'" + checkIndent
            + "(json_valid(\(column)) AND json_type(\(column)) = '\(type)')"
        let postgres = "JSONB NOT NULL DEFAULT '\(value)'" + checkIndent + "(jsonb_typeof(\(column)) = '\(type)')"
        return "\(sqlite: sqlite, postgres: postgres)"
    }

    /// An expression an index is built on.
    static func indexExpression(_ expression: String) -> SQLStatement {
        "\(sqlite: expression, postgres: "(\(expression))")"
    }

    /// Every migration, oldest first.
    static let migrations: [SQLMigration] =
        [
            SQLMigration(
                id: "0001_request_record",
                statement: """
                    CREATE TABLE request_record (
                        id                    TEXT\(Self.byteOrder)    PRIMARY KEY NOT NULL,
                        started_at            \(Self.integer) NOT NULL,
                        operation             TEXT    NOT NULL,
                        key_id                TEXT,
                        team_id               TEXT,
                        project_id            TEXT,
                        user_id               TEXT,
                        requested_model       TEXT    NOT NULL,
                        model                 TEXT,
                        provider              TEXT,
                        deployment            TEXT,
                        stream                \(Self.boolean("stream")),
                        status                INTEGER NOT NULL,
                        outcome               TEXT    NOT NULL
                            CHECK (outcome IN ('success', 'error', 'interrupted', 'cancelled')),
                        error_class           TEXT,
                        attempts              INTEGER NOT NULL CHECK (attempts >= 0),
                        ttft_us               \(Self.integer) CHECK (ttft_us >= 0),
                        upstream_us           \(Self.integer) CHECK (upstream_us >= 0),
                        total_us              \(Self.integer) NOT NULL CHECK (total_us >= 0),
                        input_tokens          \(Self.integer) NOT NULL CHECK (input_tokens >= 0),
                        output_tokens         \(Self.integer) NOT NULL CHECK (output_tokens >= 0),
                        cached_input_tokens   \(Self.integer) NOT NULL CHECK (cached_input_tokens >= 0),
                        cache_write_tokens    \(Self.integer) NOT NULL CHECK (cache_write_tokens >= 0),
                        cache_write_1h_tokens \(Self.integer) NOT NULL CHECK (cache_write_1h_tokens >= 0),
                        reasoning_tokens      \(Self.integer) NOT NULL CHECK (reasoning_tokens >= 0),
                        cost_nanos            \(Self.integer) NOT NULL CHECK (cost_nanos >= 0)
                    )\(Self.strict);

                    -- Every index ends in (started_at, id) so that a filtered page is read in the
                    -- log's newest-first order straight from the index, cursor included. Each index
                    -- costs the hot batch insert dearly (two more, on project and user, halved its
                    -- rate), so the other filters scan the time index within their window.
                    CREATE INDEX request_record_started_at
                        ON request_record (started_at, id);
                    -- Partial: records refused before authentication have no key, and many keys no
                    -- team. An equality filter implies IS NOT NULL, so the planner still uses them.
                    CREATE INDEX request_record_key_started_at
                        ON request_record (key_id, started_at, id) WHERE key_id IS NOT NULL;
                    CREATE INDEX request_record_team_started_at
                        ON request_record (team_id, started_at, id) WHERE team_id IS NOT NULL;
                    -- The model filter matches the served model or, when there is none, the requested
                    -- one; queries repeat this exact expression so that the planner uses the index.
                    CREATE INDEX request_record_model_started_at
                        ON request_record (\(Self.indexExpression("coalesce(nullif(model, ''), requested_model)")), started_at, id);
                    """
            ),
            SQLMigration(
                id: "0002_virtual_key",
                statement: """
                    CREATE TABLE virtual_key (
                        id         TEXT\(Self.byteOrder)    PRIMARY KEY NOT NULL,
                        hash       TEXT    NOT NULL UNIQUE,
                        prefix     TEXT    NOT NULL,
                        name       TEXT,
                        team_id    TEXT,
                        project_id TEXT,
                        user_id    TEXT,
                        -- A JSON array of model names; an empty array allows every model.
                        models     \(Self.json("models", .array, default: "[]")),
                        created_at \(Self.integer) NOT NULL,
                        expires_at \(Self.integer),
                        revoked_at \(Self.integer)
                    )\(Self.strict);
                    """
            ),
            SQLMigration(
                id: "0003_setting",
                statement: """
                    CREATE TABLE setting (
                        name  TEXT PRIMARY KEY NOT NULL,
                        value TEXT NOT NULL
                    )\(Self.strict);
                    """
            ),
            SQLMigration(
                id: "0004_request_record_attempt_log",
                statement: """
                    -- The attempts of a request that was retried or failed over, as a JSON array;
                    -- NULL when the first attempt answered.
                    ALTER TABLE request_record ADD COLUMN attempt_log \(Self.json("attempt_log", .array));
                    """
            ),
            SQLMigration(
                id: "0005_request_record_web_search_requests",
                statement: """
                    -- Server-side web searches, billed per search (Anthropic server_tool_use).
                    ALTER TABLE request_record ADD COLUMN web_search_requests \(Self.integer) NOT NULL DEFAULT 0
                        CHECK (web_search_requests >= 0);
                    """
            ),
            SQLMigration(
                id: "0006_tenancy",
                statement: """
                    -- Organisations → teams → projects, and users of an organisation. References are
                    -- RESTRICT: a row that others refer to is never deleted (no cascade, no soft delete).
                    CREATE TABLE org (
                        id         TEXT\(Self.byteOrder)    PRIMARY KEY NOT NULL,
                        name       TEXT    NOT NULL UNIQUE,
                        created_at \(Self.integer) NOT NULL,
                        updated_at \(Self.integer) NOT NULL
                    )\(Self.strict);

                    CREATE TABLE team (
                        id         TEXT\(Self.byteOrder)    PRIMARY KEY NOT NULL,
                        org_id     TEXT\(Self.byteOrder)    NOT NULL REFERENCES org (id) ON DELETE RESTRICT,
                        name       TEXT    NOT NULL,
                        created_at \(Self.integer) NOT NULL,
                        updated_at \(Self.integer) NOT NULL,
                        UNIQUE (org_id, name),
                        -- The target of user_account's (default_team_id, org_id) reference.
                        UNIQUE (id, org_id)
                    )\(Self.strict);

                    CREATE TABLE project (
                        id         TEXT\(Self.byteOrder)    PRIMARY KEY NOT NULL,
                        team_id    TEXT\(Self.byteOrder)    NOT NULL REFERENCES team (id) ON DELETE RESTRICT,
                        name       TEXT    NOT NULL,
                        created_at \(Self.integer) NOT NULL,
                        updated_at \(Self.integer) NOT NULL,
                        UNIQUE (team_id, name)
                    )\(Self.strict);

                    CREATE TABLE user_account (
                        id              TEXT\(Self.byteOrder)    PRIMARY KEY NOT NULL,
                        org_id          TEXT\(Self.byteOrder)    NOT NULL REFERENCES org (id) ON DELETE RESTRICT,
                        name            TEXT    NOT NULL,
                        email           TEXT    UNIQUE,
                        default_team_id TEXT\(Self.byteOrder),
                        created_at      \(Self.integer) NOT NULL,
                        updated_at      \(Self.integer) NOT NULL,
                        -- A user's default team is a team of the user's own organisation.
                        FOREIGN KEY (default_team_id, org_id) REFERENCES team (id, org_id) ON DELETE RESTRICT
                    )\(Self.strict);
                    CREATE INDEX user_account_org ON user_account (org_id, id);
                    CREATE INDEX user_account_default_team ON user_account (default_team_id, id)
                        WHERE default_team_id IS NOT NULL;

                    -- Keys gain their organisation, their admin role and default tags. Bindings stay
                    -- free text without references: static keys from the configuration name teams
                    -- that need not exist as rows, and revoked keys keep their bindings as history.
                    ALTER TABLE virtual_key ADD COLUMN org_id TEXT;
                    ALTER TABLE virtual_key ADD COLUMN role TEXT NOT NULL DEFAULT 'none'
                        CHECK (role IN ('admin', 'team_admin', 'viewer', 'auditor', 'none'));
                    ALTER TABLE virtual_key ADD COLUMN tags \(Self.json("tags", .object, default: "{}"));
                    CREATE INDEX virtual_key_team ON virtual_key (team_id) WHERE team_id IS NOT NULL;
                    """
            ),
            SQLMigration(
                id: "0007_request_record_attribution",
                statement: """
                    -- The organisation of the key and free-form attribution tags (a JSON object of
                    -- strings), for cost attribution and drill-down.
                    ALTER TABLE request_record ADD COLUMN org_id TEXT;
                    ALTER TABLE request_record ADD COLUMN tags \(Self.json("tags", .object, default: "{}"));
                    CREATE INDEX request_record_org_started_at ON request_record (org_id, started_at, id)
                        WHERE org_id IS NOT NULL;
                    """
            ),
            SQLMigration(
                id: "0008_cost_rollup",
                statement: """
                    -- Sums of the request log per time bucket, maintained by the request log's append
                    -- in the same transaction as the rows. One table for the three granularities
                    -- (60, 3600, 86400 seconds); bucket_start is Unix seconds, a multiple of the
                    -- granularity (UTC days). A missing dimension is '' so the key is NOT NULL and an
                    -- upsert finds its row. cache_write_tokens counts both cache lifetimes.
                    CREATE TABLE cost_rollup (
                        granularity         \(Self.integer) NOT NULL CHECK (granularity IN (60, 3600, 86400)),
                        bucket_start        \(Self.integer) NOT NULL,
                        org_id              TEXT\(Self.byteOrder) NOT NULL,
                        team_id             TEXT\(Self.byteOrder) NOT NULL,
                        project_id          TEXT\(Self.byteOrder) NOT NULL,
                        user_id             TEXT\(Self.byteOrder) NOT NULL,
                        key_id              TEXT\(Self.byteOrder) NOT NULL,
                        model               TEXT\(Self.byteOrder) NOT NULL,
                        provider            TEXT\(Self.byteOrder) NOT NULL,
                        requests            \(Self.integer) NOT NULL CHECK (requests >= 0),
                        errors              \(Self.integer) NOT NULL CHECK (errors >= 0),
                        input_tokens        \(Self.integer) NOT NULL CHECK (input_tokens >= 0),
                        output_tokens       \(Self.integer) NOT NULL CHECK (output_tokens >= 0),
                        cached_input_tokens \(Self.integer) NOT NULL CHECK (cached_input_tokens >= 0),
                        cache_write_tokens  \(Self.integer) NOT NULL CHECK (cache_write_tokens >= 0),
                        reasoning_tokens    \(Self.integer) NOT NULL CHECK (reasoning_tokens >= 0),
                        cost_nanos          \(Self.integer) NOT NULL CHECK (cost_nanos >= 0),
                        PRIMARY KEY (granularity, bucket_start, org_id, team_id, project_id, user_id, key_id, model, provider)
                    )\(Self.strictWithoutRowID);

                    -- The same sums per tag: one row per (bucket, tag key, tag value, org, team, model).
                    CREATE TABLE cost_rollup_tag (
                        granularity         \(Self.integer) NOT NULL CHECK (granularity IN (60, 3600, 86400)),
                        bucket_start        \(Self.integer) NOT NULL,
                        tag_key             TEXT\(Self.byteOrder) NOT NULL,
                        tag_value           TEXT\(Self.byteOrder) NOT NULL,
                        org_id              TEXT\(Self.byteOrder) NOT NULL,
                        team_id             TEXT\(Self.byteOrder) NOT NULL,
                        model               TEXT\(Self.byteOrder) NOT NULL,
                        requests            \(Self.integer) NOT NULL CHECK (requests >= 0),
                        errors              \(Self.integer) NOT NULL CHECK (errors >= 0),
                        input_tokens        \(Self.integer) NOT NULL CHECK (input_tokens >= 0),
                        output_tokens       \(Self.integer) NOT NULL CHECK (output_tokens >= 0),
                        cached_input_tokens \(Self.integer) NOT NULL CHECK (cached_input_tokens >= 0),
                        cache_write_tokens  \(Self.integer) NOT NULL CHECK (cache_write_tokens >= 0),
                        reasoning_tokens    \(Self.integer) NOT NULL CHECK (reasoning_tokens >= 0),
                        cost_nanos          \(Self.integer) NOT NULL CHECK (cost_nanos >= 0),
                        PRIMARY KEY (granularity, bucket_start, tag_key, tag_value, org_id, team_id, model)
                    )\(Self.strictWithoutRowID);
                    """
            ),
            SQLMigration(
                id: "0009_budget",
                statement: """
                    -- Budgets: a limit per period on one scope (org, team, project, user, key, or a
                    -- tag as key=value). Money in nano-dollars; times in Unix seconds (window) and
                    -- microseconds (created/updated).
                    CREATE TABLE budget (
                        id          TEXT\(Self.byteOrder) PRIMARY KEY NOT NULL,
                        name        TEXT NOT NULL,
                        scope_kind  TEXT NOT NULL CHECK (scope_kind IN ('org', 'team', 'project', 'user', 'key', 'tag')),
                        scope_value TEXT NOT NULL,
                        org_id      TEXT,
                        team_id     TEXT,
                        period      TEXT NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly', 'fixed')),
                        time_zone   TEXT NOT NULL,
                        starts_at   \(Self.integer),
                        ends_at     \(Self.integer),
                        limit_nanos \(Self.integer) NOT NULL CHECK (limit_nanos >= 0),
                        soft_limit_nanos \(Self.integer) CHECK (soft_limit_nanos >= 0),
                        created_at  \(Self.integer) NOT NULL,
                        updated_at  \(Self.integer) NOT NULL
                    )\(Self.strict);

                    -- Each gateway instance's share of a budget period: what it spent and what it
                    -- holds (spent + reserved + a slice), with a heartbeat so a gone instance's
                    -- unspent share returns.
                    CREATE TABLE budget_ledger (
                        budget_id     TEXT\(Self.byteOrder) NOT NULL REFERENCES budget (id) ON DELETE CASCADE,
                        period_start  \(Self.integer) NOT NULL,
                        instance_id   TEXT NOT NULL,
                        spent_nanos   \(Self.integer) NOT NULL CHECK (spent_nanos >= 0),
                        granted_nanos \(Self.integer) NOT NULL CHECK (granted_nanos >= 0),
                        heartbeat_at  \(Self.integer) NOT NULL,
                        PRIMARY KEY (budget_id, period_start, instance_id)
                    )\(Self.strictWithoutRowID);
                    """
            ),
            SQLMigration(
                id: "0010_response_cache",
                statement: """
                    -- The exact-match response cache: a hit is a success answered from memory, so its
                    -- cost_nanos is 0 and cache_saved_nanos holds what the cached answer cost when the
                    -- upstream produced it. The rollups sum both, so reports show hits and savings.
                    ALTER TABLE request_record ADD COLUMN cache_hit \(Self.boolean("cache_hit", default: false));
                    ALTER TABLE request_record ADD COLUMN cache_saved_nanos \(Self.integer) NOT NULL DEFAULT 0
                        CHECK (cache_saved_nanos >= 0);
                    ALTER TABLE cost_rollup ADD COLUMN cache_hits \(Self.integer) NOT NULL DEFAULT 0 CHECK (cache_hits >= 0);
                    ALTER TABLE cost_rollup ADD COLUMN cache_saved_nanos \(Self.integer) NOT NULL DEFAULT 0
                        CHECK (cache_saved_nanos >= 0);
                    ALTER TABLE cost_rollup_tag ADD COLUMN cache_hits \(Self.integer) NOT NULL DEFAULT 0 CHECK (cache_hits >= 0);
                    ALTER TABLE cost_rollup_tag ADD COLUMN cache_saved_nanos \(Self.integer) NOT NULL DEFAULT 0
                        CHECK (cache_saved_nanos >= 0);
                    """
            ),
            SQLMigration(
                id: "0011_rate_limit",
                statement: """
                    -- Rate-limit rules made through the admin API (rules of the configuration file
                    -- are not stored). A rule names at least one scope and sets at least one limit.
                    CREATE TABLE rate_limit_rule (
                        id             TEXT\(Self.byteOrder) PRIMARY KEY NOT NULL,
                        key_id         TEXT,
                        team_id        TEXT,
                        model          TEXT,
                        rpm            \(Self.integer) CHECK (rpm >= 1),
                        tpm            \(Self.integer) CHECK (tpm >= 1),
                        max_concurrent \(Self.integer) CHECK (max_concurrent >= 1),
                        window_seconds \(Self.integer) NOT NULL CHECK (window_seconds BETWEEN 1 AND 86400),
                        created_at     \(Self.integer) NOT NULL,
                        CHECK (key_id IS NOT NULL OR team_id IS NOT NULL OR model IS NOT NULL),
                        CHECK (rpm IS NOT NULL OR tpm IS NOT NULL OR max_concurrent IS NOT NULL)
                    )\(Self.strict);

                    -- Capacity granted to all gateway instances together in one window of a rule
                    -- (config or stored, by id); window_start is Unix seconds. last_requests and
                    -- last_tokens hold what the latest change gave, so one upsert can return it.
                    CREATE TABLE rate_limit_window (
                        rule_id          TEXT\(Self.byteOrder)    NOT NULL,
                        window_start     \(Self.integer) NOT NULL,
                        requests_granted \(Self.integer) NOT NULL CHECK (requests_granted >= 0),
                        tokens_granted   \(Self.integer) NOT NULL CHECK (tokens_granted >= 0),
                        last_requests    \(Self.integer) NOT NULL,
                        last_tokens      \(Self.integer) NOT NULL,
                        PRIMARY KEY (rule_id, window_start)
                    )\(Self.strictWithoutRowID);

                    -- Concurrency slots leased to one gateway instance, until expires_at (Unix µs).
                    CREATE TABLE rate_limit_lease (
                        rule_id     TEXT\(Self.byteOrder)    NOT NULL,
                        instance_id TEXT    NOT NULL,
                        slots       \(Self.integer) NOT NULL CHECK (slots >= 0),
                        expires_at  \(Self.integer) NOT NULL,
                        PRIMARY KEY (rule_id, instance_id)
                    )\(Self.strictWithoutRowID);
                    """
            ),
            SQLMigration(
                id: "0012_stream_resume",
                statement: """
                    -- Resume mode (models[].stream_resume) needs no column: a resumed attempt is marked
                    -- inside request_record.attempt_log ("resumed": true). This id was reserved for it
                    -- and stays, a no-op, so the list stays numbered without a gap.
                    SELECT 1;
                    """
            ),
            SQLMigration(
                id: "0013_request_record_prompt_traits",
                statement: """
                    -- What a chat request used beyond text (bit 1: tools, bit 2: images) and a
                    -- fingerprint of its prompt's first 4 KiB, for cost recommendations.
                    ALTER TABLE request_record ADD COLUMN features \(Self.integer) NOT NULL DEFAULT 0 CHECK (features >= 0);
                    ALTER TABLE request_record ADD COLUMN prompt_prefix_hash \(Self.integer);
                    """
            ),
            SQLMigration(
                id: "0014_request_record_agent_task",
                statement: """
                    -- Agent attribution (x-keel-agent, x-keel-task) and, on the request that ended
                    -- its task, the outcome the agent reported (x-keel-task-outcome).
                    ALTER TABLE request_record ADD COLUMN agent_id TEXT;
                    ALTER TABLE request_record ADD COLUMN task_id TEXT;
                    ALTER TABLE request_record ADD COLUMN task_outcome TEXT CHECK (task_outcome IN ('success', 'failure'));
                    -- Partial, like the key and team indexes: most requests belong to no task.
                    CREATE INDEX request_record_task_started_at
                        ON request_record (task_id, started_at, id) WHERE task_id IS NOT NULL;

                    -- One row per ended task: the primary key makes a task end once, whichever
                    -- instance hears of it first.
                    CREATE TABLE agent_task (
                        task_id  TEXT    PRIMARY KEY NOT NULL,
                        agent_id TEXT,
                        outcome  TEXT    NOT NULL CHECK (outcome IN ('success', 'failure')),
                        ended_at \(Self.integer) NOT NULL,
                        key_id   TEXT,
                        team_id  TEXT
                    )\(Self.strict);
                    """
            ),
            SQLMigration(
                id: "0015_request_record_usage_estimated",
                statement: """
                    -- A stream cut after content reached the client, before its upstream reported
                    -- usage, is recorded with the gateway's estimate of its usage and cost; the
                    -- rollups keep the estimated part of cost_nanos apart, for cost reports.
                    ALTER TABLE request_record ADD COLUMN usage_estimated \(Self.boolean("usage_estimated", default: false));
                    ALTER TABLE cost_rollup ADD COLUMN estimated_cost_nanos \(Self.integer) NOT NULL DEFAULT 0
                        CHECK (estimated_cost_nanos >= 0);
                    ALTER TABLE cost_rollup_tag ADD COLUMN estimated_cost_nanos \(Self.integer) NOT NULL DEFAULT 0
                        CHECK (estimated_cost_nanos >= 0);
                    """
            ),
            SQLMigration(
                id: "0016_audit_log",
                statement: """
                    -- The audit log (docs/audit-log.md): entries in log order, each the exact
                    -- canonical bytes its leaf hash covers. idx is the leaf index from 0; each
                    -- instance's seq runs 1, 2, 3... request_id finds a request's entry.
                    CREATE TABLE audit_entry (
                        idx         \(Self.integer) PRIMARY KEY NOT NULL CHECK (idx >= 0),
                        instance_id TEXT NOT NULL,
                        seq         \(Self.integer) NOT NULL CHECK (seq >= 1),
                        kind        TEXT NOT NULL,
                        time_us     \(Self.integer) NOT NULL,
                        request_id  TEXT\(Self.byteOrder),
                        entry       \(Self.bytes) NOT NULL,
                        UNIQUE (instance_id, seq)
                    )\(Self.strict);
                    CREATE INDEX audit_entry_request ON audit_entry (request_id) WHERE request_id IS NOT NULL;
                    CREATE INDEX audit_entry_time ON audit_entry (time_us, idx);

                    -- Every complete subtree of the Merkle tree, written once: (level, idx) covers
                    -- the leaves [idx * 2^level, (idx + 1) * 2^level); level 0 holds leaf hashes.
                    CREATE TABLE audit_node (
                        level \(Self.integer) NOT NULL CHECK (level BETWEEN 0 AND 63),
                        idx   \(Self.integer) NOT NULL CHECK (idx >= 0),
                        hash  \(Self.bytes) NOT NULL,
                        PRIMARY KEY (level, idx)
                    )\(Self.strictWithoutRowID);

                    -- The tree's size: one row, updated by the transaction that appends, which holds
                    -- the audit-log lock, so instances sharing the database append one after another.
                    -- purged_before: entries below this index were purged by retention; their leaf
                    -- hashes stay in audit_node, so the tree still verifies.
                    CREATE TABLE audit_head (
                        id            \(Self.integer) PRIMARY KEY NOT NULL CHECK (id = 1),
                        tree_size     \(Self.integer) NOT NULL CHECK (tree_size >= 0),
                        purged_before \(Self.integer) NOT NULL DEFAULT 0 CHECK (purged_before >= 0 AND purged_before <= tree_size)
                    )\(Self.strict);
                    INSERT INTO audit_head (id, tree_size, purged_before) VALUES (1, 0, 0);

                    -- Signed checkpoints (C2SP signed notes), one per signed size.
                    CREATE TABLE audit_checkpoint (
                        tree_size   \(Self.integer) PRIMARY KEY NOT NULL CHECK (tree_size >= 0),
                        root_hash   \(Self.bytes) NOT NULL,
                        note        TEXT NOT NULL,
                        signed_at   \(Self.integer) NOT NULL,
                        instance_id TEXT NOT NULL
                    )\(Self.strict);

                    -- The salts of content digests, one per organisation ('' for requests without
                    -- one); never exported with the log.
                    CREATE TABLE audit_salt (
                        salt_id    TEXT PRIMARY KEY NOT NULL,
                        org_id     TEXT NOT NULL,
                        salt       \(Self.bytes) NOT NULL,
                        created_at \(Self.integer) NOT NULL
                    )\(Self.strict);
                    CREATE UNIQUE INDEX audit_salt_org ON audit_salt (org_id);

                    -- Which instance signs checkpoints: it renews its lease; another takes over when
                    -- the lease has expired.
                    CREATE TABLE audit_signer_lease (
                        id          \(Self.integer) PRIMARY KEY NOT NULL CHECK (id = 1),
                        instance_id TEXT NOT NULL,
                        expires_at  \(Self.integer) NOT NULL
                    )\(Self.strict);
                    """
            ),
            SQLMigration(
                id: "0017_request_record_guard_verdict",
                statement: """
                    -- What the content guard (policies' pii, secrets and injection rules) found in a
                    -- request and its answer and what it did: finding types and counts, the injection
                    -- score, the strongest action. NULL when no content rule applied or nothing was
                    -- found; never a matched value.
                    ALTER TABLE request_record ADD COLUMN guard_verdict \(Self.json("guard_verdict", .object));
                    """
            ),
            SQLMigration(
                id: "0018_audit_entry_record_reference",
                statement: """
                    -- A request's entry appended with its record keeps no copy of it: entry is empty
                    -- and the bytes are rebuilt from the request_record row and the content digests
                    -- kept here (digest_salt_id NULL: the entry has none; a digest NULL: that body had
                    -- none). Retention writes the bytes out in full before it deletes the record.
                    ALTER TABLE audit_entry ADD COLUMN digest_salt_id TEXT;
                    ALTER TABLE audit_entry ADD COLUMN prompt_digest \(Self.bytes);
                    ALTER TABLE audit_entry ADD COLUMN answer_digest \(Self.bytes);
                    """
            ),
            SQLMigration(
                id: "0019_policy",
                statement: """
                    -- Compliance policies made through the admin API (those of the configuration file
                    -- are not stored): document is the policy as a JSON object, with the keys of the
                    -- configuration's policies[] entries. Times are Unix µs.
                    CREATE TABLE policy (
                        id         TEXT\(Self.byteOrder) PRIMARY KEY NOT NULL,
                        document   \(Self.json("document", .object, default: "{}")),
                        created_at \(Self.integer) NOT NULL,
                        updated_at \(Self.integer) NOT NULL
                    )\(Self.strict);

                    -- What each policy probe observed: one row per probe of one run (run_at, Unix µs,
                    -- the run's start) of one instance. Kept as long as the audit log.
                    CREATE TABLE policy_probe_result (
                        run_at      \(Self.integer) NOT NULL,
                        instance_id TEXT NOT NULL,
                        policy_id   TEXT\(Self.byteOrder) NOT NULL,
                        probe       TEXT\(Self.byteOrder) NOT NULL,
                        passed      \(Self.boolean("passed")),
                        expected    TEXT NOT NULL,
                        observed    TEXT NOT NULL,
                        PRIMARY KEY (run_at, instance_id, policy_id, probe)
                    )\(Self.strictWithoutRowID);
                    """
            ),
            SQLMigration(
                id: "0020_request_body",
                statement: """
                    -- The data key of each organisation ('' for requests without one) that seals the
                    -- bodies its policies keep (AES-256-GCM). Erasing an organisation's bodies deletes
                    -- its key first (crypto-shredding); the next kept body gets a new key.
                    CREATE TABLE body_key (
                        org_id     TEXT PRIMARY KEY NOT NULL,
                        key_id     TEXT NOT NULL UNIQUE,
                        key        \(Self.bytes) NOT NULL,
                        created_at \(Self.integer) NOT NULL
                    )\(Self.strict);

                    -- Bodies of requests whose policies keep them (keep_bodies), sealed with their
                    -- organisation's key: nonce, ciphertext and tag; the request id and the part
                    -- (prompt, answer) are the associated data. started_at (Unix µs) is the record's,
                    -- for retention.
                    CREATE TABLE request_body (
                        request_id       TEXT\(Self.byteOrder) PRIMARY KEY NOT NULL,
                        org_id           TEXT NOT NULL,
                        key_id           TEXT NOT NULL,
                        started_at       \(Self.integer) NOT NULL,
                        prompt           \(Self.bytes) NOT NULL,
                        answer           \(Self.bytes),
                        answer_truncated \(Self.boolean("answer_truncated", default: false))
                    )\(Self.strict);
                    CREATE INDEX request_body_org_time ON request_body (org_id, started_at);
                    """
            ),
        ] + Self.operationsMigrations
}
