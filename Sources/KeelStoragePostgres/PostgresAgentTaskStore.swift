import KeelCore
import KeelStorage
import PostgresNIO

/// Agent task outcomes in the `agent_task` table; totals read from `request_record`.
///
/// `end` is one `INSERT … ON CONFLICT DO NOTHING RETURNING`: a concurrent insert of the same
/// task, from any instance, waits for the first to commit and then inserts nothing, so exactly
/// one caller gets a row back.
struct PostgresAgentTaskStore: AgentTaskStore {
    let client: PostgresClient
    /// The request log, which the totals read.
    let requests: SQLRequestRecordStore

    func end(_ task: AgentTaskEnd) async throws -> Bool {
        do {
            let outcome = task.outcome.rawValue
            let keyID = task.keyID?.rawValue
            let teamID = task.teamID?.rawValue
            let rows = try await self.client.query(
                """
                INSERT INTO agent_task (task_id, agent_id, outcome, ended_at, key_id, team_id) \
                VALUES (\(task.taskID), \(task.agentID), \(outcome), \(task.endedAt), \(keyID), \(teamID)) \
                ON CONFLICT (task_id) DO NOTHING RETURNING task_id
                """,
                logger: PostgresBackend.quietLogger
            )
            for try await _ in rows.decode(String.self) {
                return true
            }
            return false
        } catch {
            throw StorageError.mappingPostgres(error, table: "agent_task")
        }
    }

    func task(_ taskID: String) async throws -> AgentTaskEnd? {
        let rows = try await self.client.query(
            "SELECT task_id, agent_id, outcome, ended_at, key_id, team_id FROM agent_task WHERE task_id = \(taskID)",
            logger: PostgresBackend.quietLogger
        )
        for try await (id, agentID, outcomeText, endedAt, keyID, teamID) in rows.decode(
            (String, String?, String, Int64, String?, String?).self)
        {
            guard let outcome = AgentTask.Outcome(rawValue: outcomeText) else {
                throw StorageError.invalidStoredValue(table: "agent_task", column: "outcome")
            }
            return AgentTaskEnd(
                taskID: id, agentID: agentID, outcome: outcome, endedAt: endedAt, keyID: keyID.map { KeyID($0) },
                teamID: teamID.map { TeamID($0) })
        }
        return nil
    }

    func totals(ofTask taskID: String, within: RequestRecordQuery.Scope?) async throws -> AgentTaskTotals {
        try await self.requests.totals(ofTask: taskID, within: within)
    }
}
