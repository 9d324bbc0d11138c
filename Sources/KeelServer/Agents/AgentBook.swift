import KeelCore
import KeelStorage
import Logging
import Synchronization

/// The agent registry as the data plane sees it: every registered agent and every suspension of
/// many agents, in memory, and the agents' requests in flight.
///
/// The request path asks ``admit(agentID:principal:model:)``: one lock, no database. A change
/// through the admin API reloads the book at once on its instance; ``PeriodicReload`` reloads it
/// on every instance each `agents.sync_interval_ms` when the store's stamp changed. A reload that
/// finds an agent newly suspended (alone, by its team, or with every agent) halts that agent's
/// requests in flight.
final class AgentBook: Sendable {
    let store: any AgentStore
    /// `agents.require_registration`: `x-keel-agent` must name a registered agent.
    let requiresRegistration: Bool
    let flights = AgentFlights()
    /// Where `tool_definition_changed` alerts go.
    let alerts: AlertService?
    let logger: Logger
    private let state = Mutex(Snapshot())

    struct Snapshot: Sendable {
        var agents: [String: Agent] = [:]
        /// The suspension of every agent, when in force.
        var all: AgentHold?
        var teams: [TeamID: AgentHold] = [:]
        /// The agents' pinned MCP tool definitions, by ``AgentBook/pinKey(_:_:_:)``.
        var pins: [String: ToolPin] = [:]
    }

    init(store: any AgentStore, requiresRegistration: Bool, alerts: AlertService? = nil, logger: Logger) {
        self.store = store
        self.requiresRegistration = requiresRegistration
        self.alerts = alerts
        self.logger = logger
    }

    var snapshot: Snapshot { self.state.withLock { $0 } }

    /// Runs `body` on the snapshot under its lock.
    func withSnapshot<T: Sendable>(_ body: (inout Snapshot) -> T) -> T { self.state.withLock { body(&$0) } }

    /// The store's stamp when the registry was last read.
    private let readStamp = Mutex<String?>(nil)

    /// Reads the registry again when the store's stamp changed since the last read (the
    /// periodic sync: most rounds read one row).
    func reloadIfChanged() async throws {
        let stamp = try await self.store.stamp()
        guard stamp != self.readStamp.withLock({ $0 }) else { return }
        try await self.reload(stamp: stamp)
    }

    /// Reads the registry again, replaces the snapshot, and halts the requests in flight of
    /// every agent the new snapshot suspends.
    func reload() async throws {
        try await self.reload(stamp: try await self.store.stamp())
    }

    private func reload(stamp: String) async throws {
        let agents = try await self.store.agents()
        let holds = try await self.store.holds()
        let pins = try await self.store.toolPins()
        var next = Snapshot()
        for agent in agents { next.agents[agent.id] = agent }
        for pin in pins { next.pins[Self.pinKey(pin.agentID, pin.server, pin.tool)] = pin }
        for hold in holds {
            if let team = hold.teamID { next.teams[team] = hold } else { next.all = hold }
        }
        self.state.withLock { $0 = next }
        self.readStamp.withLock { $0 = stamp }
        self.haltSuspended(next)
    }

    /// Halts the flights that `snapshot` no longer admits.
    private func haltSuspended(_ snapshot: Snapshot) {
        guard
            snapshot.all != nil || !snapshot.teams.isEmpty
                || snapshot.agents.values.contains(where: { $0.state == .suspended })
        else { return }
        let halted = self.flights.halt(with: .agentSuspended("The agent was suspended while this request ran.")) {
            agentID,
            teamID in
            Self.suspension(of: agentID, team: teamID, in: snapshot) != nil
        }
        if halted > 0 {
            self.logger.notice("Suspended agents' requests halted", metadata: ["keel.agents.halted": "\(halted)"])
        }
    }

    /// Why `agentID` of `team` may not run now, or `nil` when it may.
    static func suspension(of agentID: String, team: TeamID?, in snapshot: Snapshot) -> String? {
        Self.suspension(of: agentID, registered: snapshot.agents[agentID], team: team, in: snapshot)
    }

    /// Why `agentID`, registered as `agent` (`nil`: a name only), may not run under the holds of
    /// `snapshot`, or `nil` when it may.
    static func suspension(
        of agentID: String,
        registered agent: Agent?,
        team: TeamID?,
        in snapshot: Snapshot
    ) -> String? {
        if let all = snapshot.all {
            return "Every agent is suspended" + (all.reason.map { ": \($0)" } ?? ".")
        }
        if let team = agent?.teamID ?? team, let hold = snapshot.teams[team] {
            return "The agents of team '\(team)' are suspended" + (hold.reason.map { ": \($0)" } ?? ".")
        }
        if let agent, agent.state == .suspended {
            return "The agent '\(agentID)' is suspended" + (agent.suspendedReason.map { ": \($0)" } ?? ".")
        }
        return nil
    }

    /// Checks a request attributed to `agentID` of `principal` that calls `model` (`nil`: a tool
    /// call, which calls none); returns the
    /// registered agent (`nil` for an unregistered agent name) and the request's flight.
    ///
    /// - Throws: `agent_suspended` (403) when the agent, its team or every agent is suspended;
    ///   `agent_scope_violation` (403) when the agent is not registered and registration is
    ///   required, when the agent belongs to another team or organisation than the key, or when
    ///   it may not call `model`.
    func admit(agentID: String, principal: Principal, model: String?) throws(KeelError) -> (Agent?, AgentFlight) {
        let (agent, suspension) = self.state.withLock { snapshot in
            (snapshot.agents[agentID], Self.suspension(of: agentID, team: principal.teamID, in: snapshot))
        }
        if let suspension { throw .agentSuspended(suspension) }
        if let agent {
            if principal.agentID == nil, !principal.isAdmin, Self.belongsElsewhere(agent, principal) {
                throw .agentScopeViolation(
                    "The agent '\(agentID)' belongs to another team; this key cannot act as it.",
                    param: "x-keel-agent"
                )
            }
            if let model, !agent.mayCall(model: model) {
                throw .agentScopeViolation("The agent '\(agentID)' may not call the model '\(model)'.", param: "model")
            }
        } else if self.requiresRegistration {
            throw .agentScopeViolation(
                "The agent '\(agentID)' is not registered, and this gateway admits registered agents only.",
                param: "x-keel-agent"
            )
        }
        return (agent, self.flights.begin(agentID: agentID, teamID: agent?.teamID ?? principal.teamID))
    }

    /// Whether `agent` is owned by a team or organisation other than the key's (a key bound to
    /// neither may name any agent).
    private static func belongsElsewhere(_ agent: Agent, _ principal: Principal) -> Bool {
        if let team = agent.teamID, let keyTeam = principal.teamID, team != keyTeam { return true }
        if let org = agent.orgID, let keyOrg = principal.orgID, org != keyOrg { return true }
        return false
    }
}
