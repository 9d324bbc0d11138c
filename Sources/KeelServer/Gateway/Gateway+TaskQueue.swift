import Hummingbird
import KeelCore
import KeelStorage
import NIOCore

// `/v1/tasks`: agents' work queue. `POST /v1/tasks` queues a task for an agent or a pool,
// `POST /v1/tasks/claim` hands the next one to a worker under a lease that its requests renew,
// `POST /v1/tasks/{id}/heartbeat` renews it without a request. Authenticated like the data
// plane; they make no request record. A task whose lease expires is queued again, up to its
// `max_attempts`, by the `TaskTracker`.
extension Gateway {
    /// Whether `principal` may act on `task`: the admin key any; another key the tasks of its
    /// team, or that it made.
    static func owns(_ principal: Principal, _ task: AgentTaskRow) -> Bool {
        if principal.isAdmin { return true }
        if let team = task.teamID, team == principal.teamID { return true }
        return task.keyID != nil && task.keyID == principal.keyID
    }

    /// `POST /v1/tasks` with `{"agent"|"pool", "input", "metadata", "priority", "budget",
    /// "max_attempts", "parent", "id"}` → 201 the queued task.
    func createTask(_ request: Request) async throws -> Response {
        let principal = try self.authenticate(request)
        let body = try JSONValue.object(
            try await self.readBody(request),
            allowEmpty: true,
            shape: "agent or pool, and optional id, input, metadata, priority, budget, max_attempts, parent"
        )
        let known: Set = ["id", "agent", "pool", "input", "metadata", "priority", "budget", "max_attempts", "parent"]
        if case .object(let members) = body, let unknown = members.first(where: { !known.contains($0.key) }) {
            throw KeelError.invalidRequest("Unknown member '\(unknown.key)' of a task.", param: unknown.key)
        }
        let agentID = try AgentTask.validatedID(try body.optionalString("agent"), name: "agent")
        let pool = try AgentTask.validatedID(try body.optionalString("pool"), name: "pool")
        guard agentID != nil || pool != nil else {
            throw KeelError.invalidRequest("A task needs an 'agent' or a 'pool' to be claimed by.", param: "agent")
        }
        var agent: Agent?
        if let agentID, let agents = self.agents {
            agent = agents.snapshot.agents[agentID]
            if let agent, !principal.isAdmin, let team = agent.teamID, let keyTeam = principal.teamID, team != keyTeam {
                throw KeelError.agentScopeViolation("The agent '\(agentID)' belongs to another team.", param: "agent")
            }
            if agent == nil, agents.requiresRegistration {
                throw KeelError.agentScopeViolation("The agent '\(agentID)' is not registered.", param: "agent")
            }
        }
        let metadata = body["metadata"] ?? .object([])
        guard case .object = metadata else {
            throw KeelError.invalidRequest("Invalid 'metadata': expected an object.", param: "metadata")
        }
        var depth = 0
        var parentID: String?
        var parentDepthLimit: Int?
        if let parent = try body.optionalString("parent") {
            guard let row = try await self.agentTasks.store.row(parent), Self.owns(principal, row) else {
                throw KeelError.invalidRequest("Unknown parent task '\(parent)'.", param: "parent")
            }
            depth = row.depth + 1
            parentID = parent
            let parentAgent = row.agentID.flatMap { self.agents?.snapshot.agents[$0] }
            // The levels of sub-tasks the parent may still have below it.
            parentDepthLimit = TaskBudget.effective(row.budget, agent: parentAgent).depth
            if let limit = parentDepthLimit, limit < 1 {
                throw KeelError.taskBudgetExceeded(
                    "Task '\(parent)' may not have sub-tasks (its budget's depth is used up)."
                )
            }
        }
        var budget = try TaskJSON.budget(body["budget"], param: "budget")
        if let limit = parentDepthLimit {
            // A sub-task has at most what its parent has left, one level less.
            budget.depth = min(budget.depth ?? limit - 1, limit - 1)
        }
        let now = WallClock.unixMicros()
        let id = try AdminAPI.newID(try body.optionalString("id"), prefix: "task_")
        let task = AgentTaskRow(
            id: id,
            agentID: agentID,
            pool: pool,
            orgID: agent?.orgID ?? principal.orgID,
            teamID: agent?.teamID ?? principal.teamID,
            keyID: principal.keyID,
            state: .queued,
            priority: try body.optionalInt("priority", in: -1_000_000...1_000_000) ?? 0,
            input: body["input"].map(\.jsonText),
            metadata: metadata.jsonText,
            budget: budget,
            maxAttempts: try body.optionalInt("max_attempts", in: 1...100) ?? 1,
            parentID: parentID,
            depth: depth,
            createdAt: now
        )
        do {
            try await self.agentTasks.store.insert(task)
        } catch let error as StorageError where error.code == .conflict {
            throw KeelError.conflict("Task '\(id)' exists.", param: "id")
        }
        return Self.json(TaskJSON.task(task), status: .created)
    }

    /// `POST /v1/tasks/claim` with `{"agent","pool","worker","lease_seconds"}`: 200 the task now
    /// running for the worker, or 204 when none is queued. A key bound to an agent claims that
    /// agent's tasks (and its pool's, when it names one).
    func claimTask(_ request: Request) async throws -> Response {
        let principal = try self.authenticate(request)
        let body = try JSONValue.object(
            try await self.readBody(request),
            allowEmpty: true,
            shape: "agent or pool, and optional worker, lease_seconds"
        )
        let named = try AgentTask.validatedID(try body.optionalString("agent"), name: "agent")
        if let bound = principal.agentID, let named, named != bound {
            throw KeelError.agentScopeViolation(
                "This key belongs to the agent '\(bound)'; it cannot claim for '\(named)'.",
                param: "agent"
            )
        }
        let agentID = principal.agentID ?? named
        let pool = try AgentTask.validatedID(try body.optionalString("pool"), name: "pool")
        guard agentID != nil || pool != nil else {
            throw KeelError.invalidRequest("Name the 'agent' or the 'pool' whose task to claim.", param: "agent")
        }
        var version: String?
        if let agentID, let agents = self.agents {
            let snapshot = agents.snapshot
            if let why = AgentBook.suspension(of: agentID, team: principal.teamID, in: snapshot) {
                throw KeelError.agentSuspended(why)
            }
            version = snapshot.agents[agentID]?.version
        }
        let worker = try body.optionalString("worker") ?? principal.keyID?.rawValue ?? "worker"
        let lease = Int64(try body.optionalInt("lease_seconds", in: 1...86_400) ?? self.taskLeaseSeconds) * 1_000_000
        let now = WallClock.unixMicros()
        guard
            let task = try await self.agentTasks.store.claim(
                agentIDs: agentID.map { [$0] } ?? [],
                pool: pool,
                worker: worker,
                agentVersion: version,
                now: now,
                leaseUntil: now + lease
            )
        else {
            return Response(status: .noContent)
        }
        return Self.json(TaskJSON.task(task))
    }

    /// `POST /v1/tasks/{id}/heartbeat`: renews the lease of a running task; 200 the task, 404
    /// for a task the key may not see, 409 for one that is not running.
    func heartbeatTask(_ request: Request, taskID: String) async throws -> Response {
        let principal = try self.authenticate(request)
        guard let task = try await self.agentTasks.store.row(taskID), Self.owns(principal, task) else {
            throw KeelError.notFound("No task '\(taskID)'.")
        }
        guard task.state == .running else {
            throw KeelError.conflict("Task '\(taskID)' is \(task.state.rawValue), not running.", param: "task_id")
        }
        let now = WallClock.unixMicros()
        try await self.agentTasks.store.touch([taskID: now], lease: Int64(self.taskLeaseSeconds) * 1_000_000)
        return Self.json(TaskJSON.task(try await self.agentTasks.store.row(taskID) ?? task))
    }
}
