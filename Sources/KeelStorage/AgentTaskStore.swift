public import KeelCore

/// The end of one agent task, as the agent reported it.
public struct AgentTaskEnd: Sendable, Equatable {
    public var taskID: String
    public var agentID: String?
    public var outcome: AgentTask.Outcome
    /// When it was reported, in µs since the Unix epoch.
    public var endedAt: Int64
    /// The key that reported it, and that key's team.
    public var keyID: KeyID?
    public var teamID: TeamID?

    public init(
        taskID: String, agentID: String? = nil, outcome: AgentTask.Outcome, endedAt: Int64, keyID: KeyID? = nil,
        teamID: TeamID? = nil
    ) {
        self.taskID = taskID
        self.agentID = agentID
        self.outcome = outcome
        self.endedAt = endedAt
        self.keyID = keyID
        self.teamID = teamID
    }
}

/// What the records of one task add up to.
public struct AgentTaskTotals: Sendable, Equatable {
    public var requests: Int
    public var cost: USDNanos

    public init(requests: Int, cost: USDNanos) {
        self.requests = requests
        self.cost = cost
    }
}

/// Agent task outcomes (`agent_task`): each task ends at most once, across every instance that
/// shares the database, so its outcome is counted once.
public protocol AgentTaskStore: Sendable {
    /// Stores `task` unless its task has already ended: `true` when stored, `false` when a row
    /// for `task.taskID` was already there (which is left as it was). Atomic: of concurrent
    /// calls for one task, on any instance, exactly one returns `true`.
    func end(_ task: AgentTaskEnd) async throws -> Bool

    /// How `taskID` ended; `nil` while it has not.
    func task(_ taskID: String) async throws -> AgentTaskEnd?

    /// The number and total cost of the request records of `taskID` stored so far, only those
    /// `within` the scope when one is given (a record is in it when its team or its key is).
    func totals(ofTask taskID: String, within: RequestRecordQuery.Scope?) async throws -> AgentTaskTotals
}
