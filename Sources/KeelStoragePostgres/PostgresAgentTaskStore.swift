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
        var query = RequestRecordQuery(within: within)
        query.taskID = taskID
        let filter = query.postgresFilter(includingCursor: false)
        let sql = "SELECT COUNT(*)::BIGINT, COALESCE(SUM(cost_nanos), 0)::BIGINT FROM request_record WHERE \(filter.condition)"
        let rows = try await self.client.query(PostgresQuery(unsafeSQL: sql, binds: filter.bindings), logger: PostgresBackend.quietLogger)
        for try await (count, cost) in rows.decode((Int64, Int64).self) {
            return AgentTaskTotals(requests: Int(count), cost: USDNanos(cost))
        }
        return AgentTaskTotals(requests: 0, cost: .zero)
    }
}
