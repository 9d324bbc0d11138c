/// One step of a playbook run for an incident, where it stands: the record that lets every
/// instance agree on what ran, what waits, and what to undo.
public struct IncidentAction: Sendable, Equatable {
    public enum State: String, Sendable, Hashable, Codable, CaseIterable {
        /// Not reached yet.
        case pending
        /// Held until a human approves or denies it.
        case awaitingApproval = "awaiting_approval"
        /// A timer: an escalation waiting for its minute.
        case waiting
        /// Claimed by an instance, running.
        case running
        case done
        case failed
        case skipped
        /// Done, then undone (the incident resolved, or its duration ended).
        case undone
        /// A dry run's step: shown, not run.
        case dryRun = "dry_run"
    }

    public var incidentID: String
    public var playbookID: String
    /// The step's index in its playbook.
    public var step: Int
    /// The step as it was when the run started (a playbook changed later does not change it).
    public var definition: PlaybookStep
    public var state: State
    /// What happened, for the timeline and the API.
    public var result: String?
    /// What undoing needs (the rule created, the key suspended…), for temporary actions done.
    public var undo: JSONValue?
    /// Unix µs: when a waiting step falls due, or when a done temporary action expires.
    public var dueAt: Int64?
    public var updatedAt: Int64

    public init(
        incidentID: String,
        playbookID: String,
        step: Int,
        definition: PlaybookStep,
        state: State = .pending,
        result: String? = nil,
        undo: JSONValue? = nil,
        dueAt: Int64? = nil,
        updatedAt: Int64
    ) {
        self.incidentID = incidentID
        self.playbookID = playbookID
        self.step = step
        self.definition = definition
        self.state = state
        self.result = result
        self.undo = undo
        self.dueAt = dueAt
        self.updatedAt = updatedAt
    }

    /// `<playbook>.<step>`: how the admin API names it.
    public var reference: String { "\(self.playbookID).\(self.step)" }
}
