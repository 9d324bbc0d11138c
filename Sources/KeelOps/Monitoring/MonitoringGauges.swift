/// The state of a deployment's circuit breaker, as `/metrics` shows it.
public enum CircuitBreakerGaugeState: String, Sendable, Hashable, CaseIterable {
    case closed
    case open
    case halfOpen = "half_open"
}

/// What the router knows of one deployment right now: the input of the health and breaker
/// gauges of ``MonitoringEngine/prometheusText(extraGauges:)``.
public struct DeploymentStatus: Sendable, Hashable {
    public var key: DeploymentSeriesKey
    public var healthy: Bool
    public var breaker: CircuitBreakerGaugeState

    public init(provider: String, model: String, deployment: String, healthy: Bool, breaker: CircuitBreakerGaugeState) {
        self.key = DeploymentSeriesKey(provider: provider, model: model, deployment: deployment)
        self.healthy = healthy
        self.breaker = breaker
    }
}

/// Gauges the caller owns and monitoring only prints.
public struct MonitoringGauges: Sendable {
    public var deployments: [DeploymentStatus]

    public init(deployments: [DeploymentStatus] = []) {
        self.deployments = deployments
    }
}
