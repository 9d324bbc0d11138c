import GRDB
import KeelCore
import KeelStorage

/// Agent task outcomes in the `agent_task` table; totals read from `request_record`.
///
/// `end` is one `INSERT … ON CONFLICT DO NOTHING` in a write transaction: SQLite has one writer
/// at a time, so of racing callers (or processes sharing the file) exactly one inserts.
struct SQLiteAgentTaskStore: AgentTaskStore {
    let pool: DatabasePool
    /// The request log, which the totals read.
    let requests: SQLRequestRecordStore

    func end(_ task: AgentTaskEnd) async throws -> Bool {
        do {
            return try await self.pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO agent_task (task_id, agent_id, outcome, ended_at, key_id, team_id) \
                        VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (task_id) DO NOTHING
                        """,
                    arguments: [
                        task.taskID, task.agentID, task.outcome.rawValue, task.endedAt, task.keyID?.rawValue,
                        task.teamID?.rawValue,
                    ]
                )
                return db.changesCount == 1
            }
        } catch {
            throw StorageError.mappingSQLite(error, table: "agent_task")
        }
    }

    func task(_ taskID: String) async throws -> AgentTaskEnd? {
        // Decoded inside the read, so the result is `Sendable` and GRDB's asynchronous read
        // serves it off the calling thread.
        try await self.pool.read { db -> AgentTaskEnd? in
            let row = try Row.fetchOne(
                db, sql: "SELECT task_id, agent_id, outcome, ended_at, key_id, team_id FROM agent_task WHERE task_id = ?",
                arguments: [taskID])
            guard let row else { return nil }
            let outcomeText = try row.decode(String.self, atIndex: 2)
            guard let outcome = AgentTask.Outcome(rawValue: outcomeText) else {
                throw StorageError.invalidStoredValue(table: "agent_task", column: "outcome")
            }
            return AgentTaskEnd(
                taskID: try row.decode(String.self, atIndex: 0),
                agentID: try row.decode(String?.self, atIndex: 1),
                outcome: outcome,
                endedAt: try row.decode(Int64.self, atIndex: 3),
                keyID: try row.decode(String?.self, atIndex: 4).map { KeyID($0) },
                teamID: try row.decode(String?.self, atIndex: 5).map { TeamID($0) }
            )
        }
    }

    func totals(ofTask taskID: String, within: RequestRecordQuery.Scope?) async throws -> AgentTaskTotals {
        try await self.requests.totals(ofTask: taskID, within: within)
    }
}
