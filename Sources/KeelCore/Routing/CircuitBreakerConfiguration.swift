/// The window over which a circuit breaker measures a deployment's error rate.
public enum ErrorRateWindow: Sendable, Equatable {
    /// The last `n` outcomes, however old.
    case requests(Int)
    /// The outcomes of the last `duration`, kept in 12 buckets: an outcome counts for between
    /// 11/12 and all of `duration`.
    case duration(Duration)
}

/// Settings of the circuit breaker of each deployment of a model group.
///
/// The defaults follow LiteLLM's router where it has an equivalent (`allowed_fails: 3`, a 50 %
/// failure threshold over one minute) and use a longer base cooldown (30 s, LiteLLM's code uses 5 s)
/// that grows on repeated trips, because a half-open probe brings a healthy deployment back sooner
/// than a short blind cooldown would.
public struct CircuitBreakerConfiguration: Sendable, Equatable {
    /// Health failures in a row that are tolerated; the next one trips the breaker. LiteLLM's
    /// `allowed_fails` (default 3: the 4th failure in a row trips). A success resets the count.
    public var allowedFailures: Int
    /// The error rate at or above which the breaker trips, between 0 and 1 (default 0.5). Checked
    /// after each health failure, only once ``minimumRequests`` outcomes are in the window.
    public var failureRateThreshold: Double
    /// Outcomes the window must hold before the error rate can trip the breaker (default 10), so
    /// that two failures out of three requests do not bench a deployment.
    public var minimumRequests: Int
    /// The window of the error rate (default: the last 60 seconds).
    public var window: ErrorRateWindow
    /// How long the breaker stays open after its first trip (default 30 s). After the cooldown it is
    /// half-open and admits one probe.
    public var cooldown: Duration
    /// Each further trip without a stable period in between (a failed probe, or a trip within
    /// ``maxCooldown`` of closing) multiplies the cooldown by this (default 2).
    public var cooldownMultiplier: Double
    /// The longest cooldown (default 300 s). A breaker that stayed closed this long since it last
    /// closed starts again from ``cooldown``.
    public var maxCooldown: Duration
    /// A probe that has not reported after this long no longer blocks the next probe (default 120 s,
    /// longer than most streamed answers). It guards against an owner that loses a probe's outcome.
    public var probeTimeout: Duration
    /// How long a deployment rests after a rate-limit answer (429) without `retry-after`
    /// (default 10 s). A rate limit never trips the breaker: it only pauses the deployment.
    public var rateLimitCooldown: Duration
    /// The longest `retry-after` honoured (default 60 s); a longer one is cut to this.
    public var maxRateLimitCooldown: Duration

    public init(
        allowedFailures: Int = 3,
        failureRateThreshold: Double = 0.5,
        minimumRequests: Int = 10,
        window: ErrorRateWindow = .duration(.seconds(60)),
        cooldown: Duration = .seconds(30),
        cooldownMultiplier: Double = 2,
        maxCooldown: Duration = .seconds(300),
        probeTimeout: Duration = .seconds(120),
        rateLimitCooldown: Duration = .seconds(10),
        maxRateLimitCooldown: Duration = .seconds(60)
    ) {
        self.allowedFailures = allowedFailures
        self.failureRateThreshold = failureRateThreshold
        self.minimumRequests = minimumRequests
        self.window = window
        self.cooldown = cooldown
        self.cooldownMultiplier = cooldownMultiplier
        self.maxCooldown = maxCooldown
        self.probeTimeout = probeTimeout
        self.rateLimitCooldown = rateLimitCooldown
        self.maxRateLimitCooldown = maxRateLimitCooldown
    }

    /// What is wrong with these settings, as `(field, reason)` pairs; empty when they are valid.
    public var problems: [(field: String, reason: String)] {
        var problems: [(field: String, reason: String)] = []
        if self.allowedFailures < 0 { problems.append(("allowedFailures", "must be 0 or more")) }
        if !(self.failureRateThreshold > 0 && self.failureRateThreshold <= 1) {
            problems.append(("failureRateThreshold", "must be above 0 and at most 1"))
        }
        if self.minimumRequests < 1 { problems.append(("minimumRequests", "must be 1 or more")) }
        switch self.window {
        case .requests(let count) where count < 1:
            problems.append(("window", "must hold at least one request"))
        case .duration(let duration) where duration < .milliseconds(12):
            problems.append(("window", "must last at least 12 ms"))
        case .requests, .duration:
            break
        }
        if self.cooldown <= .zero { problems.append(("cooldown", "must be positive")) }
        if !(self.cooldownMultiplier >= 1) { problems.append(("cooldownMultiplier", "must be 1 or more")) }
        if self.maxCooldown < self.cooldown { problems.append(("maxCooldown", "must be at least cooldown")) }
        if self.probeTimeout <= .zero { problems.append(("probeTimeout", "must be positive")) }
        if self.rateLimitCooldown < .zero { problems.append(("rateLimitCooldown", "must not be negative")) }
        if self.maxRateLimitCooldown < self.rateLimitCooldown {
            problems.append(("maxRateLimitCooldown", "must be at least rateLimitCooldown"))
        }
        return problems
    }

    /// The cooldown after `trips` trips in a row (1 for the first).
    func cooldown(afterTrips trips: Int) -> Duration {
        let base = Double(RoutingTime.nanoseconds(self.cooldown))
        let cap = Double(RoutingTime.nanoseconds(self.maxCooldown))
        var nanos = base
        var remaining = trips - 1
        while remaining > 0, nanos < cap {
            nanos *= self.cooldownMultiplier
            remaining -= 1
        }
        return .nanoseconds(Int64(min(nanos, cap)))
    }

    /// The pause after a rate-limit answer that asked for `retryAfter`.
    func rateLimitPause(retryAfter: Duration?) -> Duration {
        min(max(retryAfter ?? self.rateLimitCooldown, .zero), self.maxRateLimitCooldown)
    }
}
