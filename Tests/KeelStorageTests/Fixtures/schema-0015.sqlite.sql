PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_migration (
    id         TEXT    PRIMARY KEY NOT NULL,
    applied_at INTEGER NOT NULL
) STRICT;
INSERT INTO schema_migration VALUES('0001_request_record',1796548996539707);
INSERT INTO schema_migration VALUES('0002_virtual_key',1796548996541296);
INSERT INTO schema_migration VALUES('0003_setting',1796548996542006);
INSERT INTO schema_migration VALUES('0004_request_record_attempt_log',1796548996542462);
INSERT INTO schema_migration VALUES('0005_request_record_web_search_requests',1796548996543328);
INSERT INTO schema_migration VALUES('0006_tenancy',1796548996544160);
INSERT INTO schema_migration VALUES('0007_request_record_attribution',1796548996546551);
INSERT INTO schema_migration VALUES('0008_cost_rollup',1796548996547849);
INSERT INTO schema_migration VALUES('0009_budget',1796548996548771);
INSERT INTO schema_migration VALUES('0010_response_cache',1796548996549435);
INSERT INTO schema_migration VALUES('0011_rate_limit',1796548996552812);
INSERT INTO schema_migration VALUES('0012_stream_resume',1796548996553659);
INSERT INTO schema_migration VALUES('0013_request_record_prompt_traits',1796548996554011);
INSERT INTO schema_migration VALUES('0014_request_record_agent_task',1796548996555446);
INSERT INTO schema_migration VALUES('0015_request_record_usage_estimated',1796548996557612);
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
, attempt_log TEXT
    CHECK (attempt_log IS NULL OR (json_valid(attempt_log) AND json_type(attempt_log) = 'array')), web_search_requests INTEGER NOT NULL DEFAULT 0
    CHECK (web_search_requests >= 0), org_id TEXT, tags TEXT NOT NULL DEFAULT '{}'
    CHECK (json_valid(tags) AND json_type(tags) = 'object'), cache_hit INTEGER NOT NULL DEFAULT 0 CHECK (cache_hit IN (0, 1)), cache_saved_nanos INTEGER NOT NULL DEFAULT 0
    CHECK (cache_saved_nanos >= 0), features INTEGER NOT NULL DEFAULT 0 CHECK (features >= 0), prompt_prefix_hash INTEGER, agent_id TEXT, task_id TEXT, task_outcome TEXT CHECK (task_outcome IN ('success', 'failure')), usage_estimated INTEGER NOT NULL DEFAULT 0 CHECK (usage_estimated IN (0, 1))) STRICT;
INSERT INTO request_record VALUES('req_661f3a8ca500cd0120ccc04',1796548997042188,'chat.completions','key_5d6e34c25dc25b27','search','ranking','ada','keel-sim-chat','keel-sim-chat','sim','keel-sim-chat',0,200,'success',NULL,1,NULL,9378,9401,12,16,0,0,0,0,44000,NULL,0,'acme','{"env":"prod"}',0,0,0,NULL,'planner','task-1','success',0);
INSERT INTO request_record VALUES('req_661f3a8ca9545d0120ccc05',1796548997059909,'chat.completions','key_5d6e34c25dc25b27','search','ranking','ada','keel-sim-chat','keel-sim-chat','sim','keel-sim-chat',0,200,'success',NULL,1,NULL,2622,2648,12,21,0,0,0,0,54000,NULL,0,'acme','{"env":"prod"}',0,0,0,NULL,'planner','task-2','success',0);
INSERT INTO request_record VALUES('req_661f3a8cabdfcd0120ccc06',1796548997070332,'chat.completions','key_5d6e34c25dc25b27','search','ranking','ada','keel-sim-chat','keel-sim-chat','sim','keel-sim-chat',0,200,'success',NULL,1,NULL,6974,7000,12,12,0,0,0,0,36000,NULL,0,'acme','{"env":"prod"}',0,0,0,NULL,'planner','task-3','success',0);
INSERT INTO request_record VALUES('req_661f3a8cb09acd0120ccc07',1796548997089708,'chat.completions','key_5d6e34c25dc25b27','search','ranking','ada','keel-sim-chat','keel-sim-chat','sim','keel-sim-chat',0,200,'success',NULL,1,NULL,3010,3026,12,33,0,0,0,0,78000,NULL,0,'acme','{"env":"prod"}',0,0,0,NULL,'planner','task-4','failure',0);
INSERT INTO request_record VALUES('req_661f3a8cb423bd0120ccc08',1796548997104187,'chat.completions','key_5d6e34c25dc25b27','search','ranking','ada','keel-sim-chat','keel-sim-chat','sim','keel-sim-chat',0,200,'success',NULL,1,NULL,2513,2539,12,39,0,0,0,0,90000,NULL,0,'acme','{"env":"prod"}',0,0,0,NULL,'planner','task-5',NULL,0);
INSERT INTO request_record VALUES('req_661f3a8cb6bfed0120ccc09',1796548997114878,'chat.completions','key_5d6e34c25dc25b27','search','ranking','ada','keel-sim-chat','keel-sim-chat','sim','keel-sim-chat',1,200,'success',NULL,1,3157,3218,3672,11,16,0,0,0,0,43000,NULL,0,'acme','{"env":"prod"}',0,0,0,NULL,NULL,NULL,NULL,0);
INSERT INTO request_record VALUES('req_661f3a8cb99b7d0120ccc0a',1796548997126583,'chat.completions','key_5d6e34c25dc25b27','search','ranking','ada','keel-sim-chat','keel-sim-chat','sim','keel-sim-chat',0,502,'error','upstream_unavailable',3,NULL,NULL,125337,0,0,0,0,0,0,0,'[{"provider":"sim","deployment":"keel-sim-chat","error_class":"upstream_unavailable","upstream_status":503,"duration_us":2568},{"provider":"sim","deployment":"keel-sim-chat","error_class":"upstream_unavailable","upstream_status":503,"duration_us":1851},{"provider":"sim","deployment":"keel-sim-chat","error_class":"upstream_unavailable","upstream_status":503,"duration_us":2009}]',0,'acme','{"env":"prod"}',0,0,0,NULL,NULL,NULL,NULL,0);
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
, org_id TEXT, role TEXT NOT NULL DEFAULT 'none'
    CHECK (role IN ('admin', 'team_admin', 'viewer', 'auditor', 'none')), tags TEXT NOT NULL DEFAULT '{}'
    CHECK (json_valid(tags) AND json_type(tags) = 'object')) STRICT;
INSERT INTO virtual_key VALUES('key_5d6e34c25dc25b27','5d6e34c25dc25b27f70fb3f76101346bceda9e4d8fcb56adff2532d21be6c59b','sk-keel-CvNr','ranker','search','ranking','ada','[]',1796548996811730,NULL,NULL,'acme','none','{"env":"prod"}');
INSERT INTO virtual_key VALUES('key_d7b86c4c8896d958','d7b86c4c8896d958da84ebe4da099b20bda694557841f62a1e27c46a248b9fb1','sk-keel-xDcC','viewer',NULL,NULL,NULL,'[]',1796548997006428,NULL,NULL,'acme','viewer','{}');
CREATE TABLE setting (
    name  TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;
CREATE TABLE org (
    id         TEXT    PRIMARY KEY NOT NULL,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
INSERT INTO org VALUES('acme','Acme',1796548996672710,1796548996672710);
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
INSERT INTO team VALUES('search','acme','Search',1796548996701160,1796548996701160);
INSERT INTO team VALUES('ads','acme','Ads',1796548996719458,1796548996719458);
CREATE TABLE project (
    id         TEXT    PRIMARY KEY NOT NULL,
    team_id    TEXT    NOT NULL REFERENCES team (id) ON DELETE RESTRICT,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (team_id, name)
) STRICT;
INSERT INTO project VALUES('ranking','search','Ranking',1796548996737603,1796548996737603);
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
INSERT INTO user_account VALUES('ada','acme','Ada','ada@example.com','search',1796548996774060,1796548996774060);
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
    cost_nanos          INTEGER NOT NULL CHECK (cost_nanos >= 0), cache_hits INTEGER NOT NULL DEFAULT 0 CHECK (cache_hits >= 0), cache_saved_nanos INTEGER NOT NULL DEFAULT 0
    CHECK (cache_saved_nanos >= 0), estimated_cost_nanos INTEGER NOT NULL DEFAULT 0
    CHECK (estimated_cost_nanos >= 0),
    PRIMARY KEY (granularity, bucket_start, org_id, team_id, project_id, user_id, key_id, model, provider)
) STRICT, WITHOUT ROWID;
INSERT INTO cost_rollup VALUES(60,1796548980,'acme','search','ranking','ada','key_5d6e34c25dc25b27','keel-sim-chat','sim',7,1,71,137,0,0,0,345000,0,0,0);
INSERT INTO cost_rollup VALUES(3600,1796547600,'acme','search','ranking','ada','key_5d6e34c25dc25b27','keel-sim-chat','sim',7,1,71,137,0,0,0,345000,0,0,0);
INSERT INTO cost_rollup VALUES(86400,1796515200,'acme','search','ranking','ada','key_5d6e34c25dc25b27','keel-sim-chat','sim',7,1,71,137,0,0,0,345000,0,0,0);
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
    cost_nanos          INTEGER NOT NULL CHECK (cost_nanos >= 0), cache_hits INTEGER NOT NULL DEFAULT 0 CHECK (cache_hits >= 0), cache_saved_nanos INTEGER NOT NULL DEFAULT 0
    CHECK (cache_saved_nanos >= 0), estimated_cost_nanos INTEGER NOT NULL DEFAULT 0
    CHECK (estimated_cost_nanos >= 0),
    PRIMARY KEY (granularity, bucket_start, tag_key, tag_value, org_id, team_id, model)
) STRICT, WITHOUT ROWID;
INSERT INTO cost_rollup_tag VALUES(60,1796548980,'env','prod','acme','search','keel-sim-chat',7,1,71,137,0,0,0,345000,0,0,0);
INSERT INTO cost_rollup_tag VALUES(3600,1796547600,'env','prod','acme','search','keel-sim-chat',7,1,71,137,0,0,0,345000,0,0,0);
INSERT INTO cost_rollup_tag VALUES(86400,1796515200,'env','prod','acme','search','keel-sim-chat',7,1,71,137,0,0,0,345000,0,0,0);
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
INSERT INTO budget VALUES('search-daily','Search daily','team','search','acme','search','daily','Europe/Berlin',NULL,NULL,25000000000,20000000000,1796548997022570,1796548997022570);
CREATE TABLE budget_ledger (
    budget_id     TEXT NOT NULL REFERENCES budget (id) ON DELETE CASCADE,
    period_start  INTEGER NOT NULL,
    instance_id   TEXT NOT NULL,
    spent_nanos   INTEGER NOT NULL CHECK (spent_nanos >= 0),
    granted_nanos INTEGER NOT NULL CHECK (granted_nanos >= 0),
    heartbeat_at  INTEGER NOT NULL,
    PRIMARY KEY (budget_id, period_start, instance_id)
) STRICT, WITHOUT ROWID;
INSERT INTO budget_ledger VALUES('search-daily',1796511600,'keel-29447a1e1661efaf',345000,345000,1796548997254608);
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
INSERT INTO rate_limit_rule VALUES('search-rpm',NULL,'search',NULL,600,NULL,8,60,1796548997032622);
CREATE TABLE rate_limit_window (
    rule_id          TEXT    NOT NULL,
    window_start     INTEGER NOT NULL,
    requests_granted INTEGER NOT NULL CHECK (requests_granted >= 0),
    tokens_granted   INTEGER NOT NULL CHECK (tokens_granted >= 0),
    last_requests    INTEGER NOT NULL,
    last_tokens      INTEGER NOT NULL,
    PRIMARY KEY (rule_id, window_start)
) STRICT, WITHOUT ROWID;
INSERT INTO rate_limit_window VALUES('search-rpm',1796548980,60,0,60,0);
CREATE TABLE rate_limit_lease (
    rule_id     TEXT    NOT NULL,
    instance_id TEXT    NOT NULL,
    slots       INTEGER NOT NULL CHECK (slots >= 0),
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (rule_id, instance_id)
) STRICT, WITHOUT ROWID;
CREATE TABLE agent_task (
    task_id  TEXT    PRIMARY KEY NOT NULL,
    agent_id TEXT,
    outcome  TEXT    NOT NULL CHECK (outcome IN ('success', 'failure')),
    ended_at INTEGER NOT NULL,
    key_id   TEXT,
    team_id  TEXT
) STRICT;
INSERT INTO agent_task VALUES('task-1','planner','success',1796548997042188,'key_5d6e34c25dc25b27','search');
INSERT INTO agent_task VALUES('task-2','planner','success',1796548997059909,'key_5d6e34c25dc25b27','search');
INSERT INTO agent_task VALUES('task-3','planner','success',1796548997070332,'key_5d6e34c25dc25b27','search');
INSERT INTO agent_task VALUES('task-4','planner','failure',1796548997089708,'key_5d6e34c25dc25b27','search');
CREATE INDEX request_record_started_at
    ON request_record (started_at, id);
CREATE INDEX request_record_key_started_at
    ON request_record (key_id, started_at, id) WHERE key_id IS NOT NULL;
CREATE INDEX request_record_team_started_at
    ON request_record (team_id, started_at, id) WHERE team_id IS NOT NULL;
CREATE INDEX request_record_model_started_at
    ON request_record (coalesce(nullif(model, ''), requested_model), started_at, id);
CREATE INDEX user_account_org ON user_account (org_id, id);
CREATE INDEX user_account_default_team ON user_account (default_team_id, id)
    WHERE default_team_id IS NOT NULL;
CREATE INDEX virtual_key_team ON virtual_key (team_id) WHERE team_id IS NOT NULL;
CREATE INDEX request_record_org_started_at ON request_record (org_id, started_at, id)
    WHERE org_id IS NOT NULL;
CREATE INDEX request_record_task_started_at
    ON request_record (task_id, started_at, id) WHERE task_id IS NOT NULL;
COMMIT;
