/// Routing settings of one model group: the strategy, each deployment's weight and limits, the
/// circuit breakers and the latency averages.
///
/// Deployments are identified by their position: `deployments[i]` configures the `i`-th route of
/// the model, and configuration order is priority order.
public struct RoutingConfiguration: Sendable, Equatable {
    /// Limits and weight of one deployment.
    public struct Deployment: Sendable, Equatable {
        /// Share of first choices under ``RoutingStrategy/weighted`` (default 1). 0 makes the
        /// deployment failover-only. Ignored by the other strategies.
        public var weight: Int
        /// Requests the deployment accepts per sliding minute (`rpm`, default `nil`: no limit). A
        /// deployment at its limit is skipped until requests leave the window.
        public var requestsPerMinute: Int?
        /// Tokens (input + output) per sliding minute (`tpm`, default `nil`: no limit). Each
        /// request reserves its estimate when it starts; the actual count replaces it when known.
        public var tokensPerMinute: Int?
        /// The deployment's representative price per token, which ``RoutingStrategy/leastCost``
        /// orders by (the server sets ``ModelPrice/blendedRate`` of its upstream model's catalog
        /// price); `nil` when unknown. Ignored by the other strategies.
        public var price: TokenRate?

        public init(weight: Int = 1, requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil, price: TokenRate? = nil) {
            self.weight = weight
            self.requestsPerMinute = requestsPerMinute
            self.tokensPerMinute = tokensPerMinute
            self.price = price
        }
    }

    /// How deployments are ordered for each request (default ``RoutingStrategy/priority``).
    public var strategy: RoutingStrategy
    /// One entry per deployment, in configuration order.
    public var deployments: [Deployment]
    /// Settings of every deployment's circuit breaker.
    public var breaker: CircuitBreakerConfiguration
    /// How fast the latency averages follow new samples (default `alpha` 0.2: a sample's weight
    /// halves after about three newer ones).
    public var latencySmoothing: LatencySmoothing
    /// The latency ``RoutingStrategy/leastLatency`` compares (default time to first token).
    public var latencyMetric: LatencyMetric
    /// A deployment whose latest latency sample is this old counts as unmeasured again, so
    /// ``RoutingStrategy/leastLatency`` explores it once more instead of starving it forever on an
    /// old slow average (default 300 s; `nil`: averages never go stale). Like LiteLLM's latency
    /// cache TTL.
    public var latencyStaleAfter: Duration?
    /// The latency a deployment must stay under to be chosen for its price by
    /// ``RoutingStrategy/leastCost`` (`nil`: no objective, cheapest first). Compared with the
    /// average ``latencyMetric`` selects.
    public var latencyObjective: Duration?
    /// Samples a deployment needs before its average is held against ``latencyObjective``
    /// (default 3: the first answer on a new connection also pays for connecting).
    public var latencyObjectiveMinSamples: Int
    /// The RPM/TPM window: one minute, in 60 buckets of one second. A request counts against the
    /// limits for 59 to 60 seconds.
    public static let limitWindow = Duration.seconds(60)
    static let limitBuckets = 60

    public init(
        strategy: RoutingStrategy = .priority,
        deployments: [Deployment],
        breaker: CircuitBreakerConfiguration = .init(),
        latencySmoothing: LatencySmoothing = .alpha(0.2),
        latencyMetric: LatencyMetric = .timeToFirstToken,
        latencyStaleAfter: Duration? = .seconds(300),
        latencyObjective: Duration? = nil,
        latencyObjectiveMinSamples: Int = 3
    ) {
        self.latencyObjective = latencyObjective
        self.latencyObjectiveMinSamples = latencyObjectiveMinSamples
        self.strategy = strategy
        self.deployments = deployments
        self.breaker = breaker
        self.latencySmoothing = latencySmoothing
        self.latencyMetric = latencyMetric
        self.latencyStaleAfter = latencyStaleAfter
    }

    /// `count` deployments with default weight and no limits.
    public init(strategy: RoutingStrategy = .priority, deploymentCount count: Int) {
        self.init(strategy: strategy, deployments: Array(repeating: Deployment(), count: count))
    }

    /// What is wrong with these settings, as `(field, reason)` pairs (fields in camelCase, with
    /// the deployment's index); empty when they are valid.
    public var problems: [(field: String, reason: String)] {
        var problems = self.breaker.problems.map { (field: "breaker.\($0.field)", reason: $0.reason) }
        for (index, deployment) in self.deployments.enumerated() {
            if deployment.weight < 0 { problems.append(("deployments[\(index)].weight", "must be 0 or more")) }
            if let rpm = deployment.requestsPerMinute, rpm < 1 {
                problems.append(("deployments[\(index)].requestsPerMinute", "must be 1 or more"))
            }
            if let tpm = deployment.tokensPerMinute, tpm < 1 {
                problems.append(("deployments[\(index)].tokensPerMinute", "must be 1 or more"))
            }
        }
        if case .alpha(let alpha) = self.latencySmoothing, !(alpha > 0 && alpha <= 1) {
            problems.append(("latencySmoothing", "alpha must be above 0 and at most 1"))
        }
        if case .halfLife(let samples) = self.latencySmoothing, !(samples > 0) {
            problems.append(("latencySmoothing", "half-life must be positive"))
        }
        if let stale = self.latencyStaleAfter, stale <= .zero {
            problems.append(("latencyStaleAfter", "must be positive"))
        }
        if let objective = self.latencyObjective, objective <= .zero {
            problems.append(("latencyObjective", "must be positive"))
        }
        if self.latencyObjectiveMinSamples < 1 {
            problems.append(("latencyObjectiveMinSamples", "must be 1 or more"))
        }
        return problems
    }
}
