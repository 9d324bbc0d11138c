import Hummingbird
import KeelCore
import KeelStorage

/// The routes of escalations: reviewers list and decide them (`/admin/v1/escalations`), agents
/// ask their own questions and read the answers (`/v1/tasks/{id}/escalations`,
/// `/v1/escalations/{id}`).
struct EscalationAPI: Sendable {
    let desk: EscalationDesk
    let gateway: Gateway
    let admin: AdminAPI

    static func add(to router: Router<BasicRequestContext>, api: EscalationAPI) {
        router.get("admin/v1/escalations") { request, _ in try await api.list(request) }
        router.get("admin/v1/escalations/{id}") { request, context in
            try await api.show(request, id: try context.parameters.require("id"))
        }
        router.post("admin/v1/escalations/{id}/approve") { request, context in
            try await api.decide(request, id: try context.parameters.require("id"), approve: true)
        }
        router.post("admin/v1/escalations/{id}/deny") { request, context in
            try await api.decide(request, id: try context.parameters.require("id"), approve: false)
        }
        router.post("v1/tasks/{task_id}/escalations") { request, context in
            try await api.ask(request, taskID: try context.parameters.require("task_id"))
        }
        router.get("v1/escalations/{id}") { request, context in
            try await api.poll(request, id: try context.parameters.require("id"))
        }
    }

    // MARK: Reviewers

    /// `GET /admin/v1/escalations?state&agent&task&team&limit`: newest first, those the caller
    /// may read.
    func list(_ request: Request) async throws -> Response {
        let caller = try self.admin.authenticate(request, .read, .agent)
        let parameters = request.uri.queryParameters
        var query = EscalationQuery()
        if let state = parameters["state"] {
            guard let parsed = Escalation.State(rawValue: String(state)) else {
                throw KeelError.invalidRequest("Invalid 'state': pending, approved, denied or expired.", param: "state")
            }
            query.state = parsed
        }
        query.agentID = parameters["agent"].map(String.init)
        query.taskID = parameters["task"].map(String.init)
        query.teamID = parameters["team"].map { TeamID(String($0)) }
        if let limit = parameters["limit"] {
            guard let value = Int(limit), (1...1_000).contains(value) else {
                throw KeelError.invalidRequest("Invalid 'limit': 1 to 1000.", param: "limit")
            }
            query.limit = value
        }
        let visible = try await self.desk.store.escalations(matching: query).filter {
            AdminAuthorization.allows(caller, .read, .agent, in: AdminScope(orgID: $0.orgID, teamID: $0.teamID))
        }
        return Gateway.json(JSONValue.object(["data": .array(visible.map(Self.json))]).jsonText)
    }

    /// `GET /admin/v1/escalations/{id}`.
    func show(_ request: Request, id: String) async throws -> Response {
        let caller = try self.admin.authenticate(request, .read, .agent)
        guard let escalation = try await self.desk.current(id: id) else {
            throw KeelError.notFound("No escalation with id '\(id)'.")
        }
        try self.admin.require(
            caller,
            .read,
            .agent,
            in: AdminScope(orgID: escalation.orgID, teamID: escalation.teamID)
        )
        return Gateway.json(Self.json(escalation).jsonText)
    }

    /// `POST /admin/v1/escalations/{id}/approve` or `/deny` with `{"reason"}` (required to
    /// deny): the reviewer is the calling key (`admin` for the admin key).
    func decide(_ request: Request, id: String, approve: Bool) async throws -> Response {
        let caller = try self.admin.authenticate(request, .update, .agent)
        guard let escalation = try await self.desk.store.escalation(id: id) else {
            throw KeelError.notFound("No escalation with id '\(id)'.")
        }
        try self.admin.require(
            caller,
            .update,
            .agent,
            in: AdminScope(orgID: escalation.orgID, teamID: escalation.teamID)
        )
        let body = try JSONValue.object(
            try await request.body.collect(upTo: 64 << 10),
            allowEmpty: true,
            shape: "reason"
        )
        let reason = try body.optionalString("reason")
        if !approve, (reason ?? "").isEmpty {
            throw KeelError.invalidRequest("A denial needs a 'reason' the agent can act on.", param: "reason")
        }
        let reviewer = caller.keyID?.rawValue ?? "admin"
        let decided = try await self.desk.vote(id: id, reviewer: reviewer, approve: approve, reason: reason)
        return Gateway.json(Self.json(decided).jsonText)
    }

    // MARK: Agents

    /// `POST /v1/tasks/{id}/escalations` with `{"question"}`: the agent asks a human; its task
    /// waits (`awaiting_approval`) until the answer. 201 the escalation.
    func ask(_ request: Request, taskID: String) async throws -> Response {
        let principal = try self.gateway.authenticate(request)
        let body = try JSONValue.object(try await self.gateway.readBody(request), allowEmpty: false, shape: "question")
        guard let question = try body.optionalString("question"), !question.isEmpty else {
            throw KeelError.invalidRequest("An escalation needs a 'question' for the reviewer.", param: "question")
        }
        guard let task = try await self.desk.taskStore.row(taskID) else {
            throw KeelError.notFound("No task '\(taskID)'.")
        }
        let agentID = try Gateway.agentID(of: request, principal: principal) ?? task.agentID
        guard let agentID else {
            throw KeelError.invalidRequest("Name the agent that asks ('x-keel-agent').", param: "x-keel-agent")
        }
        if let owner = task.agentID, owner != agentID {
            throw KeelError.agentScopeViolation(
                "Task '\(taskID)' belongs to the agent '\(owner)'.",
                param: "x-keel-agent"
            )
        }
        let agent = self.gateway.agents?.snapshot.agents[agentID]
        let escalation = try await self.desk.ask(
            agentID: agentID,
            taskID: taskID,
            question: question,
            principal: principal,
            agent: agent
        )
        return Gateway.json(Self.json(escalation).jsonText, status: .created)
    }

    /// `GET /v1/escalations/{id}?wait=SECONDS`: the escalation, for the agent that asked (or
    /// whose call is held); with `wait` (at most 60), answered once it is decided or the time is up.
    func poll(_ request: Request, id: String) async throws -> Response {
        let principal = try self.gateway.authenticate(request)
        let wait = request.uri.queryParameters["wait"].flatMap { Int($0) }.map { min(max($0, 0), 60) } ?? 0
        let deadline = ContinuousClock.now + .seconds(wait)
        guard var escalation = try await self.desk.current(id: id) else {
            throw KeelError.notFound("No escalation with id '\(id)'.")
        }
        if let agentID = try Gateway.agentID(of: request, principal: principal), agentID != escalation.agentID {
            throw KeelError.notFound("No escalation with id '\(id)'.")
        }
        if !principal.isAdmin, let team = principal.teamID, let owner = escalation.teamID, team != owner {
            throw KeelError.notFound("No escalation with id '\(id)'.")
        }
        while escalation.state == .pending, ContinuousClock.now < deadline {
            try await Task.sleep(for: min(self.desk.pollInterval, deadline - ContinuousClock.now))
            guard let next = try await self.desk.current(id: id) else { break }
            escalation = next
        }
        return Gateway.json(Self.json(escalation).jsonText)
    }

    /// `{id, object, kind, state, agent, team, task, server, tool, arguments_sha256, arguments,
    /// question, quorum, approvals, votes: [{reviewer, decision, reason, at}], reason,
    /// created_at, expires_at, decided_at, consumed_at}`, times in Unix seconds.
    static func json(_ escalation: Escalation) -> JSONValue {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        func seconds(_ value: Int64?) -> JSONValue { value.map { .int($0 / 1_000_000) } ?? .null }
        let votes = escalation.votes.map { vote in
            JSONValue.object([
                "reviewer": .string(vote.reviewer),
                "decision": .string(vote.approve ? "approve" : "deny"),
                "reason": text(vote.reason),
                "at": seconds(vote.at),
            ])
        }
        return .object([
            "id": .string(escalation.id),
            "object": .string("escalation"),
            "kind": .string(escalation.kind.rawValue),
            "state": .string(escalation.state.rawValue),
            "agent": .string(escalation.agentID),
            "team": text(escalation.teamID?.rawValue),
            "task": text(escalation.taskID),
            "server": text(escalation.server),
            "tool": text(escalation.tool),
            "arguments_sha256": text(escalation.argumentsSHA256),
            "arguments": escalation.arguments.flatMap { try? JSONValue(parsing: $0) } ?? .null,
            "question": text(escalation.question),
            "quorum": .int(escalation.quorum),
            "approvals": .int(escalation.votes.filter(\.approve).count),
            "votes": .array(votes),
            "reason": text(escalation.reason),
            "created_at": seconds(escalation.createdAt),
            "expires_at": seconds(escalation.expiresAt),
            "decided_at": seconds(escalation.decidedAt),
            "consumed_at": seconds(escalation.consumedAt),
        ])
    }
}
