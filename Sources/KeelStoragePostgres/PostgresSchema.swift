public import KeelStorage

/// The PostgreSQL schema of Keel, as the ordered list of migrations that builds it.
///
/// The list is append-only, numbered like the SQLite list, and each migration means the same
/// change as the SQLite migration of the same number, so both backends hold the same data in
/// the same shape. ``PostgresBackend/open(url:configuration:eventLoopGroup:logger:)`` applies
/// the pending ones in order, each in its own transaction (see the catalog's "Adding a migration").
///
/// The SQL is written by hand in PostgreSQL's dialect and never mentions Swift types or
/// constants. Money is `BIGINT` nano-dollars, times are `BIGINT` microseconds since the epoch,
/// JSON columns are `JSONB` checked to be arrays. Text that a page cursor compares (`id`) is
/// `COLLATE "C"`: byte order, which is SQLite's `BINARY` order, whatever the database's locale.
public enum PostgresSchema {
    /// Every migration of the PostgreSQL backend, oldest first.
    public static let migrations: [SchemaMigration] = [
        SchemaMigration(
            id: "0001_request_record",
            sql: """
                CREATE TABLE request_record (
                    id                    TEXT COLLATE "C" PRIMARY KEY,
                    started_at            BIGINT  NOT NULL,
                    operation             TEXT    NOT NULL,
                    key_id                TEXT,
                    team_id               TEXT,
                    project_id            TEXT,
                    user_id               TEXT,
                    requested_model       TEXT    NOT NULL,
                    model                 TEXT,
                    provider              TEXT,
                    deployment            TEXT,
                    stream                BOOLEAN NOT NULL,
                    status                INTEGER NOT NULL,
                    outcome               TEXT    NOT NULL
                        CHECK (outcome IN ('success', 'error', 'interrupted', 'cancelled')),
                    error_class           TEXT,
                    attempts              INTEGER NOT NULL CHECK (attempts >= 0),
                    ttft_us               BIGINT  CHECK (ttft_us >= 0),
                    upstream_us           BIGINT  CHECK (upstream_us >= 0),
                    total_us              BIGINT  NOT NULL CHECK (total_us >= 0),
                    input_tokens          BIGINT  NOT NULL CHECK (input_tokens >= 0),
                    output_tokens         BIGINT  NOT NULL CHECK (output_tokens >= 0),
                    cached_input_tokens   BIGINT  NOT NULL CHECK (cached_input_tokens >= 0),
                    cache_write_tokens    BIGINT  NOT NULL CHECK (cache_write_tokens >= 0),
                    cache_write_1h_tokens BIGINT  NOT NULL CHECK (cache_write_1h_tokens >= 0),
                    reasoning_tokens      BIGINT  NOT NULL CHECK (reasoning_tokens >= 0),
                    cost_nanos            BIGINT  NOT NULL CHECK (cost_nanos >= 0)
                );

                -- Every index ends in (started_at, id) so that a filtered page is read in the
                -- log's newest-first order straight from the index (scanned backwards), cursor
                -- included. Each index slows the batch insert, the hot write path.
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
                    ON request_record ((coalesce(nullif(model, ''), requested_model)), started_at, id);
                """
        ),
        SchemaMigration(
            id: "0002_virtual_key",
            sql: """
                CREATE TABLE virtual_key (
                    id         TEXT COLLATE "C" PRIMARY KEY,
                    hash       TEXT   NOT NULL UNIQUE,
                    prefix     TEXT   NOT NULL,
                    name       TEXT,
                    team_id    TEXT,
                    project_id TEXT,
                    user_id    TEXT,
                    -- A JSON array of model names; an empty array allows every model.
                    models     JSONB  NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(models) = 'array'),
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT,
                    revoked_at BIGINT
                );
                """
        ),
        SchemaMigration(
            id: "0003_setting",
            sql: """
                CREATE TABLE setting (
                    name  TEXT PRIMARY KEY,
                    value TEXT NOT NULL
                );
                """
        ),
        SchemaMigration(
            id: "0004_request_record_attempt_log",
            sql: """
                -- The attempts of a request that was retried or failed over, as a JSON array;
                -- NULL when the first attempt answered.
                ALTER TABLE request_record ADD COLUMN attempt_log JSONB
                    CHECK (attempt_log IS NULL OR jsonb_typeof(attempt_log) = 'array');
                """
        ),
        SchemaMigration(
            id: "0005_request_record_web_search_requests",
            sql: """
                -- Server-side web searches, billed per search (Anthropic server_tool_use).
                ALTER TABLE request_record ADD COLUMN web_search_requests BIGINT NOT NULL DEFAULT 0
                    CHECK (web_search_requests >= 0);
                """
        ),
        SchemaMigration(
            id: "0006_tenancy",
            sql: """
                -- Organisations → teams → projects, and users of an organisation. References are
                -- RESTRICT: a row that others refer to is never deleted (no cascade, no soft delete).
                -- Ids are compared by list cursors, hence COLLATE "C" (byte order, as on SQLite).
                CREATE TABLE org (
                    id         TEXT COLLATE "C" PRIMARY KEY,
                    name       TEXT   NOT NULL UNIQUE,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                );

                CREATE TABLE team (
                    id         TEXT COLLATE "C" PRIMARY KEY,
                    org_id     TEXT COLLATE "C" NOT NULL REFERENCES org (id) ON DELETE RESTRICT,
                    name       TEXT   NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    UNIQUE (org_id, name),
                    -- The target of user_account's (default_team_id, org_id) reference.
                    UNIQUE (id, org_id)
                );

                CREATE TABLE project (
                    id         TEXT COLLATE "C" PRIMARY KEY,
                    team_id    TEXT COLLATE "C" NOT NULL REFERENCES team (id) ON DELETE RESTRICT,
                    name       TEXT   NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    UNIQUE (team_id, name)
                );

                CREATE TABLE user_account (
                    id              TEXT COLLATE "C" PRIMARY KEY,
                    org_id          TEXT COLLATE "C" NOT NULL REFERENCES org (id) ON DELETE RESTRICT,
                    name            TEXT   NOT NULL,
                    email           TEXT   UNIQUE,
                    default_team_id TEXT COLLATE "C",
                    created_at      BIGINT NOT NULL,
                    updated_at      BIGINT NOT NULL,
                    -- A user's default team is a team of the user's own organisation.
                    FOREIGN KEY (default_team_id, org_id) REFERENCES team (id, org_id) ON DELETE RESTRICT
                );
                CREATE INDEX user_account_org ON user_account (org_id, id);
                CREATE INDEX user_account_default_team ON user_account (default_team_id, id)
                    WHERE default_team_id IS NOT NULL;

                -- Keys gain their organisation, their admin role and default tags. Bindings stay
                -- free text without references: static keys from the configuration name teams
                -- that need not exist as rows, and revoked keys keep their bindings as history.
                ALTER TABLE virtual_key ADD COLUMN org_id TEXT;
                ALTER TABLE virtual_key ADD COLUMN role TEXT NOT NULL DEFAULT 'none'
                    CHECK (role IN ('admin', 'team_admin', 'viewer', 'auditor', 'none'));
                ALTER TABLE virtual_key ADD COLUMN tags JSONB NOT NULL DEFAULT '{}'
                    CHECK (jsonb_typeof(tags) = 'object');
                CREATE INDEX virtual_key_team ON virtual_key (team_id) WHERE team_id IS NOT NULL;
                """
        ),
        SchemaMigration(
            id: "0007_request_record_attribution",
            sql: """
                -- The organisation of the key and free-form attribution tags (a JSON object of
                -- strings), for cost attribution and drill-down.
                ALTER TABLE request_record ADD COLUMN org_id TEXT;
                ALTER TABLE request_record ADD COLUMN tags JSONB NOT NULL DEFAULT '{}'
                    CHECK (jsonb_typeof(tags) = 'object');
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
                    granularity         BIGINT NOT NULL CHECK (granularity IN (60, 3600, 86400)),
                    bucket_start        BIGINT NOT NULL,
                    org_id              TEXT COLLATE "C" NOT NULL,
                    team_id             TEXT COLLATE "C" NOT NULL,
                    project_id          TEXT COLLATE "C" NOT NULL,
                    user_id             TEXT COLLATE "C" NOT NULL,
                    key_id              TEXT COLLATE "C" NOT NULL,
                    model               TEXT COLLATE "C" NOT NULL,
                    provider            TEXT COLLATE "C" NOT NULL,
                    requests            BIGINT NOT NULL CHECK (requests >= 0),
                    errors              BIGINT NOT NULL CHECK (errors >= 0),
                    input_tokens        BIGINT NOT NULL CHECK (input_tokens >= 0),
                    output_tokens       BIGINT NOT NULL CHECK (output_tokens >= 0),
                    cached_input_tokens BIGINT NOT NULL CHECK (cached_input_tokens >= 0),
                    cache_write_tokens  BIGINT NOT NULL CHECK (cache_write_tokens >= 0),
                    reasoning_tokens    BIGINT NOT NULL CHECK (reasoning_tokens >= 0),
                    cost_nanos          BIGINT NOT NULL CHECK (cost_nanos >= 0),
                    PRIMARY KEY (granularity, bucket_start, org_id, team_id, project_id, user_id, key_id, model, provider)
                );

                -- The same sums per tag: one row per (bucket, tag key, tag value, org, team, model).
                CREATE TABLE cost_rollup_tag (
                    granularity         BIGINT NOT NULL CHECK (granularity IN (60, 3600, 86400)),
                    bucket_start        BIGINT NOT NULL,
                    tag_key             TEXT COLLATE "C" NOT NULL,
                    tag_value           TEXT COLLATE "C" NOT NULL,
                    org_id              TEXT COLLATE "C" NOT NULL,
                    team_id             TEXT COLLATE "C" NOT NULL,
                    model               TEXT COLLATE "C" NOT NULL,
                    requests            BIGINT NOT NULL CHECK (requests >= 0),
                    errors              BIGINT NOT NULL CHECK (errors >= 0),
                    input_tokens        BIGINT NOT NULL CHECK (input_tokens >= 0),
                    output_tokens       BIGINT NOT NULL CHECK (output_tokens >= 0),
                    cached_input_tokens BIGINT NOT NULL CHECK (cached_input_tokens >= 0),
                    cache_write_tokens  BIGINT NOT NULL CHECK (cache_write_tokens >= 0),
                    reasoning_tokens    BIGINT NOT NULL CHECK (reasoning_tokens >= 0),
                    cost_nanos          BIGINT NOT NULL CHECK (cost_nanos >= 0),
                    PRIMARY KEY (granularity, bucket_start, tag_key, tag_value, org_id, team_id, model)
                );
                """
        ),
        SchemaMigration(
            id: "0009_budget",
            sql: """
                -- Budgets: a limit per period on one scope (org, team, project, user, key, or a
                -- tag as key=value). Money in nano-dollars; times in Unix seconds (window) and
                -- microseconds (created/updated).
                CREATE TABLE budget (
                    id          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
                    name        TEXT NOT NULL,
                    scope_kind  TEXT NOT NULL CHECK (scope_kind IN ('org', 'team', 'project', 'user', 'key', 'tag')),
                    scope_value TEXT NOT NULL,
                    org_id      TEXT,
                    team_id     TEXT,
                    period      TEXT NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly', 'fixed')),
                    time_zone   TEXT NOT NULL,
                    starts_at   BIGINT,
                    ends_at     BIGINT,
                    limit_nanos BIGINT NOT NULL CHECK (limit_nanos >= 0),
                    soft_limit_nanos BIGINT CHECK (soft_limit_nanos >= 0),
                    created_at  BIGINT NOT NULL,
                    updated_at  BIGINT NOT NULL
                );

                -- Each gateway instance's share of a budget period: what it spent and what it
                -- holds (spent + reserved + a slice), with a heartbeat so a gone instance's
                -- unspent share returns.
                CREATE TABLE budget_ledger (
                    budget_id     TEXT COLLATE "C" NOT NULL REFERENCES budget (id) ON DELETE CASCADE,
                    period_start  BIGINT NOT NULL,
                    instance_id   TEXT NOT NULL,
                    spent_nanos   BIGINT NOT NULL CHECK (spent_nanos >= 0),
                    granted_nanos BIGINT NOT NULL CHECK (granted_nanos >= 0),
                    heartbeat_at  BIGINT NOT NULL,
                    PRIMARY KEY (budget_id, period_start, instance_id)
                );
                """
        ),
        SchemaMigration(
            id: "0010_response_cache",
            sql: """
                -- The exact-match response cache: a hit is a success answered from memory, so its
                -- cost_nanos is 0 and cache_saved_nanos holds what the cached answer cost when the
                -- upstream produced it. The rollups sum both, so reports show hits and savings.
                ALTER TABLE request_record ADD COLUMN cache_hit BOOLEAN NOT NULL DEFAULT FALSE;
                ALTER TABLE request_record ADD COLUMN cache_saved_nanos BIGINT NOT NULL DEFAULT 0
                    CHECK (cache_saved_nanos >= 0);
                ALTER TABLE cost_rollup ADD COLUMN cache_hits BIGINT NOT NULL DEFAULT 0 CHECK (cache_hits >= 0);
                ALTER TABLE cost_rollup ADD COLUMN cache_saved_nanos BIGINT NOT NULL DEFAULT 0
                    CHECK (cache_saved_nanos >= 0);
                ALTER TABLE cost_rollup_tag ADD COLUMN cache_hits BIGINT NOT NULL DEFAULT 0 CHECK (cache_hits >= 0);
                ALTER TABLE cost_rollup_tag ADD COLUMN cache_saved_nanos BIGINT NOT NULL DEFAULT 0
                    CHECK (cache_saved_nanos >= 0);
                """
        ),
        SchemaMigration(
            id: "0011_rate_limit",
            sql: """
                -- Rate-limit rules made through the admin API (rules of the configuration file
                -- are not stored). A rule names at least one scope and sets at least one limit.
                CREATE TABLE rate_limit_rule (
                    id             TEXT COLLATE "C" PRIMARY KEY NOT NULL,
                    key_id         TEXT,
                    team_id        TEXT,
                    model          TEXT,
                    rpm            BIGINT CHECK (rpm >= 1),
                    tpm            BIGINT CHECK (tpm >= 1),
                    max_concurrent BIGINT CHECK (max_concurrent >= 1),
                    window_seconds BIGINT NOT NULL CHECK (window_seconds BETWEEN 1 AND 86400),
                    created_at     BIGINT NOT NULL,
                    CHECK (key_id IS NOT NULL OR team_id IS NOT NULL OR model IS NOT NULL),
                    CHECK (rpm IS NOT NULL OR tpm IS NOT NULL OR max_concurrent IS NOT NULL)
                );

                -- Capacity granted to all gateway instances together in one window of a rule
                -- (config or stored, by id); window_start is Unix seconds. last_requests and
                -- last_tokens hold what the latest change gave, so one upsert can return it.
                CREATE TABLE rate_limit_window (
                    rule_id          TEXT COLLATE "C" NOT NULL,
                    window_start     BIGINT NOT NULL,
                    requests_granted BIGINT NOT NULL CHECK (requests_granted >= 0),
                    tokens_granted   BIGINT NOT NULL CHECK (tokens_granted >= 0),
                    last_requests    BIGINT NOT NULL,
                    last_tokens      BIGINT NOT NULL,
                    PRIMARY KEY (rule_id, window_start)
                );

                -- Concurrency slots leased to one gateway instance, until expires_at (Unix µs).
                CREATE TABLE rate_limit_lease (
                    rule_id     TEXT COLLATE "C" NOT NULL,
                    instance_id TEXT    NOT NULL,
                    slots       BIGINT NOT NULL CHECK (slots >= 0),
                    expires_at  BIGINT NOT NULL,
                    PRIMARY KEY (rule_id, instance_id)
                );
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
                ALTER TABLE request_record ADD COLUMN features BIGINT NOT NULL DEFAULT 0 CHECK (features >= 0);
                ALTER TABLE request_record ADD COLUMN prompt_prefix_hash BIGINT;
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
                    task_id  TEXT   PRIMARY KEY,
                    agent_id TEXT,
                    outcome  TEXT   NOT NULL CHECK (outcome IN ('success', 'failure')),
                    ended_at BIGINT NOT NULL,
                    key_id   TEXT,
                    team_id  TEXT
                );
                """
        ),
        SchemaMigration(
            id: "0015_request_record_usage_estimated",
            sql: """
                -- A stream cut after content reached the client, before its upstream reported
                -- usage, is recorded with the gateway's estimate of its usage and cost; the
                -- rollups keep the estimated part of cost_nanos apart, for cost reports.
                ALTER TABLE request_record ADD COLUMN usage_estimated BOOLEAN NOT NULL DEFAULT FALSE;
                ALTER TABLE cost_rollup ADD COLUMN estimated_cost_nanos BIGINT NOT NULL DEFAULT 0
                    CHECK (estimated_cost_nanos >= 0);
                ALTER TABLE cost_rollup_tag ADD COLUMN estimated_cost_nanos BIGINT NOT NULL DEFAULT 0
                    CHECK (estimated_cost_nanos >= 0);
                """
        ),
    ]
}
