import KeelCore
import Logging
import Synchronization

/// The live routing state of one model's deployments: their circuit breakers, in-flight counts,
/// latency averages and RPM/TPM windows (a ``RoutingTable``), shared by every request to the
/// model and kept behind one lock that is held only to plan, begin or complete an attempt —
/// never across an upstream call.
final class DeploymentGroup: Sendable {
    typealias Table = RoutingTable<ContinuousClock.Instant>

    /// What a breaker that opened tells: the deployment's index, why, and its trip count.
    typealias TripListener = @Sendable (_ deployment: Int, _ reason: String, _ trip: Int) -> Void

    private let table: Mutex<Table>
    let configuration: RoutingConfiguration
    private let onTrip: TripListener?

    init(configuration: RoutingConfiguration, onTrip: TripListener? = nil) {
        self.configuration = configuration
        self.table = Mutex(Table(configuration: configuration, origin: .now))
        self.onTrip = onTrip
    }

    /// The deployments to try for one request, first choice first.
    func plan(estimatedTokens: Int) -> [Table.Candidate] {
        var generator = SystemRandomNumberGenerator()
        return self.table.withLock { $0.candidates(estimatedTokens: estimatedTokens, at: .now, using: &generator) }
    }

    func begin(_ candidate: Table.Candidate, estimatedTokens: Int) -> Table.Start {
        self.table.withLock { $0.begin(candidate, estimatedTokens: estimatedTokens, at: .now) }
    }

    /// Ends an attempt; logs a breaker transition (outside the lock).
    func complete(_ lease: Table.Lease, outcome: AttemptOutcome, usedTokens: Int?, deployment: String, logger: Logger) {
        let transition = self.table.withLock { $0.complete(lease, outcome: outcome, usedTokens: usedTokens, at: .now) }
        Self.log(transition, deployment: deployment, logger: logger)
        self.tell(transition, index: lease.deployment)
    }

    /// A stream of deployment `index` broke after its first token (its attempt had completed as a
    /// success): the breaker counts the failure.
    func recordLateFailure(deployment index: Int, kind: UpstreamFailureKind, name: String, logger: Logger) {
        let transition = self.table.withLock { $0.recordLateFailure(deployment: index, kind: kind, at: .now) }
        Self.log(transition, deployment: name, logger: logger)
        self.tell(transition, index: index)
    }

    private func tell(_ transition: CircuitBreaker<ContinuousClock.Instant>.Transition?, index: Int) {
        guard let onTrip = self.onTrip, case .opened(_, let reason, let trip)? = transition else { return }
        onTrip(index, "\(reason)", trip)
    }

    private static func log(
        _ transition: CircuitBreaker<ContinuousClock.Instant>.Transition?,
        deployment: String,
        logger: Logger
    ) {
        guard let transition else { return }
        switch transition {
        case .opened(let until, let reason, let trip):
            logger.warning(
                "Circuit breaker opened",
                metadata: [
                    LogKey.deployment: "\(deployment)", "keel.breaker.reason": "\(reason)",
                    "keel.breaker.trip": "\(trip)",
                    "keel.breaker.cooldown_ms": "\((until - .now).microseconds / 1_000)",
                ]
            )
        case .closed:
            logger.info("Circuit breaker closed", metadata: [LogKey.deployment: "\(deployment)"])
        case .rateLimited:
            break
        }
    }

    /// A snapshot of every deployment's health, in configuration order.
    func health() -> [DeploymentHealth<ContinuousClock.Instant>] {
        self.table.withLock { $0.deployments }
    }
}
