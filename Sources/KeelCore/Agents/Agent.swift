/// A registered agent: who owns it, what it may use, and whether it may run.
///
/// Agents are made through `/admin/v1/agents` (or `keel agents create`) and bound to keys
/// (`keys[].agent`): a request with such a key is the agent's, whatever its `x-keel-agent` says.
/// The data plane holds them in memory (`AgentBook`) and refuses, in the client's dialect, a
/// request of a suspended agent (`agent_suspended`) or one outside its scope
/// (`agent_scope_violation`).
public struct Agent: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable, CaseIterable {
        case active
        case suspended
    }

    /// What happens to a task that exceeds its budget: its next call is refused either way.
    public enum BudgetAction: String, Sendable, Codable, CaseIterable {
        /// The task fails.
        case fail
        /// The task waits for a human to extend its budget (`awaiting_approval`).
        case pause
    }

    /// What happens when a task of the agent goes round in circles (``LoopDetector``).
    public enum LoopAction: String, Sendable, Codable, CaseIterable {
        /// An `agent_loop` alert; the task goes on.
        case warn
        /// The call is refused and the task waits for a human to resume it.
        case pause
        /// The call is refused and the task fails.
        case stop
        /// No detection.
        case off
    }

    /// What happens to a request that offers the model a tool outside ``tools``.
    public enum OfferedToolAction: String, Sendable, Codable, CaseIterable {
        /// The request is refused (403 `agent_scope_violation`).
        case refuse
        /// The tool is taken out of the request, which goes on without it.
        case remove
    }

    /// 1 to 128 printable ASCII characters (``AgentTask/isValidID(_:)``), as in `x-keel-agent`.
    public var id: String
    public var name: String
    /// The owning organisation: the team's when the agent has a team.
    public var orgID: OrgID?
    /// The owning team.
    public var teamID: TeamID?
    /// The version the agent runs now; a change is kept in the agent's version history.
    public var version: String
    public var description: String
    /// The models the agent may call (exact names or `*` patterns); `nil`: every model its key
    /// may use.
    public var models: [String]?
    /// The tools the agent may be offered and call, as ``AgentToolPattern``s; `nil`: any tool.
    public var tools: [String]?
    public var offeredTools: OfferedToolAction
    /// The budget of each of its tasks, unless a task sets its own (limit by limit).
    public var taskBudget: TaskBudget?
    /// `nil`: `fail`.
    public var onBudgetExceeded: BudgetAction?
    /// `nil`: `warn`.
    public var loops: LoopAction?
    /// Which of its tool calls wait for a human; `nil`: none.
    public var approvals: ApprovalPolicy?
    public var state: State
    /// When and why it was last suspended (Unix µs), while it is.
    public var suspendedAt: Int64?
    public var suspendedReason: String?
    /// Unix µs.
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(
        id: String,
        name: String,
        orgID: OrgID? = nil,
        teamID: TeamID? = nil,
        version: String = "1",
        description: String = "",
        models: [String]? = nil,
        tools: [String]? = nil,
        offeredTools: OfferedToolAction = .refuse,
        taskBudget: TaskBudget? = nil,
        onBudgetExceeded: BudgetAction? = nil,
        loops: LoopAction? = nil,
        approvals: ApprovalPolicy? = nil,
        state: State = .active,
        suspendedAt: Int64? = nil,
        suspendedReason: String? = nil,
        createdAt: Int64,
        updatedAt: Int64
    ) {
        self.id = id
        self.name = name
        self.orgID = orgID
        self.teamID = teamID
        self.version = version
        self.description = description
        self.models = models
        self.tools = tools
        self.offeredTools = offeredTools
        self.taskBudget = taskBudget
        self.onBudgetExceeded = onBudgetExceeded
        self.loops = loops
        self.approvals = approvals
        self.state = state
        self.suspendedAt = suspendedAt
        self.suspendedReason = suspendedReason
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, version, description, models, tools, state, loops, approvals
        case orgID = "org_id"
        case teamID = "team_id"
        case offeredTools = "offered_tools"
        case taskBudget = "task_budget"
        case onBudgetExceeded = "on_budget_exceeded"
        case suspendedAt = "suspended_at"
        case suspendedReason = "suspended_reason"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    /// Whether the agent may call `model`.
    public func mayCall(model: String) -> Bool {
        guard let models = self.models else { return true }
        return models.contains { AgentToolPattern.glob($0, matches: model) }
    }

    /// Whether the agent may use the tool `tool` of the MCP server `server` (`nil`: a function
    /// offered to a model in a chat request).
    public func mayUse(tool: String, server: String? = nil) -> Bool {
        guard let tools = self.tools else { return true }
        return tools.contains { AgentToolPattern($0).matches(tool: tool, server: server) }
    }
}

/// An entry of an agent's `tools`: `server/tool` for a tool of an MCP server fronted by Keel,
/// or `tool` for a tool of any server and a function offered to a model in a chat request; either
/// part may hold `*` wildcards (`github/*`, `*/read_*`, `search`).
public struct AgentToolPattern: Sendable, Equatable {
    public let server: String?
    public let tool: String

    public init(_ text: String) {
        if let slash = text.firstIndex(of: "/") {
            self.server = String(text[..<slash])
            self.tool = String(text[text.index(after: slash)...])
        } else {
            self.server = nil
            self.tool = text
        }
    }

    /// Whether the pattern names `tool` of `server` (`nil`: a chat request's function, which only
    /// a pattern without a server, or with the server `*`, names).
    public func matches(tool: String, server: String?) -> Bool {
        guard Self.glob(self.tool, matches: tool) else { return false }
        guard let pattern = self.server else { return true }
        guard let server else { return pattern == "*" }
        return Self.glob(pattern, matches: server)
    }

    /// Whether `text` matches `pattern`, where `*` stands for any run of characters (none
    /// included): ``NamePattern/matches(_:_:)``, the policies' matcher (linear in practice, no
    /// backtracking blow-up).
    public static func glob(_ pattern: String, matches text: String) -> Bool {
        NamePattern.matches(pattern, text)
    }
}

/// A suspension of many agents at once: every agent, or every agent of a team, registered or
/// only named by `x-keel-agent`. Lifting it leaves agents suspended one by one as they were.
public struct AgentHold: Sendable, Equatable {
    /// `nil`: every agent.
    public var teamID: TeamID?
    public var reason: String?
    /// Unix µs.
    public var createdAt: Int64

    public init(teamID: TeamID?, reason: String?, createdAt: Int64) {
        self.teamID = teamID
        self.reason = reason
        self.createdAt = createdAt
    }

    /// `*` for every agent, `team:<id>` for a team's: the hold's key in the store.
    public var scope: String { self.teamID.map { "team:" + $0.rawValue } ?? "*" }
}

/// One version of an agent, from when it was first registered under it.
public struct AgentVersion: Sendable, Equatable {
    public var agentID: String
    public var version: String
    /// Unix µs.
    public var since: Int64

    public init(agentID: String, version: String, since: Int64) {
        self.agentID = agentID
        self.version = version
        self.since = since
    }
}
