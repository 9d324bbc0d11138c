/// The circuit breaker of one deployment: a pure state machine (no clock, no I/O, no logging).
///
/// - **closed**: requests are allowed. The breaker trips (opens) when a health failure makes the
///   failures in a row exceed ``CircuitBreakerConfiguration/allowedFailures``, or when the error
///   rate over the window reaches ``CircuitBreakerConfiguration/failureRateThreshold`` with at
///   least ``CircuitBreakerConfiguration/minimumRequests`` outcomes in it.
/// - **open**: requests are refused until the cooldown ends. The cooldown grows by
///   ``CircuitBreakerConfiguration/cooldownMultiplier`` on each trip in a row, up to
///   ``CircuitBreakerConfiguration/maxCooldown``.
/// - **half-open**: after the cooldown, ``admit(at:)`` lets exactly one request through as a probe
///   and refuses the others while it is in flight. A success closes the breaker; a health failure
///   opens it again with the next, longer cooldown.
///
/// A rate limit (429) never trips the breaker: it pauses the deployment for `retry-after`.
///
/// Outcomes are not matched to admissions: in half-open any success closes and any health
/// failure reopens, whichever attempt reports it. Outcomes that arrive while open (attempts that
/// started before the trip) are ignored.
///
/// Each event takes the current instant and returns what changed as a ``Transition``, for the
/// owner to log and count after releasing its lock. The owner keeps the breaker in a `Mutex`
/// (inside a ``RoutingTable``) or an actor; the value itself is not shared.
public struct CircuitBreaker<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    /// Where the breaker is.
    public enum State: Sendable, Equatable {
        case closed
        /// Refusing requests until `until`.
        case open(until: Instant)
        /// Admitting one probe. `probeStartedAt` is `nil` when no probe is in flight.
        case halfOpen(probeStartedAt: Instant?)
    }

    /// The answer to ``admit(at:)``.
    public enum Admission: Sendable, Equatable {
        /// Send the request.
        case allowed
        /// Send the request: it is the breaker's probe, whose outcome closes or reopens it.
        case probe
        /// Do not send it before `until` (the end of a cooldown, a rate-limit pause, or the
        /// deadline of the probe in flight).
        case refused(until: Instant)
    }

    /// Why the breaker opened.
    public enum TripReason: Sendable, Equatable {
        /// This many health failures in a row.
        case consecutiveFailures(Int)
        /// `failures` of the last `requests` outcomes failed.
        case errorRate(failures: Int, requests: Int)
        /// The half-open probe failed.
        case probeFailed
    }

    /// A change the owner may log or count.
    public enum Transition: Sendable, Equatable {
        /// The breaker opened; it refuses requests until `until`. `trip` is 1 for a first trip
        /// and grows on each trip in a row.
        case opened(until: Instant, reason: TripReason, trip: Int)
        /// The breaker closed after a successful probe.
        case closed
        /// The deployment is rate limited until `until`; the breaker did not trip.
        case rateLimited(until: Instant)
    }

    /// The thresholds and cooldowns, fixed for the breaker's life.
    public let configuration: CircuitBreakerConfiguration
    /// Where the breaker is now.
    public private(set) var state: State = .closed
    /// Health failures since the last success, while closed.
    public private(set) var consecutiveFailures = 0
    /// The run of failures the last success ended, so a late failure of that same attempt can
    /// continue it.
    private var failuresBeforeLastSuccess = 0
    /// Trips in a row; 0 once the breaker has stayed closed for `maxCooldown`.
    public private(set) var trips = 0
    /// The end of the current rate-limit pause, if any.
    public private(set) var rateLimitedUntil: Instant?
    private var window: OutcomeWindow
    private var closedAt: Instant?
    private let origin: Instant

    /// A closed breaker. `origin` is any instant no later than the first event (the time the
    /// routing table is built); windows are measured from it.
    public init(configuration: CircuitBreakerConfiguration = .init(), origin: Instant) {
        self.configuration = configuration
        self.window = OutcomeWindow(configuration.window)
        self.origin = origin
    }

    /// What ``admit(at:)`` would answer at `now`, without taking the probe slot.
    public func admission(at now: Instant) -> Admission {
        switch self.state {
        case .closed:
            if let until = self.rateLimitedUntil, now < until { return .refused(until: until) }
            return .allowed
        case .open(let until):
            return now < until ? .refused(until: until) : .probe
        case .halfOpen(let started):
            if let started {
                let deadline = started.advanced(by: self.configuration.probeTimeout)
                if now < deadline { return .refused(until: deadline) }
            }
            return .probe
        }
    }

    /// Asks to send a request at `now`. A `.probe` answer moves the breaker to half-open with
    /// that probe in flight; the caller must report its outcome (``recordSuccess(at:)``,
    /// ``recordFailure(kind:at:)`` or ``recordInconclusive(at:)``).
    public mutating func admit(at now: Instant) -> Admission {
        let admission = self.admission(at: now)
        if admission == .probe { self.state = .halfOpen(probeStartedAt: now) }
        return admission
    }

    /// Sends a request even though ``admission(at:)`` refuses it: the routing table's last
    /// resort when every deployment is refused. An open breaker becomes half-open with this
    /// request as its probe (answer `.probe`); otherwise the state does not change (`.allowed`).
    public mutating func admitLastResort(at now: Instant) -> Admission {
        switch self.state {
        case .closed, .halfOpen(probeStartedAt: .some):
            return .allowed
        case .open, .halfOpen(probeStartedAt: .none):
            self.state = .halfOpen(probeStartedAt: now)
            return .probe
        }
    }

    /// An attempt succeeded at `now`.
    public mutating func recordSuccess(at now: Instant) -> Transition? {
        switch self.state {
        case .closed:
            self.failuresBeforeLastSuccess = self.consecutiveFailures
            self.consecutiveFailures = 0
            self.window.record(failed: false, at: self.time(now))
            return nil
        case .halfOpen:
            self.state = .closed
            self.consecutiveFailures = 0
            self.window.reset()
            self.closedAt = now
            return .closed
        case .open:
            return nil
        }
    }

    /// An attempt failed at `now` with `kind`.
    public mutating func recordFailure(kind: UpstreamFailureKind, at now: Instant) -> Transition? {
        if case .rateLimited(let retryAfter) = kind {
            return self.recordRateLimit(retryAfter: retryAfter, at: now)
        }
        switch self.state {
        case .closed:
            self.consecutiveFailures += 1
            let time = self.time(now)
            self.window.record(failed: true, at: time)
            return self.tripIfUnhealthy(at: now, time: time)
        case .halfOpen:
            return self.trip(at: now, reason: .probeFailed)
        case .open:
            return nil
        }
    }

    /// An attempt recorded as a success at its first token failed later (its stream broke,
    /// stalled or carried an error event). The failure continues the run the success had ended,
    /// and counts in the error rate without counting the request twice.
    public mutating func recordLateFailure(kind: UpstreamFailureKind, at now: Instant) -> Transition? {
        guard case .closed = self.state else { return nil }
        self.consecutiveFailures = max(self.consecutiveFailures, self.failuresBeforeLastSuccess) + 1
        self.failuresBeforeLastSuccess = 0
        let time = self.time(now)
        self.window.recordLateFailure(at: time)
        return self.tripIfUnhealthy(at: now, time: time)
    }

    /// After a failure in the closed state: trips on too many failures in a row, or on the error
    /// rate once the window holds enough requests.
    private mutating func tripIfUnhealthy(at now: Instant, time: Int64) -> Transition? {
        if self.consecutiveFailures > self.configuration.allowedFailures {
            return self.trip(at: now, reason: .consecutiveFailures(self.consecutiveFailures))
        }
        let (requests, failures) = self.window.counts(at: time)
        if requests >= self.configuration.minimumRequests,
            Double(failures) >= self.configuration.failureRateThreshold * Double(requests)
        {
            return self.trip(at: now, reason: .errorRate(failures: failures, requests: requests))
        }
        return nil
    }

    /// An attempt ended without saying anything about health (cancelled, the request's own
    /// fault). A probe in flight frees the slot for the next probe.
    public mutating func recordInconclusive(at now: Instant) {
        if case .halfOpen(.some) = self.state { self.state = .halfOpen(probeStartedAt: nil) }
    }

    /// The earliest instant at which ``admission(at:)`` may stop refusing: `now` when it admits.
    public func readyAt(_ now: Instant) -> Instant {
        if case .refused(let until) = self.admission(at: now) { return until }
        return now
    }

    private mutating func recordRateLimit(retryAfter: Duration?, at now: Instant) -> Transition? {
        let until = now.advanced(by: self.configuration.rateLimitPause(retryAfter: retryAfter))
        switch self.state {
        case .closed:
            if let current = self.rateLimitedUntil, current >= until { return nil }
            self.rateLimitedUntil = until
            return .rateLimited(until: until)
        case .halfOpen:
            // The probe learned nothing about health: rest until the upstream asked, then probe
            // again, without growing the cooldown.
            self.state = .open(until: until)
            return .rateLimited(until: until)
        case .open:
            return nil
        }
    }

    private mutating func trip(at now: Instant, reason: TripReason) -> Transition {
        if case .closed = self.state, let closedAt = self.closedAt,
            closedAt.duration(to: now) >= self.configuration.maxCooldown
        {
            self.trips = 0
        }
        self.trips += 1
        let until = now.advanced(by: self.configuration.cooldown(afterTrips: self.trips))
        self.state = .open(until: until)
        self.consecutiveFailures = 0
        self.window.reset()
        return .opened(until: until, reason: reason, trip: self.trips)
    }

    private func time(_ instant: Instant) -> Int64 {
        RoutingTime.offset(of: instant, from: self.origin)
    }
}
