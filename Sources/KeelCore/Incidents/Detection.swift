/// What a detector found: the category and severity of the incident it points to, the scope it
/// is about, and its evidence (the requests involved and the values that crossed a line).
///
/// Detections are the one currency of incident response: the guard, the degradation and
/// cost-anomaly detectors, breakers, loop detection, tool-definition drift, failing policy
/// probes, audit gaps and firing alerts all produce them; the incident engine groups them into
/// incidents.
public struct Detection: Sendable, Equatable {
    public var category: IncidentCategory
    public var severity: IncidentSeverity
    public var scope: IncidentScope
    /// The detector, as a snake_case name (`cost_spike`, `injection_burst`, `canary_token`,
    /// `alert:agent_loop`).
    public var detector: String
    /// One line for humans.
    public var summary: String
    /// Requests that show it (at most ``maximumRequestIDs`` kept).
    public var requestIDs: [String]
    /// The values that crossed a line (`observed`, `expected`, `score`…).
    public var values: [String: Double]
    /// Unix µs.
    public var at: Int64

    /// Requests kept as evidence per detection.
    public static let maximumRequestIDs = 100

    public init(
        category: IncidentCategory,
        severity: IncidentSeverity,
        scope: IncidentScope,
        detector: String,
        summary: String,
        requestIDs: [String] = [],
        values: [String: Double] = [:],
        at: Int64
    ) {
        self.category = category
        self.severity = severity
        self.scope = scope
        self.detector = detector
        self.summary = summary
        self.requestIDs = Array(requestIDs.prefix(Self.maximumRequestIDs))
        self.values = values
        self.at = at
    }
}
