import KeelCore
import KeelOps
import KeelStorage
import Logging

/// Ends agent tasks, each exactly once, and counts each outcome once in live monitoring.
///
/// A task ends in one of two ways: the request that carries `x-keel-task-outcome` (its record
/// carries the outcome to monitoring through the recorder), or `POST /v1/tasks/{id}/outcome`
/// (counted here, in the series of the task's last stored request). Either way the end is first
/// stored in `agent_task`, whose primary key admits one row per task across every instance that
/// shares the database: the store, not this process, decides which report wins, and every other
/// report is refused with 409. Task ids are global to the gateway, so agents should use unique
/// ones (a UUID per task).
///
/// One instance serves every request.
struct AgentTaskOutcomes: Sendable {
    let store: any AgentTaskStore
    let requests: any RequestRecordStore
    let monitoring: MonitoringEngine
    let logger: Logger
    /// Traces (tracing on): each ended task becomes an `invoke_agent` span.
    var tracing: GatewayTracing? = nil

    /// What `POST /v1/tasks/{id}/outcome` answers.
    struct Report: Sendable {
        var taskID: String
        var outcome: AgentTask.Outcome
        var totals: AgentTaskTotals
    }

    /// Stores the end of `task`.
    ///
    /// - Throws: `conflict` (409, param `x-keel-task`) when the task has already ended;
    ///   `overloaded` (503) when the store cannot be reached.
    func end(_ task: AgentTaskEnd) async throws(KeelError) {
        let stored: Bool
        do {
            stored = try await self.store.end(task)
        } catch {
            self.logger.error("Agent task outcome could not be stored", metadata: ["error.type": "\(type(of: error))"])
            throw .overloaded("The task outcome could not be stored; try again.")
        }
        guard stored else {
            throw .conflict("Task '\(task.taskID)' has already ended.", param: "x-keel-task")
        }
        if let tracing = self.tracing, let row = try? await self.store.row(task.taskID) {
            tracing.recordTask(row, agentID: task.agentID, outcome: task.outcome, endedAt: task.endedAt)
        }
    }

    /// Ends `taskID` as reported by `principal` outside any request, and counts its outcome in
    /// monitoring under the labels of the task's last stored request in the caller's scope.
    ///
    /// The totals are those of the records stored so far: a record reaches the store within the
    /// recorder's flush interval after its response, so report an outcome after the task's last
    /// answer has arrived.
    func report(
        taskID: String,
        agentID: String?,
        agentVersion: String? = nil,
        outcome: AgentTask.Outcome,
        principal: Principal,
        now: Int64
    ) async throws(KeelError) -> Report {
        // An admin key sees every task; any other key the records of its team and its own.
        let scope =
            principal.isAdmin
            ? nil
            : RequestRecordQuery.Scope(
                teamIDs: principal.teamID.map { [$0] } ?? [],
                keyIDs: principal.keyID.map { [$0] } ?? []
            )
        let totals: AgentTaskTotals
        let last: RequestRecord?
        do {
            totals = try await self.store.totals(ofTask: taskID, within: scope)
            var query = RequestRecordQuery(limit: 1, within: scope)
            query.taskID = taskID
            last = try await self.requests.records(matching: query).first
        } catch {
            self.logger.error("Agent task totals could not be read", metadata: ["error.type": "\(type(of: error))"])
            throw .overloaded("The task's requests could not be read; try again.")
        }
        try await self.end(
            AgentTaskEnd(
                taskID: taskID,
                agentID: agentID ?? last?.agentID,
                outcome: outcome,
                endedAt: now,
                keyID: principal.keyID,
                teamID: principal.teamID,
                agentVersion: agentVersion
            )
        )
        // No stored request yet: counted under the caller's team with no model or deployment.
        let labels =
            last
            ?? RequestRecord(
                id: RequestID(""),
                startedAt: now,
                operation: "task.outcome",
                keyID: principal.keyID,
                orgID: principal.orgID,
                teamID: principal.teamID,
                requestedModel: "",
                status: 0,
                outcome: .success,
                totalMicros: 0
            )
        self.monitoring.ingestAgentTaskOutcome(of: labels, succeeded: outcome == .success)
        return Report(taskID: taskID, outcome: outcome, totals: totals)
    }
}
