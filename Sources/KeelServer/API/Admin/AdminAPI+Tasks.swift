import Hummingbird
import KeelCore
import KeelStorage

// `/admin/v1/tasks`: the live view of agent tasks (list, one with its steps as a timeline), a
// budget extended (which resumes a task paused on its budget), a task cancelled. Tasks are read
// like agents: admins and auditors all, other roles those of their scope; team admins change
// their team's.
extension AdminAPI {
    static func scope(of task: AgentTaskRow) -> AdminScope {
        AdminScope(orgID: task.orgID, teamID: task.teamID)
    }

    private func existingTask(
        _ id: String,
        _ caller: AdminCaller,
        _ operation: AdminOperation
    ) async throws -> AgentTaskRow {
        guard let task = try await self.stores.agentTasks.row(id) else { throw KeelError.notFound("No task '\(id)'.") }
        try self.require(caller, operation, .agent, in: Self.scope(of: task))
        return task
    }

    /// `GET /admin/v1/tasks?agent&state&team&limit&cursor`: newest first, with each task's usage.
    func listTasks(_ request: Request) async throws -> Response {
        let caller = try self.authenticate(request, .read, .agent)
        let parameters = request.uri.queryParameters
        let (limit, cursor) = try Self.page(request)
        var query = AgentTaskQuery(limit: limit + 1)
        query.agentID = parameters["agent"].map(String.init)
        if let text = parameters["state"] {
            guard let state = AgentTask.State(rawValue: String(text)) else {
                throw KeelError.invalidRequest(
                    "Invalid 'state': one of " + AgentTask.State.allCases.map(\.rawValue).joined(separator: ", ") + ".",
                    param: "state"
                )
            }
            query.state = state
        }
        if let team = parameters["team"] { query.teamIDs = [TeamID(String(team))] }
        if let cursor {
            guard let before = Int64(cursor) else {
                throw KeelError.invalidRequest("Invalid 'cursor'.", param: "cursor")
            }
            query.createdBefore = before
        }
        let rows = try await self.stores.agentTasks.rows(matching: query)
        let page = rows.prefix(limit).filter {
            AdminAuthorization.allows(caller, .read, .agent, in: Self.scope(of: $0))
        }
        let usage = try await self.stores.agentTasks.usage(ofTasks: page.map(\.id))
        let items = page.map { TaskJSON.task($0, usage: usage[$0.id] ?? TaskBudget.Usage()) }
        let next = rows.count > limit ? rows.prefix(limit).last.map { JSONWriter.quoted(String($0.createdAt)) } : nil
        return Gateway.json(
            #"{"data":["# + items.joined(separator: ",") + #"],"next_cursor":"# + (next ?? "null") + "}"
        )
    }

    /// `GET /admin/v1/tasks/{id}`: the task, its usage, and its steps (its request records,
    /// oldest first) as a timeline.
    func getTask(_ request: Request, id: String) async throws -> Response {
        let caller = try self.authenticate(request, .read, .agent)
        let task = try await self.existingTask(id, caller, .read)
        var query = RequestRecordQuery(limit: 10_000)
        query.taskID = id
        let records = try await self.stores.requests.records(matching: query).reversed()
        let steps = records.enumerated().map { TaskJSON.step($0.offset + 1, $0.element) }
        let usage = try await self.stores.agentTasks.usage(ofTasks: [id])[id] ?? TaskBudget.Usage()
        return Gateway.json(TaskJSON.task(task, usage: usage, steps: steps))
    }

    /// `PATCH /admin/v1/tasks/{id}` with `{"budget": {…}, "priority": N}`: the budget's members
    /// given replace the task's own; a task paused on its budget runs again.
    func updateTask(_ request: Request, id: String, book: TaskBook) async throws -> Response {
        let caller = try self.authenticate(request, .update, .agent)
        let task = try await self.existingTask(id, caller, .update)
        let value = try JSONValue.object(try await request.body.collect(upTo: 64 << 10), shape: "budget, priority")
        if let unknown = value.members?.first(where: { $0.key != "budget" && $0.key != "priority" }) {
            throw KeelError.invalidRequest(
                "Unknown member '\(unknown.key)'; a task changes its budget and priority.",
                param: unknown.key
            )
        }
        let now = WallClock.unixMicros()
        var budget: TaskBudget?
        if value["budget"] != nil {
            budget = task.budget.overlaid(by: try TaskJSON.budget(value["budget"], param: "budget"))
        }
        let priority = try value.optionalInt("priority", in: -1_000_000...1_000_000)
        _ = try await self.stores.agentTasks.change(id, budget: budget, priority: priority, now: now)
        if budget != nil, task.state == .awaitingApproval {
            _ = try await self.stores.agentTasks.transition(
                id,
                from: [.awaitingApproval],
                to: .running,
                reason: "budget extended",
                now: now
            )
        }
        try await book.reload(now: now)
        return Gateway.json(TaskJSON.task(try await self.stores.agentTasks.row(id) ?? task))
    }

    /// `POST /admin/v1/tasks/{id}/resume`: a task paused (on its budget, or for a loop) runs
    /// again; its loop detectors start afresh.
    func resumeTask(_ request: Request, id: String, book: TaskBook) async throws -> Response {
        let caller = try self.authenticate(request, .update, .agent)
        _ = try await self.existingTask(id, caller, .update)
        let now = WallClock.unixMicros()
        guard
            try await self.stores.agentTasks.transition(
                id,
                from: [.awaitingApproval],
                to: .running,
                reason: "resumed by a reviewer",
                now: now
            )
        else {
            throw KeelError.conflict("Task '\(id)' is not paused.", param: "id")
        }
        book.resumeLoops(id)
        try await book.reload(now: now)
        return Gateway.json(TaskJSON.task(try await self.stores.agentTasks.row(id)!))
    }

    /// `POST /admin/v1/tasks/{id}/cancel` with optional `{"reason"}`: a queued, running or paused
    /// task is cancelled; its next call is refused (409).
    func cancelTask(_ request: Request, id: String, book: TaskBook) async throws -> Response {
        let caller = try self.authenticate(request, .update, .agent)
        _ = try await self.existingTask(id, caller, .update)
        let body = try JSONValue.object(
            try await request.body.collect(upTo: 64 << 10),
            allowEmpty: true,
            shape: "reason"
        )
        let reason = try body.optionalString("reason").map { "cancelled: " + $0 } ?? "cancelled"
        let now = WallClock.unixMicros()
        guard
            try await self.stores.agentTasks.transition(
                id,
                from: [.queued, .running, .awaitingApproval],
                to: .cancelled,
                reason: reason,
                now: now
            )
        else {
            throw KeelError.conflict("Task '\(id)' has already ended.", param: "id")
        }
        try await book.reload(now: now)
        return Gateway.json(TaskJSON.task(try await self.stores.agentTasks.row(id)!))
    }
}
