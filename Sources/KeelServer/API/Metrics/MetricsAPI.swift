import Hummingbird
import KeelCore
import KeelOps
import KeelProviders

/// `GET /admin/v1/metrics/summary?by=model|provider|deployment|team&window=1m|5m|1h`: the live
/// windows of the monitoring engine — TTFT, latency, time per output token and tokens per second
/// (p50/p95/p99), error rate by class, requests and tokens per minute, cost per request.
///
/// The summary spans every tenant (grouped by team it names them), so it is for the admin key and
/// the `admin` and `auditor` roles.
struct MetricsAPI: Sendable {
    let admin: AdminAPI
    let monitoring: MonitoringEngine
    let registry: ModelRegistry
    let alerts: AlertService

    func summary(_ request: Request) throws -> Response {
        let caller = try self.admin.authenticate(request)
        guard caller.role == .admin || caller.role == .auditor else {
            throw KeelError.permissionDenied("The live metrics span every team: they need the admin or auditor role.")
        }
        let parameters = request.uri.queryParameters
        let byText = parameters["by"].map(String.init) ?? MetricsGrouping.model.rawValue
        guard let grouping = MetricsGrouping(rawValue: byText) else {
            throw KeelError.invalidRequest(
                "Invalid 'by': expected one of \(MetricsGrouping.allCases.map(\.rawValue).joined(separator: ", ")).", param: "by")
        }
        let windowText = parameters["window"].map(String.init) ?? MetricsWindow.fiveMinutes.rawValue
        guard let window = MetricsWindow(rawValue: windowText) else {
            throw KeelError.invalidRequest(
                "Invalid 'window': expected one of \(MetricsWindow.allCases.map(\.rawValue).joined(separator: ", ")).", param: "window")
        }
        return try AdminAPI.encode(self.monitoring.summary(by: grouping, window: window))
    }

    /// `GET /admin/v1/deployments`: each model's deployments with their routing strategy,
    /// breaker state, in-flight count, latency averages, requests and tokens in the last minute
    /// against their limits, and error rate over the last five minutes. Any admin role may read
    /// it: it holds no tenant data.
    func deployments(_ request: Request) throws -> Response {
        _ = try self.admin.authenticate(request)
        let now = ContinuousClock.now
        var errorRates: [DeploymentSeriesKey: Double] = [:]
        for group in self.monitoring.summary(by: .deployment, window: .fiveMinutes).groups {
            let key = DeploymentSeriesKey(provider: group.provider ?? "", model: group.model ?? "", deployment: group.deployment ?? "")
            errorRates[key] = group.errorRate
        }
        var models: [DeploymentsBody.Model] = []
        for (entry, health) in self.registry.health() {
            var deployments: [DeploymentsBody.Deployment] = []
            for (index, deployment) in entry.deployments.enumerated() {
                let state = health[index]
                let limits = entry.group.configuration.deployments[index]
                let key = DeploymentSeriesKey(provider: deployment.provider.name, model: entry.name, deployment: deployment.upstreamModel)
                deployments.append(
                    DeploymentsBody.Deployment(
                        provider: deployment.provider.name,
                        deployment: deployment.upstreamModel,
                        breaker: Self.gaugeState(state.breaker.state).rawValue,
                        healthy: Self.isHealthy(state, at: now),
                        reopensInMs: Self.reopensIn(state.breaker.state, now: now),
                        consecutiveFailures: state.breaker.consecutiveFailures,
                        trips: state.breaker.trips,
                        inFlight: state.inFlight,
                        ttftMs: state.timeToFirstToken.value.map(Self.milliseconds),
                        latencyMs: state.latency.value.map(Self.milliseconds),
                        requestsLastMinute: state.requestsInWindow(at: now),
                        tokensLastMinute: state.tokensInWindow(at: now),
                        weight: limits.weight,
                        rpm: limits.requestsPerMinute,
                        tpm: limits.tokensPerMinute,
                        errorRate5m: errorRates[key]
                    )
                )
            }
            models.append(.init(model: entry.name, strategy: entry.group.configuration.strategy.rawValue, deployments: deployments))
        }
        return try AdminAPI.encode(DeploymentsBody(data: models))
    }

    /// The breaker and health gauges of `/metrics`.
    func gauges() -> MonitoringGauges {
        let now = ContinuousClock.now
        var statuses: [DeploymentStatus] = []
        for (entry, health) in self.registry.health() {
            for (index, deployment) in entry.deployments.enumerated() {
                statuses.append(
                    DeploymentStatus(
                        provider: deployment.provider.name,
                        model: entry.name,
                        deployment: deployment.upstreamModel,
                        healthy: Self.isHealthy(health[index], at: now),
                        breaker: Self.gaugeState(health[index].breaker.state)
                    )
                )
            }
        }
        return MonitoringGauges(deployments: statuses)
    }

    static func gaugeState(_ state: CircuitBreaker<ContinuousClock.Instant>.State) -> CircuitBreakerGaugeState {
        switch state {
        case .closed: .closed
        case .open: .open
        case .halfOpen: .halfOpen
        }
    }

    /// Healthy: the breaker is closed and the deployment is not resting after a rate limit.
    static func isHealthy(_ health: DeploymentHealth<ContinuousClock.Instant>, at now: ContinuousClock.Instant) -> Bool {
        guard case .closed = health.breaker.state else { return false }
        return (health.breaker.rateLimitedUntil.map { $0 <= now }) ?? true
    }

    static func reopensIn(_ state: CircuitBreaker<ContinuousClock.Instant>.State, now: ContinuousClock.Instant) -> Int64? {
        guard case .open(let until) = state else { return nil }
        return max(0, (until - now).microseconds / 1_000)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.microseconds) / 1_000
    }

    struct DeploymentsBody: Encodable {
        struct Deployment: Encodable {
            let provider: String
            let deployment: String
            let breaker: String
            let healthy: Bool
            let reopensInMs: Int64?
            let consecutiveFailures: Int
            let trips: Int
            let inFlight: Int
            let ttftMs: Double?
            let latencyMs: Double?
            let requestsLastMinute: Int
            let tokensLastMinute: Int
            let weight: Int
            let rpm: Int?
            let tpm: Int?
            let errorRate5m: Double?

            enum CodingKeys: String, CodingKey {
                case provider, deployment, breaker, healthy, trips, weight, rpm, tpm
                case reopensInMs = "reopens_in_ms"
                case consecutiveFailures = "consecutive_failures"
                case inFlight = "in_flight"
                case ttftMs = "ttft_ewma_ms"
                case latencyMs = "latency_ewma_ms"
                case requestsLastMinute = "requests_last_minute"
                case tokensLastMinute = "tokens_last_minute"
                case errorRate5m = "error_rate_5m"
            }
        }

        struct Model: Encodable {
            let model: String
            let strategy: String
            let deployments: [Deployment]
        }

        let data: [Model]
    }

    /// `GET /admin/v1/alerts`: the alerts firing now and the last notifications (newest first),
    /// each as the generic webhook sends it. Admin key, `admin` or `auditor` role (a rule grouped
    /// by team names teams).
    func alerts(_ request: Request) throws -> Response {
        let caller = try self.admin.authenticate(request)
        guard caller.role == .admin || caller.role == .auditor else {
            throw KeelError.permissionDenied("Alerts span every team: they need the admin or auditor role.")
        }
        let snapshot = self.alerts.snapshot
        func list(_ notifications: [AlertNotification]) -> String {
            "[" + notifications.map { String(decoding: $0.genericWebhookBody(), as: UTF8.self) }.joined(separator: ",") + "]"
        }
        return Gateway.json(#"{"firing":"# + list(snapshot.firing) + #","recent":"# + list(snapshot.recent) + "}")
    }
}
