import KeelCore
import Histogram

/// Evaluates alert rules against the windows of a ``MonitoringStore``: pure, owned by
/// ``MonitoringEngine`` under its lock. One ``AlertStateMachine`` per rule and group.
struct AlertEvaluator: Sendable {
    let rules: [AlertRule]
    /// Per rule (same order as `rules`), the machines of its groups.
    private(set) var machines: [[MonitoringGroupKey: AlertStateMachine]]

    init(rules: [AlertRule]) {
        self.rules = rules
        self.machines = Array(repeating: [:], count: rules.count)
    }

    /// The latency objectives the store must count for the burn-rate rules.
    static func objectives(of rules: [AlertRule]) -> [LatencyObjectiveKey] {
        var seen: [LatencyObjectiveKey] = []
        for rule in rules {
            if case .burnRate(let objective, _, _, _) = rule.condition, let key = objective.latencyObjective, !seen.contains(key) {
                seen.append(key)
            }
        }
        return seen
    }

    /// What one evaluation of a rule saw in one group.
    struct Observation {
        var value: Double?
        var holds: Bool
        var details: [String: Double] = [:]
    }

    mutating func evaluate(store: MonitoringStore, now: Int64) -> [AlertAction] {
        var actions: [AlertAction] = []
        for (index, rule) in self.rules.enumerated() {
            let observations = Self.observe(rule, store: store, now: now)
            var machines = self.machines[index]
            let groups = Set(machines.keys).union(observations.keys).sorted()
            for group in groups {
                let observation = observations[group] ?? Observation(value: nil, holds: false)
                var machine = machines[group] ?? AlertStateMachine()
                let action = machine.conditionEvaluated(holds: observation.holds, now: now, pendingFor: rule.pendingFor.microseconds)
                if machine.isQuiet && observations[group] == nil {
                    machines[group] = nil
                } else {
                    machines[group] = machine
                }
                switch action {
                case .none:
                    break
                case .notifyFiring(let since):
                    actions.append(.notify(Self.notification(rule, group, observation, .firing, since: since, ends: nil)))
                case .notifyResolved(let firedAt, let at):
                    actions.append(.notify(Self.notification(rule, group, observation, .resolved, since: firedAt, ends: at)))
                }
            }
            self.machines[index] = machines
        }
        return actions
    }

    static func notification(
        _ rule: AlertRule,
        _ group: MonitoringGroupKey,
        _ observation: Observation,
        _ status: AlertNotification.Status,
        since: Int64,
        ends: Int64?
    ) -> AlertNotification {
        var labels: [String: String] = [:]
        for (key, value) in group.labels { labels[key] = value }
        return AlertNotification(
            rule: rule.name,
            severity: rule.severity,
            status: status,
            labels: labels,
            value: observation.value,
            threshold: rule.threshold,
            details: observation.details,
            summary: rule.summary ?? Self.defaultSummary(rule, group),
            startsAtMicros: since,
            endsAtMicros: ends
        )
    }

    static func defaultSummary(_ rule: AlertRule, _ group: MonitoringGroupKey) -> String {
        let scope = group.labels.isEmpty ? "" : " for " + group.labels.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        switch rule.condition {
        case .threshold(let metric, let window, let comparison, let value):
            return "\(metric) over \(window) is \(comparison.rawValue) \(value)\(scope)"
        case .rateOfChange(let metric, let window, let comparison, let value):
            return "\(metric) changed by \(comparison == .above ? "more" : "less") than \(value) over \(window)\(scope)"
        case .burnRate(let objective, let long, let short, let factor):
            return "SLO \(objective.name) burns its error budget over \(factor)× over \(long) and \(short)\(scope)"
        }
    }

    static func observe(_ rule: AlertRule, store: MonitoringStore, now: Int64) -> [MonitoringGroupKey: Observation] {
        var result: [MonitoringGroupKey: Observation] = [:]
        switch rule.condition {
        case .threshold(let metric, let window, let comparison, let threshold):
            let current = store.aggregate(
                selector: rule.selector, grouping: rule.groupBy, length: window.microseconds, now: now,
                histograms: metric.needsHistograms
            )
            for (group, aggregate) in current {
                let value = Self.value(metric, aggregate)
                result[group] = Observation(value: value, holds: value.map { comparison.holds($0, threshold) } ?? false)
            }
        case .rateOfChange(let metric, let window, let comparison, let threshold):
            let length = window.microseconds
            let current = store.aggregate(
                selector: rule.selector, grouping: rule.groupBy, length: length, now: now, histograms: metric.needsHistograms
            )
            let previous = store.aggregate(
                selector: rule.selector, grouping: rule.groupBy, length: length, now: now, shift: 1,
                histograms: metric.needsHistograms
            )
            for (group, aggregate) in current {
                guard let value = Self.value(metric, aggregate), let before = previous[group].flatMap({ Self.value(metric, $0) }) else {
                    result[group] = Observation(value: nil, holds: false)
                    continue
                }
                let delta = value - before
                result[group] = Observation(
                    value: delta,
                    holds: comparison.holds(delta, threshold),
                    details: ["current": value, "previous": before]
                )
            }
        case .burnRate(let objective, let longWindow, let shortWindow, let factor):
            let objectiveIndex = objective.latencyObjective.flatMap { store.objectives.firstIndex(of: $0) }
            let long = store.aggregate(
                selector: rule.selector, grouping: rule.groupBy, length: longWindow.microseconds, now: now, histograms: false
            )
            let short = store.aggregate(
                selector: rule.selector, grouping: rule.groupBy, length: shortWindow.microseconds, now: now, histograms: false
            )
            for (group, aggregate) in long {
                let longBurn = Self.badRatio(objective, aggregate.counters, objectiveIndex) / objective.errorBudget
                let shortBurn = short[group].map { Self.badRatio(objective, $0.counters, objectiveIndex) / objective.errorBudget } ?? 0
                result[group] = Observation(
                    value: longBurn,
                    holds: longBurn > factor && shortBurn > factor,
                    details: ["long_window_burn_rate": longBurn, "short_window_burn_rate": shortBurn]
                )
            }
        }
        return result
    }

    static func badRatio(_ objective: ServiceLevelObjective, _ counters: MonitoringCounters, _ objectiveIndex: Int?) -> Double {
        switch objective.indicator {
        case .availability(let badClasses):
            guard counters.requests > 0 else { return 0 }
            let bad = badClasses.reduce(Int64(0)) { $0 + counters[$1] }
            return Double(bad) / Double(counters.requests)
        case .latency:
            guard let index = objectiveIndex, counters.objectiveEvents[index] > 0 else { return 0 }
            return Double(counters.objectiveSlow[index]) / Double(counters.objectiveEvents[index])
        }
    }

    static func value(_ metric: MonitoredMetric, _ aggregate: WindowAggregate) -> Double? {
        let counters = aggregate.counters
        let minutes = Double(max(aggregate.spanMicros, 1)) / 60_000_000
        let requests = Double(counters.requests)
        switch metric {
        case .requestsPerMinute:
            return requests / minutes
        case .errorRate(let errorClass):
            guard counters.requests > 0 else { return nil }
            return Double(errorClass.map { counters[$0] } ?? counters.errors) / requests
        case .latencySeconds(let measure, let percentile):
            let histogram = aggregate.histograms.histogram(measure)
            guard histogram.totalCount > 0 else { return nil }
            return Double(histogram.valueAtPercentile(percentile)) / 1_000_000
        case .outputTokensPerSecond(let percentile):
            let histogram = aggregate.histograms.outputTokensPerSecondMilli
            guard histogram.totalCount > 0 else { return nil }
            return Double(histogram.valueAtPercentile(percentile)) / 1_000
        case .tokensPerMinute:
            return Double(counters.inputTokens + counters.outputTokens) / minutes
        case .costPerRequestUSD:
            guard counters.requests > 0 else { return nil }
            return Double(counters.costNanos) / requests / 1_000_000_000
        case .costPerMinuteUSD:
            return Double(counters.costNanos) / 1_000_000_000 / minutes
        case .agentTaskSuccessRate:
            guard counters.agentTasks > 0 else { return nil }
            return Double(counters.agentTaskSuccesses) / Double(counters.agentTasks)
        }
    }
}
