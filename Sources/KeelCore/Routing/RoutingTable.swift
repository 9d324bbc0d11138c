/// The routing state of one model group: every deployment's breaker, load, latency and limits.
///
/// A pure value, following STYLE C5: no clock, no I/O, time passed in. The owner keeps one table
/// per model group behind a `Mutex` and, for each request:
///
/// ```swift
/// let plan = table.withLock { $0.candidates(estimatedTokens: estimate, at: clock.now, using: &rng) }
/// for candidate in plan {
///     guard case .started(let lease) = table.withLock({ $0.begin(candidate, estimatedTokens: estimate, at: clock.now) })
///     else { continue }                       // state changed since planning: next candidate
///     let outcome = await send(to: routes[candidate.deployment])   // outside the lock
///     let transition = table.withLock { $0.complete(lease, outcome: outcome, usedTokens: used, at: clock.now) }
///     log(transition)                          // outside the lock
/// }
/// ```
///
/// Every ``begin(_:estimatedTokens:at:)`` that answers `.started` must be followed by exactly one
/// ``complete(_:outcome:usedTokens:at:)`` with its lease, or in-flight counts and half-open probes
/// leak (a lost probe is freed after ``CircuitBreakerConfiguration/probeTimeout``).
///
/// Cost per request: the candidate array (one allocation); everything else is preallocated.
public struct RoutingTable<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    /// One deployment to try, in a plan from ``candidates(estimatedTokens:at:using:)``.
    public struct Candidate: Sendable, Equatable {
        /// Index of the deployment in the configuration.
        public let deployment: Int
        /// Whether this is the last resort of a group whose deployments are all refused; ``begin(_:estimatedTokens:at:)``
        /// then starts it whatever its breaker and limits say.
        public let isLastResort: Bool

        public init(deployment: Int, isLastResort: Bool = false) {
            self.deployment = deployment
            self.isLastResort = isLastResort
        }
    }

    /// A started attempt; hand it back to ``complete(_:outcome:usedTokens:at:)``.
    public struct Lease: Sendable, Equatable {
        /// Index of the deployment in the configuration.
        public let deployment: Int
        /// Whether the attempt is its breaker's half-open probe.
        public let isProbe: Bool
        /// Whether the attempt was started as a last resort.
        public let isLastResort: Bool
        /// Tokens reserved against the deployment's TPM when it started.
        public let reservedTokens: Int
        /// When it started.
        public let startedAt: Instant
    }

    /// The answer to ``begin(_:estimatedTokens:at:)``.
    public enum Start: Sendable, Equatable {
        /// Send the request; complete the lease afterwards.
        case started(Lease)
        /// Do not send it; the deployment is refused until `until` (its breaker, or its limits,
        /// changed since the plan was made). Try the next candidate.
        case refused(until: Instant)
    }

    /// The group's settings, fixed for the table's life: a new configuration builds a new table.
    public let configuration: RoutingConfiguration
    /// Per-deployment state, in configuration order.
    public private(set) var deployments: [DeploymentHealth<Instant>]

    /// A table with every breaker closed and nothing measured. `origin` is the current instant
    /// (no later than the first event).
    public init(configuration: RoutingConfiguration, origin: Instant) {
        self.configuration = configuration
        self.deployments = configuration.deployments.map {
            DeploymentHealth(limits: $0, breaker: configuration.breaker, origin: origin)
        }
    }

    /// Starts an attempt on `candidate` at `now`: counts it in flight and against the RPM limit,
    /// and reserves `estimatedTokens` against the TPM limit.
    ///
    /// An ordinary candidate is checked again (limits, then breaker), since other requests may
    /// have changed the state since the plan: a breaker ready for a probe gives the probe slot to
    /// this attempt, or refuses it when another took it. A last-resort candidate always starts;
    /// an open breaker makes it its probe.
    public mutating func begin(_ candidate: Candidate, estimatedTokens: Int, at now: Instant) -> Start {
        let index = candidate.deployment
        precondition(self.deployments.indices.contains(index), "candidate of another routing table")
        let admission: CircuitBreaker<Instant>.Admission
        if candidate.isLastResort {
            admission = self.deployments[index].breaker.admitLastResort(at: now)
        } else {
            if self.deployments[index].isOverLimit(estimatedTokens: estimatedTokens, at: now) {
                return .refused(until: self.deployments[index].readyAt(now, estimatedTokens: estimatedTokens))
            }
            admission = self.deployments[index].breaker.admit(at: now)
            if case .refused(let until) = admission { return .refused(until: until) }
        }
        let reserved = max(0, estimatedTokens)
        let time = self.deployments[index].time(now)
        self.deployments[index].inFlight += 1
        self.deployments[index].requests.add(1, at: time)
        self.deployments[index].tokens.add(reserved, at: time)
        return .started(
            Lease(
                deployment: index,
                isProbe: admission == .probe,
                isLastResort: candidate.isLastResort,
                reservedTokens: reserved,
                startedAt: now
            )
        )
    }

    /// Ends the attempt of `lease` at `now` with `outcome`.
    ///
    /// `usedTokens` (input + output, when known) replaces the reservation in the TPM window, in
    /// the second the reservation was made; when that second has left the window the correction
    /// is dropped. `nil` keeps the estimate. A success updates the latency averages.
    ///
    /// - Returns: the breaker's transition, for the owner to log and count outside its lock.
    public mutating func complete(
        _ lease: Lease,
        outcome: AttemptOutcome,
        usedTokens: Int? = nil,
        at now: Instant
    ) -> CircuitBreaker<Instant>.Transition? {
        let index = lease.deployment
        precondition(self.deployments.indices.contains(index), "lease of another routing table")
        self.deployments[index].inFlight = max(0, self.deployments[index].inFlight - 1)
        if let used = usedTokens {
            let reservedAt = self.deployments[index].time(lease.startedAt)
            let time = self.deployments[index].time(now)
            self.deployments[index].tokens.correct(
                by: max(0, used) - lease.reservedTokens,
                addedAt: reservedAt,
                now: time
            )
        }
        switch outcome {
        case .success(let timeToFirstToken, let latency):
            if let timeToFirstToken {
                self.deployments[index].timeToFirstToken.record(
                    timeToFirstToken,
                    smoothing: self.configuration.latencySmoothing
                )
            }
            self.deployments[index].latency.record(latency, smoothing: self.configuration.latencySmoothing)
            self.deployments[index].lastLatencySample = self.deployments[index].time(now)
            return self.deployments[index].breaker.recordSuccess(at: now)
        case .failure(let kind):
            return self.deployments[index].breaker.recordFailure(kind: kind, at: now)
        case .inconclusive:
            self.deployments[index].breaker.recordInconclusive(at: now)
            return nil
        }
    }

    /// A stream of deployment `index` that had reached its first token (its attempt completed as
    /// a success) failed afterwards with `kind`.
    public mutating func recordLateFailure(deployment index: Int, kind: UpstreamFailureKind, at now: Instant) -> CircuitBreaker<Instant>.Transition? {
        guard self.deployments.indices.contains(index) else { return nil }
        return self.deployments[index].breaker.recordLateFailure(kind: kind, at: now)
    }
}
