import KeelCore

/// Agent task outcomes in the `agent_task` table, on either backend; the totals read the request
/// log.
///
/// `end` is one `INSERT … ON CONFLICT DO NOTHING`: of racing callers, on any instance, exactly
/// one inserts (the primary key decides), and only it sees a row changed.
struct SQLAgentTaskStore: AgentTaskStore {
    let database: any SQLDatabase

    func end(_ task: AgentTaskEnd) async throws -> Bool {
        try await self.database.run(
            """
            INSERT INTO agent_task (task_id, agent_id, outcome, ended_at, key_id, team_id)
            VALUES (\(task.taskID), \(task.agentID), \(task.outcome), \(task.endedAt), \(task.keyID), \(task.teamID))
            ON CONFLICT (task_id) DO NOTHING
            """
        ) == 1
    }

    func task(_ taskID: String) async throws -> AgentTaskEnd? {
        try await self.database.row(
            "SELECT task_id, agent_id, outcome, ended_at, key_id, team_id FROM agent_task WHERE task_id = \(taskID)"
        ) { row in
            AgentTaskEnd(
                taskID: try row.decode("task_id"),
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
}

extension AgentTask.Outcome: SQLBindable, SQLDecodable {}
