public import KeelCore

/// What to tell receivers about an incident: it opened, got worse, was escalated to the next
/// on-call target, resolved, or a regulatory clock needs attention.
public struct IncidentNotification: Sendable, Equatable {
    public enum Event: String, Sendable, Hashable, CaseIterable {
        case opened
        case severityRaised = "severity_raised"
        case escalated
        case resolved
        case clockReminder = "clock_reminder"
        case clockOverdue = "clock_overdue"
        /// A playbook step waits for a human's approval.
        case approvalRequested = "approval_requested"
        /// A playbook's `notify` or `webhook` step.
        case notice
    }

    public var event: Event
    public var incident: Incident
    public var text: String
    /// The on-call target it is for (0: the first); every receiver when `nil`.
    public var onCallLevel: Int?

    public init(event: Event, incident: Incident, text: String, onCallLevel: Int? = nil) {
        self.event = event
        self.incident = incident
        self.text = text
        self.onCallLevel = onCallLevel
    }
}

/// Sends incident notifications (webhooks, Slack, the on-call targets); failures are the
/// notifier's to log, never the engine's to handle.
public protocol IncidentNotifier: Sendable {
    func notify(_ notification: IncidentNotification) async
}

/// Keeps the audit trail of what the incident engine does on its own (opening an incident,
/// running a playbook's step): each is an `admin_change` entry whose actor is Keel itself.
public protocol IncidentAuditTrail: Sendable {
    /// `action` is `incidents.<verb>` (`incidents.open`, `incidents.action`).
    func record(action: String, incidentID: String, summary: JSONValue) async
}
