CREATE SCHEMA keel_fixture;
CREATE TABLE keel_fixture.agent_task (
    task_id text NOT NULL,
    agent_id text,
    outcome text NOT NULL,
    ended_at bigint NOT NULL,
    key_id text,
    team_id text,
    CONSTRAINT agent_task_outcome_check CHECK ((outcome = ANY (ARRAY['success'::text, 'failure'::text])))
);
CREATE TABLE keel_fixture.budget (
    id text NOT NULL COLLATE pg_catalog."C",
    name text NOT NULL,
    scope_kind text NOT NULL,
    scope_value text NOT NULL,
    org_id text,
    team_id text,
    period text NOT NULL,
    time_zone text NOT NULL,
    starts_at bigint,
    ends_at bigint,
    limit_nanos bigint NOT NULL,
    soft_limit_nanos bigint,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    CONSTRAINT budget_limit_nanos_check CHECK ((limit_nanos >= 0)),
    CONSTRAINT budget_period_check CHECK ((period = ANY (ARRAY['daily'::text, 'weekly'::text, 'monthly'::text, 'fixed'::text]))),
    CONSTRAINT budget_scope_kind_check CHECK ((scope_kind = ANY (ARRAY['org'::text, 'team'::text, 'project'::text, 'user'::text, 'key'::text, 'tag'::text]))),
    CONSTRAINT budget_soft_limit_nanos_check CHECK ((soft_limit_nanos >= 0))
);
CREATE TABLE keel_fixture.budget_ledger (
    budget_id text NOT NULL COLLATE pg_catalog."C",
    period_start bigint NOT NULL,
    instance_id text NOT NULL,
    spent_nanos bigint NOT NULL,
    granted_nanos bigint NOT NULL,
    heartbeat_at bigint NOT NULL,
    CONSTRAINT budget_ledger_granted_nanos_check CHECK ((granted_nanos >= 0)),
    CONSTRAINT budget_ledger_spent_nanos_check CHECK ((spent_nanos >= 0))
);
CREATE TABLE keel_fixture.cost_rollup (
    granularity bigint NOT NULL,
    bucket_start bigint NOT NULL,
    org_id text NOT NULL COLLATE pg_catalog."C",
    team_id text NOT NULL COLLATE pg_catalog."C",
    project_id text NOT NULL COLLATE pg_catalog."C",
    user_id text NOT NULL COLLATE pg_catalog."C",
    key_id text NOT NULL COLLATE pg_catalog."C",
    model text NOT NULL COLLATE pg_catalog."C",
    provider text NOT NULL COLLATE pg_catalog."C",
    requests bigint NOT NULL,
    errors bigint NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cached_input_tokens bigint NOT NULL,
    cache_write_tokens bigint NOT NULL,
    reasoning_tokens bigint NOT NULL,
    cost_nanos bigint NOT NULL,
    cache_hits bigint DEFAULT 0 NOT NULL,
    cache_saved_nanos bigint DEFAULT 0 NOT NULL,
    estimated_cost_nanos bigint DEFAULT 0 NOT NULL,
    CONSTRAINT cost_rollup_cache_hits_check CHECK ((cache_hits >= 0)),
    CONSTRAINT cost_rollup_cache_saved_nanos_check CHECK ((cache_saved_nanos >= 0)),
    CONSTRAINT cost_rollup_cache_write_tokens_check CHECK ((cache_write_tokens >= 0)),
    CONSTRAINT cost_rollup_cached_input_tokens_check CHECK ((cached_input_tokens >= 0)),
    CONSTRAINT cost_rollup_cost_nanos_check CHECK ((cost_nanos >= 0)),
    CONSTRAINT cost_rollup_errors_check CHECK ((errors >= 0)),
    CONSTRAINT cost_rollup_estimated_cost_nanos_check CHECK ((estimated_cost_nanos >= 0)),
    CONSTRAINT cost_rollup_granularity_check CHECK ((granularity = ANY (ARRAY[(60)::bigint, (3600)::bigint, (86400)::bigint]))),
    CONSTRAINT cost_rollup_input_tokens_check CHECK ((input_tokens >= 0)),
    CONSTRAINT cost_rollup_output_tokens_check CHECK ((output_tokens >= 0)),
    CONSTRAINT cost_rollup_reasoning_tokens_check CHECK ((reasoning_tokens >= 0)),
    CONSTRAINT cost_rollup_requests_check CHECK ((requests >= 0))
);
CREATE TABLE keel_fixture.cost_rollup_tag (
    granularity bigint NOT NULL,
    bucket_start bigint NOT NULL,
    tag_key text NOT NULL COLLATE pg_catalog."C",
    tag_value text NOT NULL COLLATE pg_catalog."C",
    org_id text NOT NULL COLLATE pg_catalog."C",
    team_id text NOT NULL COLLATE pg_catalog."C",
    model text NOT NULL COLLATE pg_catalog."C",
    requests bigint NOT NULL,
    errors bigint NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cached_input_tokens bigint NOT NULL,
    cache_write_tokens bigint NOT NULL,
    reasoning_tokens bigint NOT NULL,
    cost_nanos bigint NOT NULL,
    cache_hits bigint DEFAULT 0 NOT NULL,
    cache_saved_nanos bigint DEFAULT 0 NOT NULL,
    estimated_cost_nanos bigint DEFAULT 0 NOT NULL,
    CONSTRAINT cost_rollup_tag_cache_hits_check CHECK ((cache_hits >= 0)),
    CONSTRAINT cost_rollup_tag_cache_saved_nanos_check CHECK ((cache_saved_nanos >= 0)),
    CONSTRAINT cost_rollup_tag_cache_write_tokens_check CHECK ((cache_write_tokens >= 0)),
    CONSTRAINT cost_rollup_tag_cached_input_tokens_check CHECK ((cached_input_tokens >= 0)),
    CONSTRAINT cost_rollup_tag_cost_nanos_check CHECK ((cost_nanos >= 0)),
    CONSTRAINT cost_rollup_tag_errors_check CHECK ((errors >= 0)),
    CONSTRAINT cost_rollup_tag_estimated_cost_nanos_check CHECK ((estimated_cost_nanos >= 0)),
    CONSTRAINT cost_rollup_tag_granularity_check CHECK ((granularity = ANY (ARRAY[(60)::bigint, (3600)::bigint, (86400)::bigint]))),
    CONSTRAINT cost_rollup_tag_input_tokens_check CHECK ((input_tokens >= 0)),
    CONSTRAINT cost_rollup_tag_output_tokens_check CHECK ((output_tokens >= 0)),
    CONSTRAINT cost_rollup_tag_reasoning_tokens_check CHECK ((reasoning_tokens >= 0)),
    CONSTRAINT cost_rollup_tag_requests_check CHECK ((requests >= 0))
);
CREATE TABLE keel_fixture.org (
    id text NOT NULL COLLATE pg_catalog."C",
    name text NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);
CREATE TABLE keel_fixture.project (
    id text NOT NULL COLLATE pg_catalog."C",
    team_id text NOT NULL COLLATE pg_catalog."C",
    name text NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);
CREATE TABLE keel_fixture.rate_limit_lease (
    rule_id text NOT NULL COLLATE pg_catalog."C",
    instance_id text NOT NULL,
    slots bigint NOT NULL,
    expires_at bigint NOT NULL,
    CONSTRAINT rate_limit_lease_slots_check CHECK ((slots >= 0))
);
CREATE TABLE keel_fixture.rate_limit_rule (
    id text NOT NULL COLLATE pg_catalog."C",
    key_id text,
    team_id text,
    model text,
    rpm bigint,
    tpm bigint,
    max_concurrent bigint,
    window_seconds bigint NOT NULL,
    created_at bigint NOT NULL,
    CONSTRAINT rate_limit_rule_check CHECK (((key_id IS NOT NULL) OR (team_id IS NOT NULL) OR (model IS NOT NULL))),
    CONSTRAINT rate_limit_rule_check1 CHECK (((rpm IS NOT NULL) OR (tpm IS NOT NULL) OR (max_concurrent IS NOT NULL))),
    CONSTRAINT rate_limit_rule_max_concurrent_check CHECK ((max_concurrent >= 1)),
    CONSTRAINT rate_limit_rule_rpm_check CHECK ((rpm >= 1)),
    CONSTRAINT rate_limit_rule_tpm_check CHECK ((tpm >= 1)),
    CONSTRAINT rate_limit_rule_window_seconds_check CHECK (((window_seconds >= 1) AND (window_seconds <= 86400)))
);
CREATE TABLE keel_fixture.rate_limit_window (
    rule_id text NOT NULL COLLATE pg_catalog."C",
    window_start bigint NOT NULL,
    requests_granted bigint NOT NULL,
    tokens_granted bigint NOT NULL,
    last_requests bigint NOT NULL,
    last_tokens bigint NOT NULL,
    CONSTRAINT rate_limit_window_requests_granted_check CHECK ((requests_granted >= 0)),
    CONSTRAINT rate_limit_window_tokens_granted_check CHECK ((tokens_granted >= 0))
);
CREATE TABLE keel_fixture.request_record (
    id text NOT NULL COLLATE pg_catalog."C",
    started_at bigint NOT NULL,
    operation text NOT NULL,
    key_id text,
    team_id text,
    project_id text,
    user_id text,
    requested_model text NOT NULL,
    model text,
    provider text,
    deployment text,
    stream boolean NOT NULL,
    status integer NOT NULL,
    outcome text NOT NULL,
    error_class text,
    attempts integer NOT NULL,
    ttft_us bigint,
    upstream_us bigint,
    total_us bigint NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cached_input_tokens bigint NOT NULL,
    cache_write_tokens bigint NOT NULL,
    cache_write_1h_tokens bigint NOT NULL,
    reasoning_tokens bigint NOT NULL,
    cost_nanos bigint NOT NULL,
    attempt_log jsonb,
    web_search_requests bigint DEFAULT 0 NOT NULL,
    org_id text,
    tags jsonb DEFAULT '{}'::jsonb NOT NULL,
    cache_hit boolean DEFAULT false NOT NULL,
    cache_saved_nanos bigint DEFAULT 0 NOT NULL,
    features bigint DEFAULT 0 NOT NULL,
    prompt_prefix_hash bigint,
    agent_id text,
    task_id text,
    task_outcome text,
    usage_estimated boolean DEFAULT false NOT NULL,
    CONSTRAINT request_record_attempt_log_check CHECK (((attempt_log IS NULL) OR (jsonb_typeof(attempt_log) = 'array'::text))),
    CONSTRAINT request_record_attempts_check CHECK ((attempts >= 0)),
    CONSTRAINT request_record_cache_saved_nanos_check CHECK ((cache_saved_nanos >= 0)),
    CONSTRAINT request_record_cache_write_1h_tokens_check CHECK ((cache_write_1h_tokens >= 0)),
    CONSTRAINT request_record_cache_write_tokens_check CHECK ((cache_write_tokens >= 0)),
    CONSTRAINT request_record_cached_input_tokens_check CHECK ((cached_input_tokens >= 0)),
    CONSTRAINT request_record_cost_nanos_check CHECK ((cost_nanos >= 0)),
    CONSTRAINT request_record_features_check CHECK ((features >= 0)),
    CONSTRAINT request_record_input_tokens_check CHECK ((input_tokens >= 0)),
    CONSTRAINT request_record_outcome_check CHECK ((outcome = ANY (ARRAY['success'::text, 'error'::text, 'interrupted'::text, 'cancelled'::text]))),
    CONSTRAINT request_record_output_tokens_check CHECK ((output_tokens >= 0)),
    CONSTRAINT request_record_reasoning_tokens_check CHECK ((reasoning_tokens >= 0)),
    CONSTRAINT request_record_tags_check CHECK ((jsonb_typeof(tags) = 'object'::text)),
    CONSTRAINT request_record_task_outcome_check CHECK ((task_outcome = ANY (ARRAY['success'::text, 'failure'::text]))),
    CONSTRAINT request_record_total_us_check CHECK ((total_us >= 0)),
    CONSTRAINT request_record_ttft_us_check CHECK ((ttft_us >= 0)),
    CONSTRAINT request_record_upstream_us_check CHECK ((upstream_us >= 0)),
    CONSTRAINT request_record_web_search_requests_check CHECK ((web_search_requests >= 0))
);
CREATE TABLE keel_fixture.schema_migration (
    id text NOT NULL COLLATE pg_catalog."C",
    applied_at bigint NOT NULL
);
CREATE TABLE keel_fixture.setting (
    name text NOT NULL,
    value text NOT NULL
);
CREATE TABLE keel_fixture.team (
    id text NOT NULL COLLATE pg_catalog."C",
    org_id text NOT NULL COLLATE pg_catalog."C",
    name text NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);
CREATE TABLE keel_fixture.user_account (
    id text NOT NULL COLLATE pg_catalog."C",
    org_id text NOT NULL COLLATE pg_catalog."C",
    name text NOT NULL,
    email text,
    default_team_id text COLLATE pg_catalog."C",
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);
CREATE TABLE keel_fixture.virtual_key (
    id text NOT NULL COLLATE pg_catalog."C",
    hash text NOT NULL,
    prefix text NOT NULL,
    name text,
    team_id text,
    project_id text,
    user_id text,
    models jsonb DEFAULT '[]'::jsonb NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint,
    revoked_at bigint,
    org_id text,
    role text DEFAULT 'none'::text NOT NULL,
    tags jsonb DEFAULT '{}'::jsonb NOT NULL,
    CONSTRAINT virtual_key_models_check CHECK ((jsonb_typeof(models) = 'array'::text)),
    CONSTRAINT virtual_key_role_check CHECK ((role = ANY (ARRAY['admin'::text, 'team_admin'::text, 'viewer'::text, 'auditor'::text, 'none'::text]))),
    CONSTRAINT virtual_key_tags_check CHECK ((jsonb_typeof(tags) = 'object'::text))
);
INSERT INTO keel_fixture.agent_task VALUES ('task-1', 'planner', 'success', 1796548998224619, 'key_364355d92ffed501', 'search');
INSERT INTO keel_fixture.agent_task VALUES ('task-2', 'planner', 'success', 1796548998253012, 'key_364355d92ffed501', 'search');
INSERT INTO keel_fixture.agent_task VALUES ('task-3', 'planner', 'success', 1796548998278991, 'key_364355d92ffed501', 'search');
INSERT INTO keel_fixture.agent_task VALUES ('task-4', 'planner', 'failure', 1796548998289976, 'key_364355d92ffed501', 'search');
INSERT INTO keel_fixture.budget VALUES ('search-daily', 'Search daily', 'team', 'search', 'acme', 'search', 'daily', 'Europe/Berlin', NULL, NULL, 25000000000, 20000000000, 1796548998176771, 1796548998176771);
INSERT INTO keel_fixture.budget_ledger VALUES ('search-daily', 1796511600, 'keel-fec030150bee3e93', 345000, 345000, 1796548998532348);
INSERT INTO keel_fixture.cost_rollup VALUES (60, 1796548980, 'acme', 'search', 'ranking', 'ada', 'key_364355d92ffed501', 'keel-sim-chat', 'sim', 7, 1, 71, 137, 0, 0, 0, 345000, 0, 0, 0);
INSERT INTO keel_fixture.cost_rollup VALUES (3600, 1796547600, 'acme', 'search', 'ranking', 'ada', 'key_364355d92ffed501', 'keel-sim-chat', 'sim', 7, 1, 71, 137, 0, 0, 0, 345000, 0, 0, 0);
INSERT INTO keel_fixture.cost_rollup VALUES (86400, 1796515200, 'acme', 'search', 'ranking', 'ada', 'key_364355d92ffed501', 'keel-sim-chat', 'sim', 7, 1, 71, 137, 0, 0, 0, 345000, 0, 0, 0);
INSERT INTO keel_fixture.cost_rollup_tag VALUES (60, 1796548980, 'env', 'prod', 'acme', 'search', 'keel-sim-chat', 7, 1, 71, 137, 0, 0, 0, 345000, 0, 0, 0);
INSERT INTO keel_fixture.cost_rollup_tag VALUES (3600, 1796547600, 'env', 'prod', 'acme', 'search', 'keel-sim-chat', 7, 1, 71, 137, 0, 0, 0, 345000, 0, 0, 0);
INSERT INTO keel_fixture.cost_rollup_tag VALUES (86400, 1796515200, 'env', 'prod', 'acme', 'search', 'keel-sim-chat', 7, 1, 71, 137, 0, 0, 0, 345000, 0, 0, 0);
INSERT INTO keel_fixture.org VALUES ('acme', 'Acme', 1796548997845398, 1796548997845398);
INSERT INTO keel_fixture.project VALUES ('ranking', 'search', 'Ranking', 1796548997922532, 1796548997922532);
INSERT INTO keel_fixture.rate_limit_rule VALUES ('search-rpm', NULL, 'search', NULL, 600, NULL, 8, 60, 1796548998200276);
INSERT INTO keel_fixture.rate_limit_window VALUES ('search-rpm', 1796548980, 60, 0, 60, 0);
INSERT INTO keel_fixture.request_record VALUES ('req_661f3a8dc5aeb62759a8a44', 1796548998224619, 'chat.completions', 'key_364355d92ffed501', 'search', 'ranking', 'ada', 'keel-sim-chat', 'keel-sim-chat', 'sim', 'keel-sim-chat', false, 200, 'success', NULL, 1, NULL, 16954, 16975, 12, 16, 0, 0, 0, 0, 44000, NULL, 0, 'acme', '{"env": "prod"}', false, 0, 0, NULL, 'planner', 'task-1', 'success', false);
INSERT INTO keel_fixture.request_record VALUES ('req_661f3a8dcc9d462759a8a45', 1796548998253012, 'chat.completions', 'key_364355d92ffed501', 'search', 'ranking', 'ada', 'keel-sim-chat', 'keel-sim-chat', 'sim', 'keel-sim-chat', false, 200, 'success', NULL, 1, NULL, 3381, 3409, 12, 21, 0, 0, 0, 0, 54000, NULL, 0, 'acme', '{"env": "prod"}', false, 0, 0, NULL, 'planner', 'task-2', 'success', false);
INSERT INTO keel_fixture.request_record VALUES ('req_661f3a8dd2f4f62759a8a46', 1796548998278991, 'chat.completions', 'key_364355d92ffed501', 'search', 'ranking', 'ada', 'keel-sim-chat', 'keel-sim-chat', 'sim', 'keel-sim-chat', false, 200, 'success', NULL, 1, NULL, 3153, 3182, 12, 12, 0, 0, 0, 0, 36000, NULL, 0, 'acme', '{"env": "prod"}', false, 0, 0, NULL, 'planner', 'task-3', 'success', false);
INSERT INTO keel_fixture.request_record VALUES ('req_661f3a8dd5a3862759a8a47', 1796548998289976, 'chat.completions', 'key_364355d92ffed501', 'search', 'ranking', 'ada', 'keel-sim-chat', 'keel-sim-chat', 'sim', 'keel-sim-chat', false, 200, 'success', NULL, 1, NULL, 3223, 3252, 12, 33, 0, 0, 0, 0, 78000, NULL, 0, 'acme', '{"env": "prod"}', false, 0, 0, NULL, 'planner', 'task-4', 'failure', false);
INSERT INTO keel_fixture.request_record VALUES ('req_661f3a8ddc42462759a8a48', 1796548998317092, 'chat.completions', 'key_364355d92ffed501', 'search', 'ranking', 'ada', 'keel-sim-chat', 'keel-sim-chat', 'sim', 'keel-sim-chat', false, 200, 'success', NULL, 1, NULL, 2130, 2158, 12, 39, 0, 0, 0, 0, 90000, NULL, 0, 'acme', '{"env": "prod"}', false, 0, 0, NULL, 'planner', 'task-5', NULL, false);
INSERT INTO keel_fixture.request_record VALUES ('req_661f3a8ddf2d462759a8a49', 1796548998329044, 'chat.completions', 'key_364355d92ffed501', 'search', 'ranking', 'ada', 'keel-sim-chat', 'keel-sim-chat', 'sim', 'keel-sim-chat', true, 200, 'success', NULL, 1, 3017, 3074, 4933, 11, 16, 0, 0, 0, 0, 43000, NULL, 0, 'acme', '{"env": "prod"}', false, 0, 0, NULL, NULL, NULL, NULL, false);
INSERT INTO keel_fixture.request_record VALUES ('req_661f3a8de68c562759a8a4a', 1796548998359237, 'chat.completions', 'key_364355d92ffed501', 'search', 'ranking', 'ada', 'keel-sim-chat', 'keel-sim-chat', 'sim', 'keel-sim-chat', false, 502, 'error', 'upstream_unavailable', 3, NULL, NULL, 166388, 0, 0, 0, 0, 0, 0, 0, '[{"provider": "sim", "deployment": "keel-sim-chat", "duration_us": 1574, "error_class": "upstream_unavailable", "upstream_status": 503}, {"provider": "sim", "deployment": "keel-sim-chat", "duration_us": 2011, "error_class": "upstream_unavailable", "upstream_status": 503}, {"provider": "sim", "deployment": "keel-sim-chat", "duration_us": 1966, "error_class": "upstream_unavailable", "upstream_status": 503}]', 0, 'acme', '{"env": "prod"}', false, 0, 0, NULL, NULL, NULL, NULL, false);
INSERT INTO keel_fixture.schema_migration VALUES ('0001_request_record', 1796548997483164);
INSERT INTO keel_fixture.schema_migration VALUES ('0002_virtual_key', 1796548997497541);
INSERT INTO keel_fixture.schema_migration VALUES ('0003_setting', 1796548997502413);
INSERT INTO keel_fixture.schema_migration VALUES ('0004_request_record_attempt_log', 1796548997511031);
INSERT INTO keel_fixture.schema_migration VALUES ('0005_request_record_web_search_requests', 1796548997514238);
INSERT INTO keel_fixture.schema_migration VALUES ('0006_tenancy', 1796548997517769);
INSERT INTO keel_fixture.schema_migration VALUES ('0007_request_record_attribution', 1796548997542189);
INSERT INTO keel_fixture.schema_migration VALUES ('0008_cost_rollup', 1796548997550191);
INSERT INTO keel_fixture.schema_migration VALUES ('0009_budget', 1796548997570769);
INSERT INTO keel_fixture.schema_migration VALUES ('0010_response_cache', 1796548997577781);
INSERT INTO keel_fixture.schema_migration VALUES ('0011_rate_limit', 1796548997590041);
INSERT INTO keel_fixture.schema_migration VALUES ('0012_stream_resume', 1796548997603350);
INSERT INTO keel_fixture.schema_migration VALUES ('0013_request_record_prompt_traits', 1796548997611494);
INSERT INTO keel_fixture.schema_migration VALUES ('0014_request_record_agent_task', 1796548997615631);
INSERT INTO keel_fixture.schema_migration VALUES ('0015_request_record_usage_estimated', 1796548997630042);
INSERT INTO keel_fixture.team VALUES ('search', 'acme', 'Search', 1796548997882324, 1796548997882324);
INSERT INTO keel_fixture.team VALUES ('ads', 'acme', 'Ads', 1796548997905800, 1796548997905800);
INSERT INTO keel_fixture.user_account VALUES ('ada', 'acme', 'Ada', 'ada@example.com', 'search', 1796548997944077, 1796548997944077);
INSERT INTO keel_fixture.virtual_key VALUES ('key_364355d92ffed501', '364355d92ffed5012db77cbfdcdb43a32b49d4cad458c4c6814f9c7ae8447508', 'sk-keel-3KYI', 'ranker', 'search', 'ranking', 'ada', '[]', 1796548997985992, NULL, NULL, 'acme', 'none', '{"env": "prod"}');
INSERT INTO keel_fixture.virtual_key VALUES ('key_8f17fb8cf17cd044', '8f17fb8cf17cd044f7671838a682c52e061a34aacfacf09a6189f9e6d1347a21', 'sk-keel-3ZxH', 'viewer', NULL, NULL, NULL, '[]', 1796548998166982, NULL, NULL, 'acme', 'viewer', '{}');
ALTER TABLE ONLY keel_fixture.agent_task
    ADD CONSTRAINT agent_task_pkey PRIMARY KEY (task_id);
ALTER TABLE ONLY keel_fixture.budget_ledger
    ADD CONSTRAINT budget_ledger_pkey PRIMARY KEY (budget_id, period_start, instance_id);
ALTER TABLE ONLY keel_fixture.budget
    ADD CONSTRAINT budget_pkey PRIMARY KEY (id);
ALTER TABLE ONLY keel_fixture.cost_rollup
    ADD CONSTRAINT cost_rollup_pkey PRIMARY KEY (granularity, bucket_start, org_id, team_id, project_id, user_id, key_id, model, provider);
ALTER TABLE ONLY keel_fixture.cost_rollup_tag
    ADD CONSTRAINT cost_rollup_tag_pkey PRIMARY KEY (granularity, bucket_start, tag_key, tag_value, org_id, team_id, model);
ALTER TABLE ONLY keel_fixture.org
    ADD CONSTRAINT org_name_key UNIQUE (name);
ALTER TABLE ONLY keel_fixture.org
    ADD CONSTRAINT org_pkey PRIMARY KEY (id);
ALTER TABLE ONLY keel_fixture.project
    ADD CONSTRAINT project_pkey PRIMARY KEY (id);
ALTER TABLE ONLY keel_fixture.project
    ADD CONSTRAINT project_team_id_name_key UNIQUE (team_id, name);
ALTER TABLE ONLY keel_fixture.rate_limit_lease
    ADD CONSTRAINT rate_limit_lease_pkey PRIMARY KEY (rule_id, instance_id);
ALTER TABLE ONLY keel_fixture.rate_limit_rule
    ADD CONSTRAINT rate_limit_rule_pkey PRIMARY KEY (id);
ALTER TABLE ONLY keel_fixture.rate_limit_window
    ADD CONSTRAINT rate_limit_window_pkey PRIMARY KEY (rule_id, window_start);
ALTER TABLE ONLY keel_fixture.request_record
    ADD CONSTRAINT request_record_pkey PRIMARY KEY (id);
ALTER TABLE ONLY keel_fixture.schema_migration
    ADD CONSTRAINT schema_migration_pkey PRIMARY KEY (id);
ALTER TABLE ONLY keel_fixture.setting
    ADD CONSTRAINT setting_pkey PRIMARY KEY (name);
ALTER TABLE ONLY keel_fixture.team
    ADD CONSTRAINT team_id_org_id_key UNIQUE (id, org_id);
ALTER TABLE ONLY keel_fixture.team
    ADD CONSTRAINT team_org_id_name_key UNIQUE (org_id, name);
ALTER TABLE ONLY keel_fixture.team
    ADD CONSTRAINT team_pkey PRIMARY KEY (id);
ALTER TABLE ONLY keel_fixture.user_account
    ADD CONSTRAINT user_account_email_key UNIQUE (email);
ALTER TABLE ONLY keel_fixture.user_account
    ADD CONSTRAINT user_account_pkey PRIMARY KEY (id);
ALTER TABLE ONLY keel_fixture.virtual_key
    ADD CONSTRAINT virtual_key_hash_key UNIQUE (hash);
ALTER TABLE ONLY keel_fixture.virtual_key
    ADD CONSTRAINT virtual_key_pkey PRIMARY KEY (id);
CREATE INDEX request_record_key_started_at ON keel_fixture.request_record USING btree (key_id, started_at, id) WHERE (key_id IS NOT NULL);
CREATE INDEX request_record_model_started_at ON keel_fixture.request_record USING btree (COALESCE(NULLIF(model, ''::text), requested_model), started_at, id);
CREATE INDEX request_record_org_started_at ON keel_fixture.request_record USING btree (org_id, started_at, id) WHERE (org_id IS NOT NULL);
CREATE INDEX request_record_started_at ON keel_fixture.request_record USING btree (started_at, id);
CREATE INDEX request_record_task_started_at ON keel_fixture.request_record USING btree (task_id, started_at, id) WHERE (task_id IS NOT NULL);
CREATE INDEX request_record_team_started_at ON keel_fixture.request_record USING btree (team_id, started_at, id) WHERE (team_id IS NOT NULL);
CREATE INDEX user_account_default_team ON keel_fixture.user_account USING btree (default_team_id, id) WHERE (default_team_id IS NOT NULL);
CREATE INDEX user_account_org ON keel_fixture.user_account USING btree (org_id, id);
CREATE INDEX virtual_key_team ON keel_fixture.virtual_key USING btree (team_id) WHERE (team_id IS NOT NULL);
ALTER TABLE ONLY keel_fixture.budget_ledger
    ADD CONSTRAINT budget_ledger_budget_id_fkey FOREIGN KEY (budget_id) REFERENCES keel_fixture.budget(id) ON DELETE CASCADE;
ALTER TABLE ONLY keel_fixture.project
    ADD CONSTRAINT project_team_id_fkey FOREIGN KEY (team_id) REFERENCES keel_fixture.team(id) ON DELETE RESTRICT;
ALTER TABLE ONLY keel_fixture.team
    ADD CONSTRAINT team_org_id_fkey FOREIGN KEY (org_id) REFERENCES keel_fixture.org(id) ON DELETE RESTRICT;
ALTER TABLE ONLY keel_fixture.user_account
    ADD CONSTRAINT user_account_default_team_id_org_id_fkey FOREIGN KEY (default_team_id, org_id) REFERENCES keel_fixture.team(id, org_id) ON DELETE RESTRICT;
ALTER TABLE ONLY keel_fixture.user_account
    ADD CONSTRAINT user_account_org_id_fkey FOREIGN KEY (org_id) REFERENCES keel_fixture.org(id) ON DELETE RESTRICT;
