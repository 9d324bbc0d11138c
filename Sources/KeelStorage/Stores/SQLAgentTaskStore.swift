import KeelCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Agent tasks in the `task` table, on either backend; the totals read the request log.
///
/// `end` is one `INSERT … ON CONFLICT DO UPDATE … WHERE` the task has not ended: of racing
/// callers, on any instance, exactly one changes the row. A claim runs in a transaction under the
/// `task_claim` lock, so a task is handed to one worker.
struct SQLAgentTaskStore: AgentTaskStore {
    let database: any SQLDatabase

    private static let terminal: SQLStatement = "('succeeded', 'failed', 'cancelled', 'timed_out')"
    private static let columns: SQLStatement = """
        id, agent_id, pool, agent_version, org_id, team_id, key_id, state, outcome, reason, priority, input, \
        metadata\(sqlite: "", postgres: "::text") AS metadata, budget\(sqlite: "", postgres: "::text") AS budget, \
        attempts, max_attempts, worker, lease_until, parent_id, depth, created_at, started_at, ended_at, \
        last_activity_at, updated_at
        """

    func end(_ task: AgentTaskEnd) async throws -> Bool {
        let state: AgentTask.State = task.outcome == .success ? .succeeded : .failed
        return try await self.database.run(
            """
            INSERT INTO task (id, agent_id, agent_version, team_id, key_id, state, outcome, created_at, started_at, ended_at, updated_at)
            VALUES (\(task.taskID), \(task.agentID), \(task.agentVersion), \(task.teamID), \(task.keyID), \(state.rawValue), \
            \(task.outcome), \(task.endedAt), \(task.endedAt), \(task.endedAt), \(task.endedAt))
            ON CONFLICT (id) DO UPDATE SET state = excluded.state, outcome = excluded.outcome, ended_at = excluded.ended_at,
            updated_at = excluded.updated_at, agent_id = coalesce(task.agent_id, excluded.agent_id),
            agent_version = coalesce(task.agent_version, excluded.agent_version), worker = NULL, lease_until = NULL
            WHERE task.state NOT IN \(Self.terminal)
            """
        ) == 1
    }

    func task(_ taskID: String) async throws -> AgentTaskEnd? {
        try await self.database.row(
            "SELECT id, agent_id, outcome, ended_at, key_id, team_id FROM task WHERE id = \(taskID) AND outcome IS NOT NULL"
        ) { row in
            AgentTaskEnd(
                taskID: try row.decode("id"),
                agentID: try row.decode("agent_id"),
                outcome: try row.decode("outcome"),
                endedAt: try row.decode("ended_at"),
                keyID: try row.decode("key_id"),
                teamID: try row.decode("team_id")
            )
        }
    }

    func totals(ofTask taskID: String, within: RequestRecordQuery.Scope?) async throws -> AgentTaskTotals {
        try await SQLRequestRecordStore.totals(ofTask: taskID, within: within, in: self.database)
    }

    func insert(_ task: AgentTaskRow) async throws {
        try await self.database.run(Self.insertStatement(task))
    }

    func insertIfAbsent(_ task: AgentTaskRow) async throws -> Bool {
        try await self.database.run(Self.insertStatement(task) + " ON CONFLICT (id) DO NOTHING") == 1
    }

    func row(_ taskID: String) async throws -> AgentTaskRow? {
        try await self.database.row("SELECT \(Self.columns) FROM task WHERE id = \(taskID)", Self.task(from:))
    }

    func rows(matching query: AgentTaskQuery) async throws -> [AgentTaskRow] {
        var conditions: [SQLStatement] = ["TRUE"]
        if let agent = query.agentID { conditions.append("agent_id = \(agent)") }
        if let state = query.state { conditions.append("state = \(state.rawValue)") }
        if let teams = query.teamIDs {
            conditions.append(teams.isEmpty ? "FALSE" : "team_id IN (\(list: teams.map(\.rawValue)))")
        }
        if let before = query.createdBefore { conditions.append("created_at < \(before)") }
        return try await self.database.rows(
            """
            SELECT \(Self.columns) FROM task WHERE \(SQLStatement.joined(conditions, separator: " AND "))
            ORDER BY created_at DESC, id DESC LIMIT \(query.limit)
            """,
            Self.task(from:)
        )
    }

    func claim(
        agentIDs: [String],
        pool: String?,
        worker: String,
        agentVersion: String?,
        now: Int64,
        leaseUntil: Int64
    )
        async throws -> AgentTaskRow?
    {
        var owners: [SQLStatement] = []
        if !agentIDs.isEmpty { owners.append("agent_id IN (\(list: agentIDs))") }
        if let pool { owners.append("pool = \(pool)") }
        guard !owners.isEmpty else { return nil }
        return try await self.database.transaction { tx in
            try await tx.lock("task_claim")
            let next = try await tx.row(
                """
                SELECT id FROM task WHERE state = 'queued' AND (\(SQLStatement.joined(owners, separator: " OR ")))
                ORDER BY priority DESC, created_at, id LIMIT 1
                """
            ) { row in try row.decode("id") as String }
            guard let next else { return nil }
            try await tx.run(
                """
                UPDATE task SET state = 'running', worker = \(worker), lease_until = \(leaseUntil), attempts = attempts + 1,
                started_at = coalesce(started_at, \(now)), last_activity_at = \(now), updated_at = \(now),
                agent_version = coalesce(agent_version, \(agentVersion)), reason = NULL
                WHERE id = \(next)
                """
            )
            return try await tx.row("SELECT \(Self.columns) FROM task WHERE id = \(next)", Self.task(from:))
        }
    }

    func touch(_ activity: [String: Int64], lease: Int64) async throws {
        guard !activity.isEmpty else { return }
        try await self.database.transaction { tx in
            for (id, at) in activity.sorted(by: { $0.key < $1.key }) {
                try await tx.run(
                    """
                    UPDATE task SET last_activity_at = \(at), updated_at = \(at),
                    lease_until = CASE WHEN worker IS NULL THEN lease_until
                        WHEN lease_until IS NOT NULL AND last_activity_at IS NOT NULL THEN \(at) + (lease_until - last_activity_at)
                        ELSE \(at + lease) END
                    WHERE id = \(id) AND state = 'running' AND (last_activity_at IS NULL OR last_activity_at < \(at))
                    """
                )
            }
        }
    }

    func transition(
        _ taskID: String,
        from: [AgentTask.State],
        to: AgentTask.State,
        reason: String?,
        now: Int64
    ) async throws
        -> Bool
    {
        let ending: SQLStatement =
            to.isTerminal
            ? ", ended_at = \(now), worker = NULL, lease_until = NULL"
            : to == .awaitingApproval ? ", escalations = escalations + 1" : ""
        return try await self.database.run(
            """
            UPDATE task SET state = \(to.rawValue), reason = \(reason), updated_at = \(now)\(ending)
            WHERE id = \(taskID) AND state IN (\(list: from.map(\.rawValue)))
            """
        ) > 0
    }

    func change(_ taskID: String, budget: TaskBudget?, priority: Int?, now: Int64) async throws -> Bool {
        var sets: [SQLStatement] = ["updated_at = \(now)"]
        if let budget { sets.append("budget = \(json: try Self.json(budget))") }
        if let priority { sets.append("priority = \(priority)") }
        return try await self.database.run(
            "UPDATE task SET \(SQLStatement.joined(sets, separator: ", ")) WHERE id = \(taskID)"
        ) > 0
    }

    func expireLeases(now: Int64) async throws -> [AgentTaskRow] {
        // Every instance asks every interval; most times no lease has run out, and then no
        // write transaction (SQLite's one writer, PostgreSQL's advisory lock) is taken.
        let due = try await self.database.row(
            "SELECT id FROM task WHERE state = 'running' AND lease_until IS NOT NULL AND lease_until < \(now) LIMIT 1"
        )
        guard due != nil else { return [] }
        return try await self.database.transaction { tx in
            try await tx.lock("task_claim")
            let expired = try await tx.rows(
                "SELECT \(Self.columns) FROM task WHERE state = 'running' AND lease_until IS NOT NULL AND lease_until < \(now)",
                Self.task(from:)
            )
            var changed: [AgentTaskRow] = []
            for var task in expired {
                if task.attempts < task.maxAttempts {
                    task.state = .queued
                    task.reason = "lease of worker '\(task.worker ?? "")' expired"
                } else {
                    task.state = .timedOut
                    task.reason = "lease expired after \(task.attempts) attempt\(task.attempts == 1 ? "" : "s")"
                    task.endedAt = now
                }
                task.worker = nil
                task.leaseUntil = nil
                task.updatedAt = now
                try await tx.run(
                    """
                    UPDATE task SET state = \(task.state.rawValue), reason = \(task.reason), worker = NULL, lease_until = NULL,
                    ended_at = \(task.endedAt), updated_at = \(now) WHERE id = \(task.id) AND state = 'running'
                    """
                )
                changed.append(task)
            }
            return changed
        }
    }

    func activeRows(endedSince: Int64) async throws -> [AgentTaskRow] {
        try await self.database.rows(
            """
            SELECT \(Self.columns) FROM task WHERE state IN ('running', 'awaiting_approval')
            OR (state IN ('cancelled', 'timed_out', 'failed') AND ended_at >= \(endedSince)) ORDER BY id
            """,
            Self.task(from:)
        )
    }

    func outcomeStats(agentID: String?, from: Int64, to: Int64) async throws -> [AgentTaskOutcomeStats] {
        // The same tasks for both queries: `t` is the task table.
        let agent: SQLStatement = agentID.map { "t.agent_id = \($0)" } ?? "t.agent_id IS NOT NULL"
        let ended: SQLStatement = """
            \(agent) AND t.ended_at >= \(from) AND t.ended_at < \(to) AND t.state IN ('succeeded', 'failed', 'timed_out')
            """
        var stats = try await self.database.rows(
            """
            SELECT t.agent_id, t.agent_version, t.state, COUNT(*) AS tasks,
            CAST(COALESCE(SUM(CASE WHEN t.escalations > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS escalated,
            CAST(COALESCE(SUM(t.ended_at - COALESCE(t.started_at, t.created_at)), 0) AS BIGINT) AS micros
            FROM task t WHERE \(ended) GROUP BY t.agent_id, t.agent_version, t.state ORDER BY t.agent_id, t.agent_version, t.state
            """
        ) { row in
            AgentTaskOutcomeStats(
                agentID: try row.decode("agent_id"),
                version: try row.decode("agent_version"),
                state: AgentTask.State(rawValue: try row.decode("state")) ?? .failed,
                tasks: try row.decode("tasks"),
                escalated: try row.decode("escalated"),
                micros: try row.decode("micros")
            )
        }
        let steps = try await self.database.rows(
            """
            SELECT t.agent_id, t.agent_version, t.state, COUNT(*) AS steps, CAST(COALESCE(SUM(r.cost_nanos), 0) AS BIGINT) AS cost_nanos
            FROM task t JOIN request_record r ON r.task_id = t.id WHERE \(ended)
            GROUP BY t.agent_id, t.agent_version, t.state
            """
        ) { row in
            (
                try row.decode("agent_id") as String, try row.decode("agent_version") as String?,
                try row.decode("state") as String, try row.decode("steps") as Int, try row.decode("cost_nanos") as Int64
            )
        }
        for (agent, version, state, count, cost) in steps {
            if let index = stats.firstIndex(where: {
                $0.agentID == agent && $0.version == version && $0.state.rawValue == state
            }) {
                stats[index].steps = count
                stats[index].costNanos = cost
            }
        }
        return stats
    }

    func usage(ofTasks taskIDs: [String]) async throws -> [String: TaskBudget.Usage] {
        var usage: [String: TaskBudget.Usage] = [:]
        var start = 0
        while start < taskIDs.count {
            let chunk = taskIDs[start..<min(start + 500, taskIDs.count)]
            start += 500
            let rows = try await self.database.rows(
                """
                SELECT task_id, CAST(SUM(CASE WHEN tool_name IS NULL THEN 1 ELSE 0 END) AS BIGINT) AS steps,
                CAST(SUM(CASE WHEN tool_name IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS tool_calls,
                CAST(COALESCE(SUM(input_tokens + output_tokens), 0) AS BIGINT) AS tokens,
                CAST(COALESCE(SUM(cost_nanos), 0) AS BIGINT) AS cost_nanos
                FROM request_record WHERE task_id IN (\(list: Array(chunk))) GROUP BY task_id
                """
            ) { row in
                (
                    try row.decode("task_id") as String,
                    TaskBudget.Usage(
                        steps: try row.decode("steps"),
                        tokens: try row.decode("tokens"),
                        costNanos: try row.decode("cost_nanos"),
                        toolCalls: try row.decode("tool_calls")
                    )
                )
            }
            for (id, value) in rows { usage[id] = value }
        }
        return usage
    }

    private static func insertStatement(_ task: AgentTaskRow) throws -> SQLStatement {
        """
        INSERT INTO task (id, agent_id, pool, agent_version, org_id, team_id, key_id, state, outcome, reason, priority, input,
        metadata, budget, attempts, max_attempts, worker, lease_until, parent_id, depth, created_at, started_at, ended_at,
        last_activity_at, updated_at)
        VALUES (\(task.id), \(task.agentID), \(task.pool), \(task.agentVersion), \(task.orgID), \(task.teamID), \(task.keyID), \
        \(task.state.rawValue), \(task.outcome), \(task.reason), \(task.priority), \(task.input), \(json: task.metadata), \
        \(json: try Self.json(task.budget)), \(task.attempts), \(task.maxAttempts), \(task.worker), \(task.leaseUntil), \
        \(task.parentID), \(task.depth), \(task.createdAt), \(task.startedAt), \(task.endedAt), \(task.lastActivityAt), \
        \(task.updatedAt))
        """
    }

    private static func json(_ budget: TaskBudget) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(budget), as: UTF8.self)
    }

    private static func task(from row: SQLRow) throws -> AgentTaskRow {
        let budget: String = try row.decode("budget")
        let state: String = try row.decode("state")
        return AgentTaskRow(
            id: try row.decode("id"),
            agentID: try row.decode("agent_id"),
            pool: try row.decode("pool"),
            agentVersion: try row.decode("agent_version"),
            orgID: try row.decode("org_id"),
            teamID: try row.decode("team_id"),
            keyID: try row.decode("key_id"),
            state: AgentTask.State(rawValue: state) ?? .failed,
            outcome: try row.decode("outcome"),
            reason: try row.decode("reason"),
            priority: try row.decode("priority"),
            input: try row.decode("input"),
            metadata: try row.decode("metadata"),
            budget: try JSONDecoder().decode(TaskBudget.self, from: Data(budget.utf8)),
            attempts: try row.decode("attempts"),
            maxAttempts: try row.decode("max_attempts"),
            worker: try row.decode("worker"),
            leaseUntil: try row.decode("lease_until"),
            parentID: try row.decode("parent_id"),
            depth: try row.decode("depth"),
            createdAt: try row.decode("created_at"),
            startedAt: try row.decode("started_at"),
            endedAt: try row.decode("ended_at"),
            lastActivityAt: try row.decode("last_activity_at"),
            updatedAt: try row.decode("updated_at")
        )
    }
}

extension AgentTask.Outcome: SQLBindable, SQLDecodable {}
