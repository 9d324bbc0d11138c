public import KeelCore

/// The agent registry (`agent`), each agent's version history (`agent_version`) and the
/// suspensions of many agents at once (`agent_hold`).
///
/// Every instance checks ``stamp()`` every `agents.sync_interval_ms` and reads the registry again
/// when it changed, so a change made on one instance applies on all of them within that interval.
public protocol AgentStore: Sendable {
    /// Every registered agent, by id.
    func agents() async throws -> [Agent]
    func agent(id: String) async throws -> Agent?
    /// Registers `agent` and its first version; an id that exists throws ``StorageError``
    /// `.conflict`.
    func insert(_ agent: Agent) async throws
    /// Replaces the agent with `agent.id`; when its version changed, the new version enters the
    /// history (at `agent.updatedAt`). `false` when there is no such agent.
    func update(_ agent: Agent) async throws -> Bool
    /// Deletes the agent (its version history stays); `false` when there is none.
    func delete(id: String) async throws -> Bool
    /// The versions of `agentID`, oldest first.
    func versions(of agentID: String) async throws -> [AgentVersion]

    /// Every suspension of many agents in force.
    func holds() async throws -> [AgentHold]
    /// Puts `hold` in force, replacing one of the same scope.
    func setHold(_ hold: AgentHold) async throws
    /// Lifts the hold of `teamID` (`nil`: the one on every agent); `false` when there was none.
    func removeHold(teamID: TeamID?) async throws -> Bool

    /// Every agent's pinned MCP tool definitions.
    func toolPins() async throws -> [ToolPin]
    /// Pins a tool first seen; `false` when the agent has a pin for it already.
    func pinIfAbsent(_ pin: ToolPin) async throws -> Bool
    /// Holds a changed definition of a pinned tool for approval (the latest one seen).
    func holdChangedTool(
        agentID: String,
        server: String,
        tool: String,
        sha256: String,
        definition: String,
        at: Int64
    )
        async throws
    /// Makes the pending definition the approved one; the pin after it, or `nil` when none was
    /// pending.
    func approveTool(agentID: String, server: String, tool: String, at: Int64) async throws -> ToolPin?

    /// A value that changes whenever an agent, a hold or a tool pin is added, changed or removed,
    /// so instances can tell cheaply whether to read the registry again.
    func stamp() async throws -> String
}
