public import KeelCore

/// What `GET /admin/v1/escalations` asks for.
public struct EscalationQuery: Sendable, Equatable {
    public var state: Escalation.State?
    public var agentID: String?
    public var taskID: String?
    public var teamID: TeamID?
    public var limit: Int

    public init(
        state: Escalation.State? = nil,
        agentID: String? = nil,
        taskID: String? = nil,
        teamID: TeamID? = nil,
        limit: Int = 100
    ) {
        self.state = state
        self.agentID = agentID
        self.taskID = taskID
        self.teamID = teamID
        self.limit = limit
    }
}

/// Escalations (`escalation`): questions for humans and their decisions, shared by every
/// instance (a call held on one is decided through the admin API of any).
public protocol EscalationStore: Sendable {
    func insert(_ escalation: Escalation) async throws
    func escalation(id: String) async throws -> Escalation?
    /// Newest first.
    func escalations(matching query: EscalationQuery) async throws -> [Escalation]
    /// Counts one reviewer's vote on a pending escalation (``Escalation/counting(_:usableFor:)``),
    /// atomically: the escalation after it. Throws ``StorageError`` `.conflict` when it is no
    /// longer pending or the reviewer voted already; `nil` when there is none.
    func vote(id: String, _ vote: Escalation.Vote, usableFor: Int64) async throws -> Escalation?
    /// Marks a pending escalation past its deadline `expired`; the escalation as it is then.
    func expireIfDue(id: String, now: Int64) async throws -> Escalation?
    /// The pending or approved, unused and unexpired escalation of this exact call, if any
    /// (a call asked again while it waits, or once approved).
    func openCall(
        agentID: String,
        server: String?,
        tool: String,
        argumentsSHA256: String,
        taskID: String?,
        now: Int64
    )
        async throws -> Escalation?
    /// Uses an approval: `true` when it was approved, unused and unexpired (and now is used).
    func consume(id: String, now: Int64) async throws -> Bool
}
