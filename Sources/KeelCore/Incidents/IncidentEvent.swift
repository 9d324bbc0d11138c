/// One entry of an incident's timeline: something that happened to it, automatic or human,
/// with its actor (`keel` for the engine, `playbook:<id>` for a playbook's step, `key:<id>` or
/// `admin` for a person through the admin API).
public struct IncidentEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// The incident was opened by a detection.
        case detected
        /// Another detection joined it.
        case detectionJoined = "detection_joined"
        case severityRaised = "severity_raised"
        case stateChanged = "state_changed"
        case assigned
        case comment
        case classified
        /// A regulatory clock's reminder (50 %, 80 %) or its deadline passing.
        case clockReminder = "clock_reminder"
        case clockOverdue = "clock_overdue"
        /// A regulator report was filed: the clock stops.
        case reported
        case evidenceFrozen = "evidence_frozen"
        case notified
        /// Notified the next on-call target: unacknowledged too long.
        case escalated
        /// A playbook step ran, waits for approval, was approved, skipped, failed or undone.
        case action
    }

    public var incidentID: String
    /// Order within the incident's timeline (1, 2, …), given by the store.
    public var sequence: Int
    /// Unix µs.
    public var at: Int64
    public var actor: String
    public var kind: Kind
    public var text: String
    /// Details: the detection's values, the action's parameters and result, the transition.
    public var data: JSONValue?

    public init(
        incidentID: String,
        sequence: Int = 0,
        at: Int64,
        actor: String,
        kind: Kind,
        text: String,
        data: JSONValue? = nil
    ) {
        self.incidentID = incidentID
        self.sequence = sequence
        self.at = at
        self.actor = actor
        self.kind = kind
        self.text = text
        self.data = data
    }

    /// The engine's own actor name.
    public static let engineActor = "keel"
}
