extension KeelSchema {
    /// The migrations of the operations domains, oldest first, after the core's: agents and
    /// their tasks, tool pins, escalations (0021–0026), incidents and playbooks (0027).
    static let operationsMigrations: [SQLMigration] = [
        SQLMigration(
            id: "0021_agent",
            statement: """
                -- The agent registry: definition is the agent as a JSON object (its settings);
                -- the columns beside it are what queries and other tables need. Times are Unix µs.
                CREATE TABLE agent (
                    id         TEXT\(Self.byteOrder) PRIMARY KEY NOT NULL,
                    org_id     TEXT,
                    team_id    TEXT,
                    version    TEXT NOT NULL,
                    state      TEXT NOT NULL CHECK (state IN ('active', 'suspended')),
                    definition \(Self.json("definition", .object, default: "{}")),
                    created_at \(Self.integer) NOT NULL,
                    updated_at \(Self.integer) NOT NULL
                )\(Self.strict);
                CREATE INDEX agent_team ON agent (team_id);

                -- Each version an agent was registered under, from when (kept after the agent is
                -- deleted, for its tasks' history).
                CREATE TABLE agent_version (
                    agent_id TEXT\(Self.byteOrder) NOT NULL,
                    version  TEXT\(Self.byteOrder) NOT NULL,
                    since    \(Self.integer) NOT NULL,
                    PRIMARY KEY (agent_id, version, since)
                )\(Self.strictWithoutRowID);

                -- Suspensions of many agents at once: scope '*' (every agent) or 'team:<id>'.
                CREATE TABLE agent_hold (
                    scope      TEXT\(Self.byteOrder) PRIMARY KEY NOT NULL,
                    team_id    TEXT,
                    reason     TEXT,
                    created_at \(Self.integer) NOT NULL
                )\(Self.strict);

                -- The agent a key is bound to: its requests are that agent's.
                ALTER TABLE virtual_key ADD COLUMN agent_id TEXT;
                """
        ),
        SQLMigration(
            id: "0022_task",
            statement: """
                -- Agent tasks through their whole life (replacing agent_task, which held only
                -- their ends): queued by POST /v1/tasks and claimed by a worker under a lease, or
                -- started by the first request carrying a new x-keel-task; ended once. Its steps
                -- are its request records (request_record.task_id). input is JSON text; budget
                -- holds its limits; times are Unix µs.
                CREATE TABLE task (
                    id               TEXT\(Self.byteOrder) PRIMARY KEY NOT NULL,
                    agent_id         TEXT,
                    pool             TEXT,
                    agent_version    TEXT,
                    org_id           TEXT,
                    team_id          TEXT,
                    key_id           TEXT,
                    state            TEXT NOT NULL CHECK (state IN ('queued', 'running', 'awaiting_approval', 'succeeded', 'failed', 'cancelled', 'timed_out')),
                    outcome          TEXT CHECK (outcome IN ('success', 'failure')),
                    reason           TEXT,
                    priority         \(Self.integer) NOT NULL DEFAULT 0,
                    input            TEXT,
                    metadata         \(Self.json("metadata", .object, default: "{}")),
                    budget           \(Self.json("budget", .object, default: "{}")),
                    attempts         \(Self.integer) NOT NULL DEFAULT 0,
                    max_attempts     \(Self.integer) NOT NULL DEFAULT 1,
                    worker           TEXT,
                    lease_until      \(Self.integer),
                    parent_id        TEXT,
                    depth            \(Self.integer) NOT NULL DEFAULT 0,
                    created_at       \(Self.integer) NOT NULL,
                    started_at       \(Self.integer),
                    ended_at         \(Self.integer),
                    last_activity_at \(Self.integer),
                    updated_at       \(Self.integer) NOT NULL
                )\(Self.strict);
                CREATE INDEX task_queue ON task (state, priority, created_at);
                CREATE INDEX task_agent ON task (agent_id, created_at);
                INSERT INTO task (id, agent_id, team_id, key_id, state, outcome, created_at, ended_at, updated_at)
                SELECT task_id, agent_id, team_id, key_id,
                    CASE outcome WHEN 'success' THEN 'succeeded' ELSE 'failed' END, outcome, ended_at, ended_at, ended_at
                FROM agent_task;
                DROP TABLE agent_task;
                """
        ),
        SQLMigration(
            id: "0023_task_escalations",
            statement: """
                -- How many times a task waited for a human (paused on its budget, a call held for
                -- approval): the agents' statistics count the tasks that needed one.
                ALTER TABLE task ADD COLUMN escalations \(Self.integer) NOT NULL DEFAULT 0;
                """
        ),
        SQLMigration(
            id: "0024_request_record_tool",
            statement: """
                -- The tool a request called through the MCP gateway (`gen_ai.tool.name`).
                ALTER TABLE request_record ADD COLUMN tool_name TEXT;
                """
        ),
        SQLMigration(
            id: "0025_agent_tool_pin",
            statement: """
                -- Each MCP tool's definition as its agent first saw it, and a changed one awaiting
                -- approval (tool-definition pinning).
                CREATE TABLE agent_tool_pin (
                    agent_id           TEXT NOT NULL,
                    server             TEXT NOT NULL,
                    tool               TEXT NOT NULL,
                    sha256             TEXT NOT NULL,
                    definition         TEXT NOT NULL,
                    pending_sha256     TEXT,
                    pending_definition TEXT,
                    first_seen_at      \(Self.integer) NOT NULL,
                    changed_at         \(Self.integer) NOT NULL,
                    PRIMARY KEY (agent_id, server, tool)
                )\(Self.strict);
                """
        ),
        SQLMigration(
            id: "0026_escalation",
            statement: """
                -- Questions for humans: tool calls held for approval, and agents' own questions.
                CREATE TABLE escalation (
                    id               TEXT PRIMARY KEY NOT NULL,
                    kind             TEXT NOT NULL CHECK (kind IN ('tool_call', 'question', 'budget')),
                    state            TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'expired')),
                    agent_id         TEXT NOT NULL,
                    org_id           TEXT,
                    team_id          TEXT,
                    task_id          TEXT,
                    server           TEXT,
                    tool             TEXT,
                    arguments_sha256 TEXT,
                    arguments        TEXT,
                    question         TEXT,
                    quorum           \(Self.integer) NOT NULL DEFAULT 1,
                    votes            \(Self.json("votes", .array, default: "[]")),
                    created_at       \(Self.integer) NOT NULL,
                    expires_at       \(Self.integer) NOT NULL,
                    decided_at       \(Self.integer),
                    consumed_at      \(Self.integer)
                )\(Self.strict);
                CREATE INDEX escalation_state ON escalation (state, created_at);
                CREATE INDEX escalation_call ON escalation (agent_id, tool, arguments_sha256) WHERE kind = 'tool_call';
                """
        ),
        SQLMigration(
            id: "0027_incident",
            statement: """
                -- Incidents: detections grouped by category and scope, their timelines, the
                -- detections themselves and the requests they link (pinned against retention
                -- until the incident is closed).
                CREATE TABLE incident (
                    id               TEXT PRIMARY KEY NOT NULL,
                    category         TEXT NOT NULL CHECK (category IN ('prompt_injection', 'model_degradation', \
                'data_exposure', 'cost_spike', 'provider_outage', 'agent_misbehaviour', 'supply_chain')),
                    severity         TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
                    state            TEXT NOT NULL CHECK (state IN ('detected', 'acknowledged', 'contained', 'resolved', 'closed')),
                    grouping_key     TEXT NOT NULL,
                    org_id           TEXT,
                    team_id          TEXT,
                    key_id           TEXT,
                    agent_id         TEXT,
                    model            TEXT,
                    provider         TEXT,
                    title            TEXT NOT NULL,
                    owner            TEXT,
                    detections       \(Self.integer) NOT NULL DEFAULT 1,
                    escalation_level \(Self.integer) NOT NULL DEFAULT 0,
                    clocks           \(Self.json("clocks", .array, default: "[]")),
                    evidence         \(Self.json("evidence", .object)),
                    review           \(Self.json("review", .object)),
                    opened_at        \(Self.integer) NOT NULL,
                    acknowledged_at  \(Self.integer),
                    contained_at     \(Self.integer),
                    resolved_at      \(Self.integer),
                    closed_at        \(Self.integer),
                    updated_at       \(Self.integer) NOT NULL
                )\(Self.strict);
                -- One open incident per category and scope, on every instance sharing the database.
                CREATE UNIQUE INDEX incident_open ON incident (category, grouping_key)
                    WHERE state IN ('detected', 'acknowledged', 'contained');
                CREATE INDEX incident_opened ON incident (opened_at);
                CREATE TABLE incident_event (
                    incident_id TEXT NOT NULL,
                    sequence    \(Self.integer) NOT NULL,
                    at          \(Self.integer) NOT NULL,
                    actor       TEXT NOT NULL,
                    kind        TEXT NOT NULL,
                    text        TEXT NOT NULL,
                    data        \(Self.json("data", .object)),
                    PRIMARY KEY (incident_id, sequence)
                )\(Self.strict);
                CREATE TABLE incident_detection (
                    incident_id TEXT NOT NULL,
                    sequence    \(Self.integer) NOT NULL,
                    at          \(Self.integer) NOT NULL,
                    detector    TEXT NOT NULL,
                    severity    TEXT NOT NULL,
                    summary     TEXT NOT NULL,
                    scope       \(Self.json("scope", .object, default: "{}")),
                    request_ids \(Self.json("request_ids", .array, default: "[]")),
                    measured    \(Self.json("measured", .object, default: "{}")),
                    PRIMARY KEY (incident_id, sequence)
                )\(Self.strict);
                CREATE TABLE incident_record (
                    incident_id TEXT NOT NULL,
                    request_id  TEXT NOT NULL,
                    linked_at   \(Self.integer) NOT NULL,
                    PRIMARY KEY (incident_id, request_id)
                )\(Self.strict);
                CREATE INDEX incident_record_request ON incident_record (request_id);
                -- Playbooks made through the admin API (the configuration's and the defaults are
                -- not stored), and each incident's playbook steps as they run.
                CREATE TABLE playbook (
                    id         TEXT PRIMARY KEY NOT NULL,
                    definition \(Self.json("definition", .object, default: "{}")),
                    updated_at \(Self.integer) NOT NULL
                )\(Self.strict);
                CREATE TABLE incident_action (
                    incident_id TEXT NOT NULL,
                    playbook_id TEXT NOT NULL,
                    step        \(Self.integer) NOT NULL,
                    definition  \(Self.json("definition", .object, default: "{}")),
                    state       TEXT NOT NULL CHECK (state IN ('pending', 'awaiting_approval', 'waiting', 'running', \
                'done', 'failed', 'skipped', 'undone', 'dry_run')),
                    result      TEXT,
                    undo        \(Self.json("undo", .object)),
                    due_at      \(Self.integer),
                    updated_at  \(Self.integer) NOT NULL,
                    PRIMARY KEY (incident_id, playbook_id, step)
                )\(Self.strict);
                CREATE INDEX incident_action_due ON incident_action (state, due_at);
                -- Routing changed while an incident lasts: providers benched, models pinned.
                CREATE TABLE route_override (
                    id         TEXT PRIMARY KEY NOT NULL,
                    kind       TEXT NOT NULL CHECK (kind IN ('bench', 'pin')),
                    provider   TEXT,
                    model      TEXT,
                    deployment TEXT,
                    reason     TEXT NOT NULL,
                    created_at \(Self.integer) NOT NULL
                )\(Self.strict);
                -- Keys suspended (by a playbook or an admin) until resumed.
                ALTER TABLE virtual_key ADD COLUMN suspended_at \(Self.integer);
                """
        ),
    ]
}
