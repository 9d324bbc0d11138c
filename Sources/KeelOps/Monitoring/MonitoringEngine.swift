public import KeelCore
import Synchronization

/// Live monitoring of every request: rolling windows, summaries, `/metrics` text and alerts.
///
/// Feed it every `RequestRecord` off the request path (the recorder calls ``ingest(_:agentTaskSucceeded:)``);
/// read it from the admin API, the `/metrics` route and a periodic alert evaluation. One
/// instance serves the whole process. Thread-safe: every method takes one lock briefly, and
/// ``evaluateAlerts(now:)`` returns what to notify instead of sending it, so nothing slow runs
/// under the lock.
///
/// ```swift
/// let slo = ServiceLevelObjective.availability("api", target: 0.999)
/// let engine = try MonitoringEngine(configuration: .init(rules: [.burnRatePage(slo), .burnRateTicket(slo)]))
/// engine.ingest(record)
/// let summary = engine.summary(by: .model, window: .fiveMinutes)
/// for case .notify(let notification) in engine.evaluateAlerts(now: clock.nowMicros) { send(notification.slackWebhookBody()) }
/// ```
///
/// Memory is bounded: each series keeps at most 444 time slots (60 of 10 s with counters and
/// histograms, 360 of 1 min with counters, 24 of 5 min with histograms), and the number of
/// series is capped per dimension, with further keys counted under an `other` series (see
/// ``Configuration``).
public final class MonitoringEngine: Sendable {
    /// How the engine is set up; fixed for its lifetime.
    public struct Configuration: Sendable {
        /// Distinct (provider, model, deployment) series before further ones go to `other`.
        /// Default 100. A busy series costs up to about 4 MB (84 slots of five HDR histograms of
        /// up to 10 kB each, 420 slots of counters), an idle one nothing after six hours.
        public var maxDeploymentSeries: Int
        /// Distinct team series before further teams go to `other`. Default 100.
        public var maxTeamSeries: Int
        /// The alert rules ``evaluateAlerts(now:)`` evaluates.
        public var rules: [AlertRule]

        public init(maxDeploymentSeries: Int = 100, maxTeamSeries: Int = 100, rules: [AlertRule] = []) {
            self.maxDeploymentSeries = maxDeploymentSeries
            self.maxTeamSeries = maxTeamSeries
            self.rules = rules
        }
    }

    private struct State: Sendable {
        var store: MonitoringStore
        var prometheus = PrometheusRegistry()
        var alerts: AlertEvaluator
    }

    private let state: Mutex<State>
    private let clock: any MonitoringClock

    /// Validates every rule; throws the first that monitoring cannot evaluate.
    public init(configuration: Configuration = .init(), clock: any MonitoringClock = SystemMonitoringClock()) throws(AlertRuleError) {
        for rule in configuration.rules {
            try rule.validate()
        }
        precondition(configuration.maxDeploymentSeries >= 1 && configuration.maxTeamSeries >= 1, "series caps must be at least 1")
        self.clock = clock
        let store = MonitoringStore(
            maxDeploymentSeries: configuration.maxDeploymentSeries,
            maxTeamSeries: configuration.maxTeamSeries,
            objectives: AlertEvaluator.objectives(of: configuration.rules),
            startedAt: clock.nowMicros
        )
        self.state = Mutex(State(store: store, alerts: AlertEvaluator(rules: configuration.rules)))
    }

    /// Counts `record` in its windows (at its completion time, `startedAt + totalMicros`, never
    /// later than now) and in the `/metrics` counters. `agentTaskSucceeded` reports the outcome of
    /// the agent task this request ended, when it ended one.
    public func ingest(_ record: RequestRecord, agentTaskSucceeded: Bool? = nil) {
        let now = self.clock.nowMicros
        self.state.withLock { state in
            let key = state.store.record(record, agentTaskSucceeded: agentTaskSucceeded, now: now)
            state.prometheus.record(record, key: key)
        }
    }

    /// Counts the outcome of an agent task that ended apart from any request (the agent reported
    /// it with `POST /v1/tasks/{id}/outcome`), now, in the series of `lastRecord`, the task's
    /// last request, which was already ingested. Counts no request. Call it once per task; a
    /// task ended by a request's `x-keel-task-outcome` is counted by ``ingest(_:agentTaskSucceeded:)``.
    public func ingestAgentTaskOutcome(of lastRecord: RequestRecord, succeeded: Bool) {
        let now = self.clock.nowMicros
        self.state.withLock { state in
            state.store.recordAgentTask(of: lastRecord, succeeded: succeeded, now: now)
        }
    }

    /// The live metrics of `window`, grouped `by`.
    public func summary(by grouping: MetricsGrouping, window: MetricsWindow) -> MetricsSummary {
        let now = self.clock.nowMicros
        return self.state.withLock { MetricsSummary(store: $0.store, by: grouping, window: window, now: now) }
    }

    /// The `/metrics` body in the Prometheus text format 0.0.4, with the caller's deployment
    /// health and circuit-breaker gauges.
    public func prometheusText(extraGauges: MonitoringGauges = .init()) -> String {
        let registry = self.state.withLock { $0.prometheus }
        return PrometheusText.write(registry, gauges: extraGauges)
    }

    /// The `Content-Type` of ``prometheusText(extraGauges:)``.
    public static let prometheusContentType = PrometheusText.contentType

    /// Evaluates every rule at `now` (µs since the epoch) and returns one notification per alert
    /// that started or stopped firing. Call it periodically (every 10–30 s); also frees the
    /// slots and series that no window can read any more.
    public func evaluateAlerts(now: Int64) -> [AlertAction] {
        self.state.withLock { state in
            state.store.dropExpired(now: now)
            return state.alerts.evaluate(store: state.store, now: now)
        }
    }
}
