import KeelCore
/// How urgent an alert is; receivers route on it.
public enum AlertSeverity: String, Sendable, Hashable, Codable {
    /// Wake someone up.
    case page
    /// Look at it in working hours.
    case ticket
    case info
}

/// A live value an alert rule can watch, over the series the rule selects.
public enum MonitoredMetric: Sendable, Hashable {
    case requestsPerMinute
    /// Failed requests over requests: of one class, or of any with `nil`.
    case errorRate(MonitoringErrorClass?)
    /// A percentile (0–100] of a latency, in seconds.
    case latencySeconds(LatencyMeasure, percentile: Double)
    /// A percentile of output tokens per second.
    case outputTokensPerSecond(percentile: Double)
    /// Input plus output tokens per minute.
    case tokensPerMinute
    case costPerRequestUSD
    case costPerMinuteUSD
    /// Successful agent tasks over agent tasks reported.
    case agentTaskSuccessRate

    var needsHistograms: Bool {
        switch self {
        case .latencySeconds, .outputTokensPerSecond: true
        case .requestsPerMinute, .errorRate, .tokensPerMinute, .costPerRequestUSD, .costPerMinuteUSD, .agentTaskSuccessRate: false
        }
    }
}

/// Which side of its threshold a value must be on for the condition to hold (strictly).
public enum AlertComparison: String, Sendable, Hashable {
    case above
    case below

    func holds(_ value: Double, _ threshold: Double) -> Bool {
        switch self {
        case .above: value > threshold
        case .below: value < threshold
        }
    }
}

/// When an alert rule's condition holds.
public enum AlertCondition: Sendable, Hashable {
    /// The metric over the window (up to 6 h; 2 h for latency percentiles) compared with a value.
    case threshold(MonitoredMetric, window: Duration, AlertComparison, Double)
    /// The metric over the window minus the metric over the window before it (up to 3 h; 1 h
    /// for latency percentiles), compared with a value: `.above, 0.05` on an error rate holds
    /// when it rose by more than five points.
    case rateOfChange(MonitoredMetric, window: Duration, AlertComparison, Double)
    /// Multi-window burn rate (Google SRE workbook, chapter 5): holds when the error budget burns
    /// faster than `factor` over both windows. The long window detects, the short one resets the
    /// alert soon after the problem ends.
    case burnRate(ServiceLevelObjective, longWindow: Duration, shortWindow: Duration, factor: Double)
}

/// An alert rule: a condition over some series, held for `pendingFor` before it fires.
///
/// With `groupBy`, each group (each model, deployment…) is its own alert with its own state.
public struct AlertRule: Sendable, Hashable {
    public var name: String
    public var severity: AlertSeverity
    public var condition: AlertCondition
    public var selector: SeriesSelector
    public var groupBy: MetricsGrouping?
    /// How long the condition must hold before the alert fires (Prometheus' `for`).
    public var pendingFor: Duration
    /// Text for the notification; a default is written from the condition when `nil`.
    public var summary: String?

    public init(
        name: String,
        severity: AlertSeverity,
        condition: AlertCondition,
        selector: SeriesSelector = .all,
        groupBy: MetricsGrouping? = nil,
        pendingFor: Duration = .zero,
        summary: String? = nil
    ) {
        self.name = name
        self.severity = severity
        self.condition = condition
        self.selector = selector
        self.groupBy = groupBy
        self.pendingFor = pendingFor
        self.summary = summary
    }

    /// The SRE workbook's page rule: 14.4× burn over 1 h and 5 m (2 % of a 30-day budget in an
    /// hour).
    public static func burnRatePage(_ objective: ServiceLevelObjective, selector: SeriesSelector = .all, groupBy: MetricsGrouping? = nil) -> Self {
        Self(
            name: "\(objective.name)-burn-rate-page",
            severity: .page,
            condition: .burnRate(objective, longWindow: .seconds(3600), shortWindow: .seconds(300), factor: 14.4),
            selector: selector,
            groupBy: groupBy
        )
    }

    /// The SRE workbook's ticket rule: 6× burn over 6 h and 30 m (5 % of a 30-day budget in six
    /// hours).
    public static func burnRateTicket(_ objective: ServiceLevelObjective, selector: SeriesSelector = .all, groupBy: MetricsGrouping? = nil) -> Self {
        Self(
            name: "\(objective.name)-burn-rate-ticket",
            severity: .ticket,
            condition: .burnRate(objective, longWindow: .seconds(6 * 3600), shortWindow: .seconds(1800), factor: 6),
            selector: selector,
            groupBy: groupBy
        )
    }

    /// The value the condition compares with.
    var threshold: Double {
        switch self.condition {
        case .threshold(_, _, _, let value), .rateOfChange(_, _, _, let value): value
        case .burnRate(_, _, _, let factor): factor
        }
    }

    /// Checks the windows fit what monitoring retains.
    public func validate() throws(AlertRuleError) {
        func check(_ window: Duration, max: Int64, _ what: String) throws(AlertRuleError) {
            let micros = window.microseconds
            guard micros > 0, micros <= max else {
                throw AlertRuleError(rule: self.name, reason: "\(what) must be longer than zero and at most \(max / 1_000_000) s")
            }
        }
        func check(_ metric: MonitoredMetric) throws(AlertRuleError) {
            switch metric {
            case .latencySeconds(_, let percentile), .outputTokensPerSecond(let percentile):
                guard percentile > 0, percentile <= 100 else {
                    throw AlertRuleError(rule: self.name, reason: "percentile must be in (0, 100]")
                }
            default:
                break
            }
        }
        switch self.condition {
        case .threshold(let metric, let window, _, _):
            try check(metric)
            try check(window, max: metric.needsHistograms ? SeriesWindows.maxHistogramWindow : SeriesWindows.maxCounterWindow, "window")
        case .rateOfChange(let metric, let window, _, _):
            try check(metric)
            let limit = metric.needsHistograms ? SeriesWindows.maxHistogramWindow : SeriesWindows.maxCounterWindow
            try check(window, max: limit / 2, "window")
        case .burnRate(let objective, let long, let short, let factor):
            guard objective.target > 0, objective.target < 1 else {
                throw AlertRuleError(rule: self.name, reason: "SLO target must be between 0 and 1")
            }
            guard factor > 0 else { throw AlertRuleError(rule: self.name, reason: "burn-rate factor must be positive") }
            try check(long, max: SeriesWindows.maxCounterWindow, "long window")
            try check(short, max: SeriesWindows.maxCounterWindow, "short window")
        }
        if case .team = self.selector, let groupBy = self.groupBy, groupBy != .team {
            throw AlertRuleError(rule: self.name, reason: "a team selector groups by team only")
        }
        if self.groupBy == .team, !self.selector.usesTeams, self.selector != .all {
            throw AlertRuleError(rule: self.name, reason: "grouping by team needs the selector all or team")
        }
    }
}

/// An alert rule monitoring cannot evaluate.
public struct AlertRuleError: Error, Sendable, Equatable, CustomStringConvertible {
    public var rule: String
    public var reason: String

    public var description: String { "alert rule '\(self.rule)': \(self.reason)" }
}
