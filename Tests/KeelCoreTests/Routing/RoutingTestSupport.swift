import KeelCore

/// A hand-driven instant for routing tests: an offset from an arbitrary zero, so every test sees
/// the same times on every run and nothing sleeps.
struct RoutingTestInstant: InstantProtocol, CustomStringConvertible {
    var offset: Duration

    static let zero = Self(offset: .zero)

    static func seconds(_ seconds: Double) -> Self {
        Self(offset: .milliseconds(Int64(seconds * 1_000)))
    }

    func advanced(by duration: Duration) -> Self { Self(offset: self.offset + duration) }
    func duration(to other: Self) -> Duration { other.offset - self.offset }
    static func < (lhs: Self, rhs: Self) -> Bool { lhs.offset < rhs.offset }

    var description: String { "t+\(self.offset)" }
}

/// A manual clock over ``RoutingTestInstant``.
struct RoutingTestClock {
    private(set) var now = RoutingTestInstant.zero

    mutating func advance(by duration: Duration) { self.now = self.now.advanced(by: duration) }
    mutating func advance(to instant: RoutingTestInstant) { self.now = instant }
}

/// SplitMix64, seeded: the same draws on every run and machine.
struct RoutingSeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

typealias TestBreaker = CircuitBreaker<RoutingTestInstant>
typealias TestTable = RoutingTable<RoutingTestInstant>

extension RoutingTable where Instant == RoutingTestInstant {
    /// The deployment indices of a plan at `now`.
    func plan(estimatedTokens: Int = 0, at now: RoutingTestInstant, seed: UInt64 = 1) -> [Int] {
        var generator = RoutingSeededGenerator(seed: seed)
        return self.candidates(estimatedTokens: estimatedTokens, at: now, using: &generator).map(\.deployment)
    }

    /// Starts an ordinary attempt on `deployment`, which must be admitted.
    mutating func start(_ deployment: Int, estimatedTokens: Int = 0, at now: RoutingTestInstant) -> Lease? {
        guard
            case .started(let lease) = self.begin(
                Candidate(deployment: deployment),
                estimatedTokens: estimatedTokens,
                at: now
            )
        else {
            return nil
        }
        return lease
    }

    /// One attempt on `deployment` that ends at once with `outcome`; the breaker's transition.
    @discardableResult
    mutating func attempt(
        _ deployment: Int,
        _ outcome: AttemptOutcome,
        at now: RoutingTestInstant
    ) -> CircuitBreaker<RoutingTestInstant>.Transition? {
        guard let lease = self.start(deployment, at: now) else { return nil }
        return self.complete(lease, outcome: outcome, at: now)
    }

    /// Fails `deployment` until its breaker opens (at most 100 attempts), whatever its limits.
    mutating func trip(_ deployment: Int, at now: RoutingTestInstant) {
        for _ in 0..<100 {
            guard
                case .started(let lease) = self.begin(
                    Candidate(deployment: deployment, isLastResort: true),
                    estimatedTokens: 0,
                    at: now
                )
            else { continue }
            if case .opened = self.complete(lease, outcome: .failure(.serverError(status: 503)), at: now) { return }
        }
    }
}

extension AttemptOutcome {
    static func ok(ttft: Duration? = nil, latency: Duration = .milliseconds(100)) -> Self {
        .success(timeToFirstToken: ttft, latency: latency)
    }
}
