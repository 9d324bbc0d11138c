import FoundationEssentials
import Hummingbird
import KeelCore
import KeelStorage
import NIOCore

// `/admin/v1/agents`: register, list, read, change and delete agents, suspend and resume one;
// `/admin/v1/agent-holds`: suspend and resume every agent, or a team's (the kill switch).
//
// Admins manage every agent; team admins those of their team; other roles read those in their
// scope. Every change reloads the data plane's agent book at once on this instance (halting the
// requests in flight of an agent it suspends); other instances reload it within
// `agents.sync_interval_ms`. Every change is an `admin_change` entry of the audit log.
extension AdminAPI {
    struct AgentView: Encodable {
        var id: String
        var object = "agent"
        var name: String
        var org: String?
        var team: String?
        var version: String
        var description: String
        var models: [String]?
        var tools: [String]?
        var offeredTools: String
        var taskBudget: BudgetView?
        var onBudgetExceeded: String
        var loops: String
        /// `{tools, quorum, timeout_seconds}`, or `null`: no call waits for a human.
        var approvals: ApprovalPolicy?
        var state: String
        var suspendedAt: Int64?
        var suspendedReason: String?
        /// Why a request of the agent is refused now, when it is: its own suspension or a hold.
        var suspendedBy: String?
        var createdAt: Int64
        var updatedAt: Int64
        var versions: [VersionView]?

        struct BudgetView: Encodable {
            var tokens: Int64?
            var costUSD: String?
            var steps: Int?
            var toolCalls: Int?
            var seconds: Int?
            var depth: Int?

            enum CodingKeys: String, CodingKey {
                case tokens, steps, seconds, depth
                case costUSD = "cost_usd"
                case toolCalls = "tool_calls"
            }
        }

        struct VersionView: Encodable {
            var version: String
            var since: Int64
        }

        enum CodingKeys: String, CodingKey {
            case id, object, name, org, team, version, description, models, tools, state, versions, loops, approvals
            case offeredTools = "offered_tools"
            case taskBudget = "task_budget"
            case onBudgetExceeded = "on_budget_exceeded"
            case suspendedAt = "suspended_at"
            case suspendedReason = "suspended_reason"
            case suspendedBy = "suspended_by"
            case createdAt = "created_at"
            case updatedAt = "updated_at"
        }

        /// `snapshot` gives the holds in force (the agent as given, not as held there).
        init(_ agent: Agent, snapshot: AgentBook.Snapshot, versions: [AgentVersion]? = nil) {
            self.id = agent.id
            self.name = agent.name
            self.org = agent.orgID?.rawValue
            self.team = agent.teamID?.rawValue
            self.version = agent.version
            self.description = agent.description
            self.models = agent.models
            self.tools = agent.tools
            self.offeredTools = agent.offeredTools.rawValue
            self.taskBudget = agent.taskBudget.map {
                BudgetView(
                    tokens: $0.tokens,
                    costUSD: $0.costNanos.map { USDNanos($0).decimalString },
                    steps: $0.steps,
                    toolCalls: $0.toolCalls,
                    seconds: $0.seconds,
                    depth: $0.depth
                )
            }
            self.onBudgetExceeded = (agent.onBudgetExceeded ?? .fail).rawValue
            self.loops = (agent.loops ?? .warn).rawValue
            self.approvals = agent.approvals
            self.state = agent.state.rawValue
            self.suspendedAt = agent.suspendedAt.map { $0 / 1_000_000 }
            self.suspendedReason = agent.suspendedReason
            self.suspendedBy = AgentBook.suspension(of: agent.id, registered: agent, team: agent.teamID, in: snapshot)
            self.createdAt = agent.createdAt / 1_000_000
            self.updatedAt = agent.updatedAt / 1_000_000
            self.versions = versions?.map { VersionView(version: $0.version, since: $0.since / 1_000_000) }
        }
    }

    struct HoldView: Encodable {
        var id: String
        var object = "agent_hold"
        var team: String?
        var reason: String?
        var createdAt: Int64

        enum CodingKeys: String, CodingKey {
            case id, object, team, reason
            case createdAt = "created_at"
        }

        init(_ hold: AgentHold) {
            self.id = hold.scope
            self.team = hold.teamID?.rawValue
            self.reason = hold.reason
            self.createdAt = hold.createdAt / 1_000_000
        }
    }

    static func scope(of agent: Agent) -> AdminScope {
        AdminScope(orgID: agent.orgID, teamID: agent.teamID)
    }

    /// `POST /admin/v1/agents` with `{"id","name","team","version","description","models",
    /// "tools","offered_tools"}` (`name` required).
    func createAgent(_ request: Request, book: AgentBook) async throws -> Response {
        let caller = try self.authenticate(request, .create, .agent)
        let body = try await Self.agentBody(from: request)
        let id = try Self.newID(try body.optionalString("id"), prefix: "agt_")
        let now = WallClock.unixMicros()
        var agent = Agent(id: id, name: "", createdAt: now, updatedAt: now)
        try await self.apply(body, to: &agent, creating: true)
        try self.require(caller, .create, .agent, in: Self.scope(of: agent))
        try await self.stores.agents.insert(agent)
        try await book.reload()
        let versions = try await self.stores.agents.versions(of: id)
        return try Self.encode(AgentView(agent, snapshot: book.snapshot, versions: versions), status: .created)
    }

    /// `GET /admin/v1/agents?team=&state=`: the agents the caller may read, and the holds in force.
    func listAgents(_ request: Request, book: AgentBook) async throws -> Response {
        let caller = try self.authenticate(request, .read, .agent)
        let parameters = request.uri.queryParameters
        try await book.reload()
        let snapshot = book.snapshot
        var agents: [AgentView] = []
        for agent in snapshot.agents.values.sorted(by: { $0.id < $1.id }) {
            if let team = parameters["team"], agent.teamID?.rawValue != String(team) { continue }
            if let state = parameters["state"], agent.state.rawValue != String(state) { continue }
            guard AdminAuthorization.allows(caller, .read, .agent, in: Self.scope(of: agent)) else { continue }
            agents.append(AgentView(agent, snapshot: snapshot))
        }
        let holds = ([snapshot.all].compactMap { $0 } + snapshot.teams.values.sorted { $0.scope < $1.scope })
            .filter {
                AdminAuthorization.allows(caller, .read, .agent, in: AdminScope(teamID: $0.teamID)) || $0.teamID == nil
            }
        struct List: Encodable {
            var data: [AgentView]
            var holds: [HoldView]
        }
        return try Self.encode(List(data: agents, holds: holds.map(HoldView.init)))
    }

    /// `GET /admin/v1/agents/{id}`: the agent with its version history.
    func getAgent(_ request: Request, id: String, book: AgentBook) async throws -> Response {
        let caller = try self.authenticate(request, .read, .agent)
        let agent = try await self.existingAgent(id)
        try self.require(caller, .read, .agent, in: Self.scope(of: agent))
        let versions = try await self.stores.agents.versions(of: id)
        return try Self.encode(AgentView(agent, snapshot: book.snapshot, versions: versions))
    }

    /// `GET /admin/v1/agents/{id}/stats?from&to` (Unix seconds; default the last 24 hours): its
    /// tasks that ended in the period, overall and per version, against the 7 days before.
    func agentStats(_ request: Request, id: String) async throws -> Response {
        let caller = try self.authenticate(request, .read, .agent)
        if let agent = try await self.stores.agents.agent(id: id) {
            try self.require(caller, .read, .agent, in: Self.scope(of: agent))
        } else if AdminAuthorization.listScope(caller) != .everything {
            throw KeelError.notFound("No agent with id '\(id)'.")
        }
        let parameters = request.uri.queryParameters
        let now = WallClock.unixMicros()
        let to = try Self.integer(parameters["to"], name: "to").map { Int64($0) * 1_000_000 } ?? now
        let from =
            try Self.integer(parameters["from"], name: "from").map { Int64($0) * 1_000_000 } ?? to - 86_400_000_000
        guard from < to else { throw KeelError.invalidRequest("'from' must be before 'to'.", param: "from") }
        return Gateway.json(try await AgentStats.report(agentID: id, from: from, to: to, store: self.stores.agentTasks))
    }

    /// `PATCH /admin/v1/agents/{id}`: changes the members given (`null` clears `models` or
    /// `tools`: any model, any tool). A new `version` enters the version history.
    func updateAgent(_ request: Request, id: String, book: AgentBook) async throws -> Response {
        let caller = try self.authenticate(request, .update, .agent)
        var agent = try await self.existingAgent(id)
        try self.require(caller, .update, .agent, in: Self.scope(of: agent))
        let body = try await Self.agentBody(from: request)
        if let chosen = try body.optionalString("id"), chosen != id {
            throw KeelError.invalidRequest("An agent's id cannot change.", param: "id")
        }
        try await self.apply(body, to: &agent, creating: false)
        try self.require(caller, .update, .agent, in: Self.scope(of: agent))
        agent.updatedAt = WallClock.unixMicros()
        guard try await self.stores.agents.update(agent) else { throw KeelError.notFound("No agent with id '\(id)'.") }
        try await book.reload()
        let versions = try await self.stores.agents.versions(of: id)
        return try Self.encode(AgentView(agent, snapshot: book.snapshot, versions: versions))
    }

    /// `DELETE /admin/v1/agents/{id}`. Its keys stay bound to the id; its version history stays.
    func deleteAgent(_ request: Request, id: String, book: AgentBook) async throws -> Response {
        let caller = try self.authenticate(request, .delete, .agent)
        let agent = try await self.existingAgent(id)
        try self.require(caller, .delete, .agent, in: Self.scope(of: agent))
        guard try await self.stores.agents.delete(id: id) else { throw KeelError.notFound("No agent with id '\(id)'.") }
        try await book.reload()
        return try Self.encode(Deleted(id: id, object: "agent"))
    }

    /// `POST /admin/v1/agents/{id}/suspend` with optional `{"reason"}`, and `…/resume`: the
    /// kill switch for one agent. A suspension halts the agent's requests in flight here at
    /// once, and on the other instances within `agents.sync_interval_ms`.
    func setAgentState(_ request: Request, id: String, suspended: Bool, book: AgentBook) async throws -> Response {
        let caller = try self.authenticate(request, .update, .agent)
        var agent = try await self.existingAgent(id)
        try self.require(caller, .update, .agent, in: Self.scope(of: agent))
        let reason = try await Self.reason(from: request)
        let now = WallClock.unixMicros()
        agent.state = suspended ? .suspended : .active
        agent.suspendedAt = suspended ? now : nil
        agent.suspendedReason = suspended ? reason : nil
        agent.updatedAt = now
        guard try await self.stores.agents.update(agent) else { throw KeelError.notFound("No agent with id '\(id)'.") }
        try await book.reload()
        return try Self.encode(AgentView(agent, snapshot: book.snapshot))
    }

    /// `POST /admin/v1/agent-holds` with `{"team","reason"}`: suspends every agent of `team`, or
    /// every agent when `team` is absent (admins only), registered or only named by
    /// `x-keel-agent`.
    func createAgentHold(_ request: Request, book: AgentBook) async throws -> Response {
        let caller = try self.authenticate(request, .update, .agent)
        let body = try await Self.agentBody(from: request, allowEmpty: true)
        let team = try await self.existingTeam(try body.optionalString("team"), param: "team")
        try self.require(caller, .update, .agent, in: AdminScope(orgID: team?.orgID, teamID: team?.id))
        let reason = try body.optionalString("reason")
        let hold = AgentHold(teamID: team?.id, reason: reason, createdAt: WallClock.unixMicros())
        try await self.stores.agents.setHold(hold)
        try await book.reload()
        return try Self.encode(HoldView(hold), status: .created)
    }

    /// `GET /admin/v1/agent-holds`.
    func listAgentHolds(_ request: Request) async throws -> Response {
        let caller = try self.authenticate(request, .read, .agent)
        let holds = try await self.stores.agents.holds().filter {
            $0.teamID == nil || AdminAuthorization.allows(caller, .read, .agent, in: AdminScope(teamID: $0.teamID))
        }
        struct List: Encodable { var data: [HoldView] }
        return try Self.encode(List(data: holds.map(HoldView.init)))
    }

    /// `DELETE /admin/v1/agent-holds?team=`: lifts the hold of `team`, or the one on every agent.
    /// Agents suspended one by one stay suspended.
    func deleteAgentHold(_ request: Request, book: AgentBook) async throws -> Response {
        let caller = try self.authenticate(request, .update, .agent)
        let teamID = request.uri.queryParameters["team"].map { TeamID(String($0)) }
        let team = try await teamID.asyncMap { id in
            guard let team = try await self.stores.tenancy.team(id: id) else {
                throw KeelError.invalidRequest("Unknown team '\(id)'.", param: "team")
            }
            return team
        }
        try self.require(caller, .update, .agent, in: AdminScope(orgID: team?.orgID, teamID: team?.id))
        guard try await self.stores.agents.removeHold(teamID: teamID) else {
            throw KeelError.notFound(
                teamID.map { "No hold on the agents of team '\($0)'." } ?? "No hold on every agent."
            )
        }
        try await book.reload()
        let scope = AgentHold(teamID: teamID, reason: nil, createdAt: 0).scope
        return try Self.encode(Deleted(id: scope, object: "agent_hold"))
    }

    // MARK: Input

    func existingAgent(_ id: String) async throws -> Agent {
        guard let agent = try await self.stores.agents.agent(id: id) else {
            throw KeelError.notFound("No agent with id '\(id)'.")
        }
        return agent
    }

    static func agentBody(from request: Request, allowEmpty: Bool = false) async throws -> JSONValue {
        try JSONValue.object(
            try await request.body.collect(upTo: 64 << 10),
            allowEmpty: allowEmpty,
            shape:
                "an agent (id, name, team, version, description, models, tools, offered_tools, task_budget, on_budget_exceeded, loops)"
        )
    }

    /// The optional `reason` of a suspension (an empty body has none).
    private static func reason(from request: Request) async throws -> String? {
        try await Self.agentBody(from: request, allowEmpty: true).optionalString("reason")
    }

    /// `nil` for `null`; `.some(nil)` when absent; the strings otherwise.
    private static func optionalStrings(_ body: JSONValue, _ key: String) throws(KeelError) -> [String]?? {
        switch body[key] {
        case nil: return .none
        case .null?: return .some(nil)
        case .array(let items)?:
            var strings: [String] = []
            for item in items {
                guard case .string(let text) = item, !text.isEmpty, text.count <= 200 else {
                    throw .invalidRequest("Invalid '\(key)': expected an array of non-empty strings.", param: key)
                }
                strings.append(text)
            }
            return .some(strings)
        default: throw .invalidRequest("Invalid '\(key)': expected an array of strings, or null.", param: key)
        }
    }

    /// Applies the members of `body` to `agent`, checked: `name` (required on creation), a team
    /// that exists (its organisation becomes the agent's), models that exist (or `*` patterns).
    private func apply(_ body: JSONValue, to agent: inout Agent, creating: Bool) async throws {
        guard case .object(let members) = body else { return }
        let known: Set<String> = [
            "id", "name", "team", "version", "description", "models", "tools", "offered_tools", "task_budget",
            "on_budget_exceeded", "loops", "approvals",
        ]
        if let unknown = members.first(where: { !known.contains($0.key) }) {
            throw KeelError.invalidRequest(
                "Unknown member '\(unknown.key)'; an agent has \(known.sorted().joined(separator: ", ")).",
                param: unknown.key
            )
        }
        if creating || body["name"] != nil {
            agent.name = try Self.name(try body.optionalString("name"))
        }
        if body["team"] != nil {
            let team = try await self.existingTeam(try body.optionalString("team"), param: "team")
            agent.teamID = team?.id
            agent.orgID = team?.orgID
        }
        if let version = try body.optionalString("version") {
            guard !version.isEmpty, version.count <= 64 else {
                throw KeelError.invalidRequest("Invalid 'version': 1 to 64 characters.", param: "version")
            }
            agent.version = version
        }
        if let description = try body.optionalString("description") {
            guard description.count <= 2_000 else {
                throw KeelError.invalidRequest("Invalid 'description': at most 2000 characters.", param: "description")
            }
            agent.description = description
        }
        if case .some(let models) = try Self.optionalStrings(body, "models") {
            for model in models ?? [] where !model.contains("*") && self.registry.entries[model] == nil {
                throw KeelError.invalidRequest("Unknown model '\(model)'.", param: "models")
            }
            agent.models = models
        }
        if case .some(let tools) = try Self.optionalStrings(body, "tools") {
            for tool in tools ?? [] where tool.split(separator: "/", omittingEmptySubsequences: false).count > 2 {
                throw KeelError.invalidRequest(
                    "Invalid tool '\(tool)': 'tool' or 'server/tool', either part may hold '*'.",
                    param: "tools"
                )
            }
            agent.tools = tools
        }
        if let member = body["task_budget"] {
            let budget = try TaskJSON.budget(member, param: "task_budget")
            agent.taskBudget = budget.isEmpty ? nil : budget
        }
        if let text = try body.optionalString("on_budget_exceeded") {
            guard let action = Agent.BudgetAction(rawValue: text) else {
                throw KeelError.invalidRequest(
                    "Invalid 'on_budget_exceeded': fail or pause.",
                    param: "on_budget_exceeded"
                )
            }
            agent.onBudgetExceeded = action
        }
        if let text = try body.optionalString("loops") {
            guard let action = Agent.LoopAction(rawValue: text) else {
                throw KeelError.invalidRequest("Invalid 'loops': warn, pause, stop or off.", param: "loops")
            }
            agent.loops = action
        }
        if let member = body["approvals"] {
            agent.approvals = try Self.approvals(member)
        }
        if let text = try body.optionalString("offered_tools") {
            guard let action = Agent.OfferedToolAction(rawValue: text) else {
                throw KeelError.invalidRequest("Invalid 'offered_tools': refuse or remove.", param: "offered_tools")
            }
            agent.offeredTools = action
        }
    }

    /// Reads `approvals`: `{"tools": [patterns], "quorum": 1–10 (1), "timeout_seconds":
    /// 1–86400 (300)}`, or `null` (no gate).
    static func approvals(_ value: JSONValue) throws(KeelError) -> ApprovalPolicy? {
        if value == .null { return nil }
        guard case .object(let members) = value else {
            throw .invalidRequest("Invalid 'approvals': an object of tools, quorum, timeout_seconds.", param: "approvals")
        }
        var policy = ApprovalPolicy()
        for member in members {
            switch member.key {
            case "tools":
                guard let tools = member.value.array?.compactMap(\.string), tools.count == member.value.array?.count else {
                    throw .invalidRequest("Invalid 'approvals.tools': a list of tool patterns.", param: "approvals.tools")
                }
                policy.tools = tools
            case "quorum":
                guard let quorum = member.value.int, (1...10).contains(quorum) else {
                    throw .invalidRequest("Invalid 'approvals.quorum': 1 to 10 approvals.", param: "approvals.quorum")
                }
                policy.quorum = quorum
            case "timeout_seconds":
                guard let seconds = member.value.int, (1...86_400).contains(seconds) else {
                    throw .invalidRequest("Invalid 'approvals.timeout_seconds': 1 to 86400.", param: "approvals.timeout_seconds")
                }
                policy.timeoutSeconds = seconds
            default:
                throw .invalidRequest(
                    "Unknown member 'approvals.\(member.key)'; approvals have tools, quorum, timeout_seconds.",
                    param: "approvals.\(member.key)")
            }
        }
        return policy
    }
}
