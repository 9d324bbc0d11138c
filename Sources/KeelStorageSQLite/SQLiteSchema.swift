public import KeelStorage

/// The SQLite schema of Keel, as the ordered list of migrations that builds it.
///
/// The list is append-only: a migration is never edited or removed once merged. To change the
/// schema, append a migration with the next id (see `README.md` in this folder). Ids are unique
/// and increasing in both numeric and string order, and ``SQLiteBackend/open(path:configuration:logger:)``
/// applies the pending ones in this order, each in its own transaction.
///
/// The SQL is written by hand in SQLite's dialect and never mentions Swift types or constants,
/// which may change while a shipped migration may not. Tables are `STRICT` (SQLite 3.37 or
/// later), so a value of the wrong type is refused instead of stored.
public enum SQLiteSchema {
    /// Every migration of the SQLite backend, oldest first.
    public static let migrations: [SchemaMigration] = [
        SchemaMigration(
            id: "0001_request_record",
            sql: """
                CREATE TABLE request_record (
                    id                    TEXT    PRIMARY KEY NOT NULL,
                    started_at            INTEGER NOT NULL,
                    operation             TEXT    NOT NULL,
                    key_id                TEXT,
                    team_id               TEXT,
                    project_id            TEXT,
                    user_id               TEXT,
                    requested_model       TEXT    NOT NULL,
                    model                 TEXT,
                    provider              TEXT,
                    deployment            TEXT,
                    stream                INTEGER NOT NULL CHECK (stream IN (0, 1)),
                    status                INTEGER NOT NULL,
                    outcome               TEXT    NOT NULL
                        CHECK (outcome IN ('success', 'error', 'interrupted', 'cancelled')),
                    error_class           TEXT,
                    attempts              INTEGER NOT NULL CHECK (attempts >= 0),
                    ttft_us               INTEGER CHECK (ttft_us >= 0),
                    upstream_us           INTEGER CHECK (upstream_us >= 0),
                    total_us              INTEGER NOT NULL CHECK (total_us >= 0),
                    input_tokens          INTEGER NOT NULL CHECK (input_tokens >= 0),
                    output_tokens         INTEGER NOT NULL CHECK (output_tokens >= 0),
                    cached_input_tokens   INTEGER NOT NULL CHECK (cached_input_tokens >= 0),
                    cache_write_tokens    INTEGER NOT NULL CHECK (cache_write_tokens >= 0),
                    cache_write_1h_tokens INTEGER NOT NULL CHECK (cache_write_1h_tokens >= 0),
                    reasoning_tokens      INTEGER NOT NULL CHECK (reasoning_tokens >= 0),
                    cost_nanos            INTEGER NOT NULL CHECK (cost_nanos >= 0)
                ) STRICT;

                -- Every index ends in (started_at, id) so that a filtered page is read in the
                -- log's newest-first order straight from the index, cursor included. Each index
                -- costs the hot batch insert dearly (two more, on project and user, halved its
                -- rate), so the other filters scan the time index within their window.
                CREATE INDEX request_record_started_at
                    ON request_record (started_at, id);
                -- Partial: records refused before authentication have no key, and many keys no
                -- team. An equality filter implies IS NOT NULL, so SQLite still uses them.
                CREATE INDEX request_record_key_started_at
                    ON request_record (key_id, started_at, id) WHERE key_id IS NOT NULL;
                CREATE INDEX request_record_team_started_at
                    ON request_record (team_id, started_at, id) WHERE team_id IS NOT NULL;
                -- The model filter matches the served model or, when there is none, the requested
                -- one; queries repeat this exact expression so that SQLite uses the index.
                CREATE INDEX request_record_model_started_at
                    ON request_record (coalesce(nullif(model, ''), requested_model), started_at, id);
                """
        ),
        SchemaMigration(
            id: "0002_virtual_key",
            sql: """
                CREATE TABLE virtual_key (
                    id         TEXT    PRIMARY KEY NOT NULL,
                    hash       TEXT    NOT NULL UNIQUE,
                    prefix     TEXT    NOT NULL,
                    name       TEXT,
                    team_id    TEXT,
                    project_id TEXT,
                    user_id    TEXT,
                    -- A JSON array of model names; an empty array allows every model.
                    models     TEXT    NOT NULL DEFAULT '[]'
                        CHECK (json_valid(models) AND json_type(models) = 'array'),
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER,
                    revoked_at INTEGER
                ) STRICT;
                """
        ),
        SchemaMigration(
            id: "0003_setting",
            sql: """
                CREATE TABLE setting (
                    name  TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                ) STRICT;
                """
        ),
        SchemaMigration(
            id: "0004_request_record_attempt_log",
            sql: """
                -- The attempts of a request that was retried or failed over, as a JSON array;
                -- NULL when the first attempt answered.
                ALTER TABLE request_record ADD COLUMN attempt_log TEXT
                    CHECK (attempt_log IS NULL OR (json_valid(attempt_log) AND json_type(attempt_log) = 'array'));
                """
        ),
        SchemaMigration(
            id: "0005_request_record_web_search_requests",
            sql: """
                -- Server-side web searches, billed per search (Anthropic server_tool_use).
                ALTER TABLE request_record ADD COLUMN web_search_requests INTEGER NOT NULL DEFAULT 0
                    CHECK (web_search_requests >= 0);
                """
        ),
        SchemaMigration(
            id: "0006_tenancy",
            sql: """
                -- Organisations → teams → projects, and users of an organisation. References are
                -- RESTRICT: a row that others refer to is never deleted (no cascade, no soft delete).
                CREATE TABLE org (
                    id         TEXT    PRIMARY KEY NOT NULL,
                    name       TEXT    NOT NULL UNIQUE,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                ) STRICT;

                CREATE TABLE team (
                    id         TEXT    PRIMARY KEY NOT NULL,
                    org_id     TEXT    NOT NULL REFERENCES org (id) ON DELETE RESTRICT,
                    name       TEXT    NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    UNIQUE (org_id, name),
                    -- The target of user_account's (default_team_id, org_id) reference.
                    UNIQUE (id, org_id)
                ) STRICT;

                CREATE TABLE project (
                    id         TEXT    PRIMARY KEY NOT NULL,
                    team_id    TEXT    NOT NULL REFERENCES team (id) ON DELETE RESTRICT,
                    name       TEXT    NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    UNIQUE (team_id, name)
                ) STRICT;

                CREATE TABLE user_account (
                    id              TEXT    PRIMARY KEY NOT NULL,
                    org_id          TEXT    NOT NULL REFERENCES org (id) ON DELETE RESTRICT,
                    name            TEXT    NOT NULL,
                    email           TEXT    UNIQUE,
                    default_team_id TEXT,
                    created_at      INTEGER NOT NULL,
                    updated_at      INTEGER NOT NULL,
                    -- A user's default team is a team of the user's own organisation.
                    FOREIGN KEY (default_team_id, org_id) REFERENCES team (id, org_id) ON DELETE RESTRICT
                ) STRICT;
                CREATE INDEX user_account_org ON user_account (org_id, id);
                CREATE INDEX user_account_default_team ON user_account (default_team_id, id)
                    WHERE default_team_id IS NOT NULL;

                -- Keys gain their organisation, their admin role and default tags. Bindings stay
                -- free text without references: static keys from the configuration name teams
                -- that need not exist as rows, and revoked keys keep their bindings as history.
                ALTER TABLE virtual_key ADD COLUMN org_id TEXT;
                ALTER TABLE virtual_key ADD COLUMN role TEXT NOT NULL DEFAULT 'none'
                    CHECK (role IN ('admin', 'team_admin', 'viewer', 'auditor', 'none'));
                ALTER TABLE virtual_key ADD COLUMN tags TEXT NOT NULL DEFAULT '{}'
                    CHECK (json_valid(tags) AND json_type(tags) = 'object');
                CREATE INDEX virtual_key_team ON virtual_key (team_id) WHERE team_id IS NOT NULL;
                """
        ),
        SchemaMigration(
            id: "0007_request_record_attribution",
            sql: """
                -- The organisation of the key and free-form attribution tags (a JSON object of
                -- strings), for cost attribution and drill-down.
                ALTER TABLE request_record ADD COLUMN org_id TEXT;
                ALTER TABLE request_record ADD COLUMN tags TEXT NOT NULL DEFAULT '{}'
                    CHECK (json_valid(tags) AND json_type(tags) = 'object');
                CREATE INDEX request_record_org_started_at ON request_record (org_id, started_at, id)
                    WHERE org_id IS NOT NULL;
                """
        ),
        SchemaMigration(
            id: "0008_cost_rollup",
            sql: """
                -- Sums of the request log per time bucket, maintained by the request log's append
                -- in the same transaction as the rows. One table for the three granularities
                -- (60, 3600, 86400 seconds); bucket_start is Unix seconds, a multiple of the
                -- granularity (UTC days). A missing dimension is '' so the key is NOT NULL and an
                -- upsert finds its row. cache_write_tokens counts both cache lifetimes.
                CREATE TABLE cost_rollup (
                    granularity         INTEGER NOT NULL CHECK (granularity IN (60, 3600, 86400)),
                    bucket_start        INTEGER NOT NULL,
                    org_id              TEXT NOT NULL,
                    team_id             TEXT NOT NULL,
                    project_id          TEXT NOT NULL,
                    user_id             TEXT NOT NULL,
                    key_id              TEXT NOT NULL,
                    model               TEXT NOT NULL,
                    provider            TEXT NOT NULL,
                    requests            INTEGER NOT NULL CHECK (requests >= 0),
                    errors              INTEGER NOT NULL CHECK (errors >= 0),
                    input_tokens        INTEGER NOT NULL CHECK (input_tokens >= 0),
                    output_tokens       INTEGER NOT NULL CHECK (output_tokens >= 0),
                    cached_input_tokens INTEGER NOT NULL CHECK (cached_input_tokens >= 0),
                    cache_write_tokens  INTEGER NOT NULL CHECK (cache_write_tokens >= 0),
                    reasoning_tokens    INTEGER NOT NULL CHECK (reasoning_tokens >= 0),
                    cost_nanos          INTEGER NOT NULL CHECK (cost_nanos >= 0),
                    PRIMARY KEY (granularity, bucket_start, org_id, team_id, project_id, user_id, key_id, model, provider)
                ) STRICT, WITHOUT ROWID;

                -- The same sums per tag: one row per (bucket, tag key, tag value, org, team, model).
                CREATE TABLE cost_rollup_tag (
                    granularity         INTEGER NOT NULL CHECK (granularity IN (60, 3600, 86400)),
                    bucket_start        INTEGER NOT NULL,
                    tag_key             TEXT NOT NULL,
                    tag_value           TEXT NOT NULL,
                    org_id              TEXT NOT NULL,
                    team_id             TEXT NOT NULL,
                    model               TEXT NOT NULL,
                    requests            INTEGER NOT NULL CHECK (requests >= 0),
                    errors              INTEGER NOT NULL CHECK (errors >= 0),
                    input_tokens        INTEGER NOT NULL CHECK (input_tokens >= 0),
                    output_tokens       INTEGER NOT NULL CHECK (output_tokens >= 0),
                    cached_input_tokens INTEGER NOT NULL CHECK (cached_input_tokens >= 0),
                    cache_write_tokens  INTEGER NOT NULL CHECK (cache_write_tokens >= 0),
                    reasoning_tokens    INTEGER NOT NULL CHECK (reasoning_tokens >= 0),
                    cost_nanos          INTEGER NOT NULL CHECK (cost_nanos >= 0),
                    PRIMARY KEY (granularity, bucket_start, tag_key, tag_value, org_id, team_id, model)
                ) STRICT, WITHOUT ROWID;
                """
        ),
        SchemaMigration(
            id: "0009_budget",
            sql: """
                -- Budgets: a limit per period on one scope (org, team, project, user, key, or a
                -- tag as key=value). Money in nano-dollars; times in Unix seconds (window) and
                -- microseconds (created/updated).
                CREATE TABLE budget (
                    id          TEXT PRIMARY KEY NOT NULL,
                    name        TEXT NOT NULL,
                    scope_kind  TEXT NOT NULL CHECK (scope_kind IN ('org', 'team', 'project', 'user', 'key', 'tag')),
                    scope_value TEXT NOT NULL,
                    org_id      TEXT,
                    team_id     TEXT,
                    period      TEXT NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly', 'fixed')),
                    time_zone   TEXT NOT NULL,
                    starts_at   INTEGER,
                    ends_at     INTEGER,
                    limit_nanos INTEGER NOT NULL CHECK (limit_nanos >= 0),
                    soft_limit_nanos INTEGER CHECK (soft_limit_nanos >= 0),
                    created_at  INTEGER NOT NULL,
                    updated_at  INTEGER NOT NULL
                ) STRICT;

                -- Each gateway instance's share of a budget period: what it spent and what it
                -- holds (spent + reserved + a slice), with a heartbeat so a gone instance's
                -- unspent share returns.
                CREATE TABLE budget_ledger (
                    budget_id     TEXT NOT NULL REFERENCES budget (id) ON DELETE CASCADE,
                    period_start  INTEGER NOT NULL,
                    instance_id   TEXT NOT NULL,
                    spent_nanos   INTEGER NOT NULL CHECK (spent_nanos >= 0),
                    granted_nanos INTEGER NOT NULL CHECK (granted_nanos >= 0),
                    heartbeat_at  INTEGER NOT NULL,
                    PRIMARY KEY (budget_id, period_start, instance_id)
                ) STRICT, WITHOUT ROWID;
                """
        ),
        SchemaMigration(
            id: "0010_response_cache",
            sql: """
                -- The exact-match response cache: a hit is a success answered from memory, so its
                -- cost_nanos is 0 and cache_saved_nanos holds what the cached answer cost when the
                -- upstream produced it. The rollups sum both, so reports show hits and savings.
                ALTER TABLE request_record ADD COLUMN cache_hit INTEGER NOT NULL DEFAULT 0 CHECK (cache_hit IN (0, 1));
                ALTER TABLE request_record ADD COLUMN cache_saved_nanos INTEGER NOT NULL DEFAULT 0
                    CHECK (cache_saved_nanos >= 0);
                ALTER TABLE cost_rollup ADD COLUMN cache_hits INTEGER NOT NULL DEFAULT 0 CHECK (cache_hits >= 0);
                ALTER TABLE cost_rollup ADD COLUMN cache_saved_nanos INTEGER NOT NULL DEFAULT 0
                    CHECK (cache_saved_nanos >= 0);
                ALTER TABLE cost_rollup_tag ADD COLUMN cache_hits INTEGER NOT NULL DEFAULT 0 CHECK (cache_hits >= 0);
                ALTER TABLE cost_rollup_tag ADD COLUMN cache_saved_nanos INTEGER NOT NULL DEFAULT 0
                    CHECK (cache_saved_nanos >= 0);
                """
        ),
        SchemaMigration(
            id: "0011_rate_limit",
            sql: """
                -- Rate-limit rules made through the admin API (rules of the configuration file
                -- are not stored). A rule names at least one scope and sets at least one limit.
                CREATE TABLE rate_limit_rule (
                    id             TEXT PRIMARY KEY NOT NULL,
                    key_id         TEXT,
                    team_id        TEXT,
                    model          TEXT,
                    rpm            INTEGER CHECK (rpm >= 1),
                    tpm            INTEGER CHECK (tpm >= 1),
                    max_concurrent INTEGER CHECK (max_concurrent >= 1),
                    window_seconds INTEGER NOT NULL CHECK (window_seconds BETWEEN 1 AND 86400),
                    created_at     INTEGER NOT NULL,
                    CHECK (key_id IS NOT NULL OR team_id IS NOT NULL OR model IS NOT NULL),
                    CHECK (rpm IS NOT NULL OR tpm IS NOT NULL OR max_concurrent IS NOT NULL)
                ) STRICT;

                -- Capacity granted to all gateway instances together in one window of a rule
                -- (config or stored, by id); window_start is Unix seconds. last_requests and
                -- last_tokens hold what the latest change gave, so one upsert can return it.
                CREATE TABLE rate_limit_window (
                    rule_id          TEXT    NOT NULL,
                    window_start     INTEGER NOT NULL,
                    requests_granted INTEGER NOT NULL CHECK (requests_granted >= 0),
                    tokens_granted   INTEGER NOT NULL CHECK (tokens_granted >= 0),
                    last_requests    INTEGER NOT NULL,
                    last_tokens      INTEGER NOT NULL,
                    PRIMARY KEY (rule_id, window_start)
                ) STRICT, WITHOUT ROWID;

                -- Concurrency slots leased to one gateway instance, until expires_at (Unix µs).
                CREATE TABLE rate_limit_lease (
                    rule_id     TEXT    NOT NULL,
                    instance_id TEXT    NOT NULL,
                    slots       INTEGER NOT NULL CHECK (slots >= 0),
                    expires_at  INTEGER NOT NULL,
                    PRIMARY KEY (rule_id, instance_id)
                ) STRICT, WITHOUT ROWID;
                """
        ),
        SchemaMigration(
            id: "0012_stream_resume",
            sql: """
                -- Resume mode (models[].stream_resume) needs no column: a resumed attempt is marked
                -- inside request_record.attempt_log ("resumed": true). This id was reserved for it
                -- and stays, a no-op, so the list stays numbered without a gap.
                SELECT 1;
                """
        ),
        SchemaMigration(
            id: "0013_request_record_prompt_traits",
            sql: """
                -- What a chat request used beyond text (bit 1: tools, bit 2: images) and a
                -- fingerprint of its prompt's first 4 KiB, for cost recommendations.
                ALTER TABLE request_record ADD COLUMN features INTEGER NOT NULL DEFAULT 0 CHECK (features >= 0);
                ALTER TABLE request_record ADD COLUMN prompt_prefix_hash INTEGER;
                """
        ),
        SchemaMigration(
            id: "0014_request_record_agent_task",
            sql: """
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
                    ended_at INTEGER NOT NULL,
                    key_id   TEXT,
                    team_id  TEXT
                ) STRICT;
                """
        ),
        SchemaMigration(
            id: "0015_request_record_usage_estimated",
            sql: """
                -- A stream cut after content reached the client, before its upstream reported
                -- usage, is recorded with the gateway's estimate of its usage and cost; the
                -- rollups keep the estimated part of cost_nanos apart, for cost reports.
                ALTER TABLE request_record ADD COLUMN usage_estimated INTEGER NOT NULL DEFAULT 0 CHECK (usage_estimated IN (0, 1));
                ALTER TABLE cost_rollup ADD COLUMN estimated_cost_nanos INTEGER NOT NULL DEFAULT 0
                    CHECK (estimated_cost_nanos >= 0);
                ALTER TABLE cost_rollup_tag ADD COLUMN estimated_cost_nanos INTEGER NOT NULL DEFAULT 0
                    CHECK (estimated_cost_nanos >= 0);
                """
        ),
    ]
}
