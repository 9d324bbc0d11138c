/// What to tell receivers when an alert starts or stops firing. Built by the alert evaluator;
/// sent by whoever performs the ``AlertAction``.
public struct AlertNotification: Sendable, Equatable {
    public enum Status: String, Sendable, Equatable {
        case firing
        case resolved
    }

    public var rule: String
    public var severity: AlertSeverity
    public var status: Status
    /// The group the alert is about (`provider`, `model`, `deployment`, `team`); empty when the
    /// rule is not grouped.
    public var labels: [String: String]
    /// The value the condition compared (for burn-rate rules, the long window's burn rate); `nil`
    /// when the group had no data.
    public var value: Double?
    public var threshold: Double
    /// Further values: for burn-rate rules `long_window_burn_rate` and `short_window_burn_rate`.
    public var details: [String: Double]
    public var summary: String
    /// When the alert started firing, µs since the epoch.
    public var startsAtMicros: Int64
    /// When it resolved, for a resolved notification.
    public var endsAtMicros: Int64?
    /// Requests that show it, when the alert comes from requests (a loop's steps); incident
    /// response links them as evidence.
    public var requestIDs: [String]

    public init(
        rule: String,
        severity: AlertSeverity,
        status: Status,
        labels: [String: String],
        value: Double?,
        threshold: Double,
        details: [String: Double] = [:],
        summary: String,
        startsAtMicros: Int64,
        endsAtMicros: Int64? = nil,
        requestIDs: [String] = []
    ) {
        self.rule = rule
        self.severity = severity
        self.status = status
        self.labels = labels
        self.value = value
        self.threshold = threshold
        self.details = details
        self.summary = summary
        self.startsAtMicros = startsAtMicros
        self.endsAtMicros = endsAtMicros
        self.requestIDs = requestIDs
    }

    /// Identifies the alert (rule and group) across its notifications, so a receiver can pair a
    /// resolution with its firing.
    public var fingerprint: String {
        ([self.rule] + self.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: ",")
    }
}

/// An order from ``MonitoringEngine/evaluateAlerts(now:)`` to its caller.
public enum AlertAction: Sendable, Equatable {
    /// Send `notification` to the configured receivers.
    case notify(AlertNotification)
}
