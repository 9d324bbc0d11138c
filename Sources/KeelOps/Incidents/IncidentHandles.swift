public import KeelCore

/// What a playbook step did: a line for the timeline, and what undoing it needs.
public struct IncidentActionOutcome: Sendable, Equatable {
    public var text: String
    /// For temporary actions: what ``IncidentHandles/undo(_:token:for:)`` is given back.
    public var undo: JSONValue?

    public init(text: String, undo: JSONValue? = nil) {
        self.text = text
        self.undo = undo
    }
}

/// The narrow handles playbooks act on the data plane through: each validates, applies on every
/// instance (through the store, within the instances' sync intervals), and can be undone. The
/// incident engine records each on the timeline and in the audit log.
public protocol IncidentHandles: Sendable {
    /// Runs `action` for `incident`; throws a ``IncidentActionFailure`` saying why it could not.
    func perform(_ action: PlaybookAction, for incident: Incident) async throws -> IncidentActionOutcome
    /// Undoes what `perform` did (its `undo` token); returns a line for the timeline.
    func undo(_ action: PlaybookAction, token: JSONValue, for incident: Incident) async throws -> String
}

/// Why a step could not run, in words for the timeline.
public struct IncidentActionFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    /// The incident's scope names nothing the action acts on (no key to suspend in an incident
    /// about a provider): the step is skipped, not failed.
    public var notApplicable: Bool

    public init(_ reason: String, notApplicable: Bool = false) {
        self.reason = reason
        self.notApplicable = notApplicable
    }

    public var description: String { self.reason }
}
