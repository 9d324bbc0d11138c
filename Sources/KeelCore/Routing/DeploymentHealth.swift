/// What the routing table knows about one deployment: its breaker, load, latency and usage of
/// its per-minute limits.
///
/// Read it through ``RoutingTable/deployments`` for the console and metrics; it changes only
/// through the table.
public struct DeploymentHealth<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    /// The deployment's circuit breaker.
    public internal(set) var breaker: CircuitBreaker<Instant>
    /// Attempts started and not yet completed.
    public internal(set) var inFlight = 0
    /// Moving average of the time to first token of streamed answers.
    public internal(set) var timeToFirstToken = LatencyAverage()
    /// Moving average of the time to the end of answers.
    public internal(set) var latency = LatencyAverage()
    /// The configured limits and weight.
    public let limits: RoutingConfiguration.Deployment
    var requests: RollingCounter
    var tokens: RollingCounter
    /// When the latest latency sample was recorded, on the table's nanosecond timeline.
    var lastLatencySample: Int64?
    private let origin: Instant

    init(limits: RoutingConfiguration.Deployment, breaker: CircuitBreakerConfiguration, origin: Instant) {
        self.limits = limits
        self.breaker = CircuitBreaker(configuration: breaker, origin: origin)
        self.requests = RollingCounter(
            window: RoutingConfiguration.limitWindow,
            bucketCount: RoutingConfiguration.limitBuckets
        )
        self.tokens = RollingCounter(
            window: RoutingConfiguration.limitWindow,
            bucketCount: RoutingConfiguration.limitBuckets
        )
        self.origin = origin
    }

    /// Requests started in the sliding minute that ends at `now`.
    public func requestsInWindow(at now: Instant) -> Int { self.requests.sum(at: self.time(now)) }

    /// Tokens counted (reserved estimates, corrected by actual counts) in the sliding minute that
    /// ends at `now`.
    public func tokensInWindow(at now: Instant) -> Int { self.tokens.sum(at: self.time(now)) }

    /// Whether a request estimated at `estimatedTokens` would exceed the RPM or TPM limit at `now`.
    ///
    /// RPM: full when the window holds `requestsPerMinute` requests. TPM: full when the window's
    /// tokens plus the estimate exceed `tokensPerMinute`; a request larger than the whole limit
    /// still fits into an empty window, or it could never be served.
    public func isOverLimit(estimatedTokens: Int, at now: Instant) -> Bool {
        let time = self.time(now)
        if let rpm = self.limits.requestsPerMinute, self.requests.sum(at: time) >= rpm { return true }
        if let tpm = self.limits.tokensPerMinute {
            let used = self.tokens.sum(at: time)
            if used > 0, used + max(0, estimatedTokens) > tpm { return true }
        }
        return false
    }

    /// The earliest instant the deployment may be admitted again: the later of its breaker's
    /// ``CircuitBreaker/readyAt(_:)`` and, when over a limit, the instant the oldest counted
    /// second of that limit's window leaves it. `now` when it is admitted now.
    public func readyAt(_ now: Instant, estimatedTokens: Int) -> Instant {
        var ready = self.breaker.readyAt(now)
        guard self.isOverLimit(estimatedTokens: estimatedTokens, at: now) else { return ready }
        let time = self.time(now)
        var frees = time
        if let rpm = self.limits.requestsPerMinute, self.requests.sum(at: time) >= rpm,
            let expiry = self.requests.oldestExpiry(at: time)
        {
            frees = max(frees, expiry)
        }
        if let tpm = self.limits.tokensPerMinute {
            let used = self.tokens.sum(at: time)
            if used > 0, used + max(0, estimatedTokens) > tpm, let expiry = self.tokens.oldestExpiry(at: time) {
                frees = max(frees, expiry)
            }
        }
        let limitReady = self.origin.advanced(by: .nanoseconds(frees))
        if limitReady > ready { ready = limitReady }
        return ready
    }

    /// The latency that ``RoutingStrategy/leastLatency`` compares, in nanoseconds; `nil` when
    /// unmeasured, or when the latest sample is older than `staleAfter` nanoseconds at `time`.
    func latencyEstimate(_ metric: LatencyMetric, at time: Int64, staleAfter: Int64?) -> Double? {
        guard let last = self.lastLatencySample else { return nil }
        if let staleAfter, time - last >= staleAfter { return nil }
        return switch metric {
        case .timeToFirstToken: self.timeToFirstToken.rawNanoseconds ?? self.latency.rawNanoseconds
        case .total: self.latency.rawNanoseconds
        }
    }

    /// Whether the deployment meets a latency `objective` (nanoseconds) for
    /// ``RoutingStrategy/leastCost``: its average is at or under it, or it is not measured
    /// enough to tell (fewer than `minSamples` samples of the compared average, or stale).
    func meetsObjective(
        _ objective: Double,
        _ metric: LatencyMetric,
        minSamples: Int,
        at time: Int64,
        staleAfter: Int64?
    ) -> Bool {
        guard let estimate = self.latencyEstimate(metric, at: time, staleAfter: staleAfter) else { return true }
        let samples =
            switch metric {
            case .timeToFirstToken:
                self.timeToFirstToken.samples > 0 ? self.timeToFirstToken.samples : self.latency.samples
            case .total: self.latency.samples
            }
        return samples < minSamples || estimate <= objective
    }

    func time(_ instant: Instant) -> Int64 { RoutingTime.offset(of: instant, from: self.origin) }
}
