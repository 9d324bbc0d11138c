import FoundationEssentials
import HTTPTypes
import Hummingbird
import KeelCore
import KeelStorage
import NIOCore

extension Gateway {
    /// `POST /v1/tasks/{task_id}/outcome` with `{"outcome":"success"|"failure","agent":"<optional>"}`:
    /// ends an agent task (see ``AgentTaskOutcomes``) and answers
    /// `{"task_id","outcome","requests","cost_nanos","cost_usd"}`, the totals of the task's records
    /// stored so far in the caller's scope.
    ///
    /// Authenticated like the data plane (`Authorization: Bearer` or `x-api-key`); 401 without a
    /// valid key, 400 for a bad task id, agent or outcome, 409 when the task has already ended.
    /// The call makes no request record.
    func reportTaskOutcome(_ request: Request, taskID rawTaskID: String) async throws -> Response {
        let principal = try self.authenticate(request)
        guard let taskID = rawTaskID.percentDecoded, AgentTask.isValidID(taskID) else {
            throw KeelError.invalidRequest(
                "Invalid task id: 1 to \(AgentTask.maxLength) printable ASCII characters.", param: "task_id")
        }
        struct Body: Decodable {
            var outcome: String?
            var agent: String?
        }
        let bytes = try await self.readBody(request)
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: Data(bytes.readableBytesView))
        } catch {
            throw KeelError.invalidRequest(#"The body must be a JSON object: {"outcome":"success"|"failure","agent":"…"}."#)
        }
        guard let outcome = try AgentTask.validatedOutcome(body.outcome ?? "", name: "outcome") else {
            throw KeelError.invalidRequest("Invalid 'outcome': success or failure.", param: "outcome")
        }
        var agentID = try AgentTask.validatedID(body.agent, name: "agent")
        if let bound = principal.agentID {
            // An agent's key reports for its agent only.
            if let agentID, agentID != bound {
                throw KeelError.agentScopeViolation(
                    "This key belongs to the agent '\(bound)'; it cannot report for '\(agentID)'.", param: "agent")
            }
            agentID = bound
        }
        let report = try await self.agentTasks.report(
            taskID: taskID, agentID: agentID, agentVersion: agentID.flatMap { self.agents?.snapshot.agents[$0]?.version },
            outcome: outcome, principal: principal, now: WallClock.unixMicros())
        var json = #"{"task_id":"#
        JSONWriter.appendString(report.taskID, to: &json)
        json += #","outcome":""# + report.outcome.rawValue + #"","requests":\#(report.totals.requests)"#
        json += #","cost_nanos":\#(report.totals.cost.rawValue),"cost_usd":""# + report.totals.cost.decimalString + #""}"#
        return Self.json(json)
    }
}
