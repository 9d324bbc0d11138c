import KeelCore
import Synchronization

/// The requests of agents in flight, so the kill switch can stop them where they are.
///
/// Every admitted request attributed to an agent (by its key or by `x-keel-agent`) holds an
/// ``AgentFlight`` for as long as it runs: its admission, its route and its stream relay hold the
/// object, and it leaves the registry when the last of them lets go. ``halt(where:)`` marks the
/// matching flights halted and runs what each registered to stop itself (cancel its upstream
/// call, close its upstream stream).
final class AgentFlights: Sendable {
    private struct Entry {
        weak var flight: AgentFlight?
    }

    private let flights = Mutex<[ObjectIdentifier: Entry]>([:])

    init() {}

    /// A flight of `agentID`, in the registry until it is released.
    func begin(agentID: String, teamID: TeamID?) -> AgentFlight {
        let flight = AgentFlight(agentID: agentID, teamID: teamID, registry: self)
        self.flights.withLock { $0[ObjectIdentifier(flight)] = Entry(flight: flight) }
        return flight
    }

    fileprivate func remove(_ id: ObjectIdentifier) {
        _ = self.flights.withLock { $0.removeValue(forKey: id) }
    }

    /// How many flights are in the registry.
    var count: Int { self.flights.withLock { $0.count } }

    /// Halts every flight whose agent and team `matches`, with `error`; returns how many.
    @discardableResult
    func halt(with error: KeelError, where matches: (_ agentID: String, _ teamID: TeamID?) -> Bool) -> Int {
        // Taken out under the lock, matched outside it: a flight whose last owner lets go while
        // it is in this list ends (and leaves the registry) once the list is released, after
        // the lock.
        let live = self.flights.withLock { flights in flights.values.compactMap(\.flight) }
        var halted = 0
        for flight in live where matches(flight.agentID, flight.teamID) && flight.halt(with: error) { halted += 1 }
        return halted
    }
}

/// One agent request in flight: whether the kill switch halted it, and how to stop it.
final class AgentFlight: Sendable {
    let agentID: String
    /// The team the request counts against: its agent's, else its key's.
    let teamID: TeamID?
    private let registry: AgentFlights

    private struct State {
        var halt: KeelError?
        var nextToken = 0
        var onHalt: [Int: @Sendable () -> Void] = [:]
    }

    private let state = Mutex(State())

    fileprivate init(agentID: String, teamID: TeamID?, registry: AgentFlights) {
        self.agentID = agentID
        self.teamID = teamID
        self.registry = registry
    }

    deinit {
        self.registry.remove(ObjectIdentifier(self))
    }

    /// The error that halted it, once halted.
    var haltError: KeelError? { self.state.withLock { $0.halt } }

    /// Marks it halted and runs what was registered; `false` when it already was.
    fileprivate func halt(with error: KeelError) -> Bool {
        let actions = self.state.withLock { state -> [@Sendable () -> Void]? in
            guard state.halt == nil else { return nil }
            state.halt = error
            defer { state.onHalt = [:] }
            return Array(state.onHalt.values)
        }
        guard let actions else { return false }
        for action in actions { action() }
        return true
    }

    /// Registers `action` to run when the flight is halted (at once when it already is); the
    /// token removes it.
    func onHalt(_ action: @escaping @Sendable () -> Void) -> Int {
        let token = self.state.withLock { state -> Int? in
            guard state.halt == nil else { return nil }
            state.nextToken += 1
            state.onHalt[state.nextToken] = action
            return state.nextToken
        }
        guard let token else {
            action()
            return 0
        }
        return token
    }

    func removeOnHalt(_ token: Int) {
        _ = self.state.withLock { $0.onHalt.removeValue(forKey: token) }
    }

    /// Runs `body` in a task of its own that a halt cancels (as does cancelling the caller).
    func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let task = Task { try await body() }
        let token = self.onHalt { task.cancel() }
        defer { self.removeOnHalt(token) }
        return try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    }
}
