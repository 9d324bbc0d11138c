/// A declarative response to incidents of one category: ordered steps that notify, escalate,
/// contain (throttle, suspend, fail over, pin, block) and collect evidence, each automatic or
/// held for a human's approval. Temporary actions are undone when the incident resolves unless a
/// step says to keep them; in a dry run, the steps are only shown on the timeline.
public struct Playbook: Sendable, Equatable {
    public enum Source: String, Sendable, Equatable, Codable {
        /// One of Keel's default playbooks (`default-<category>`).
        case builtIn = "built_in"
        case config
        case api
    }

    public var id: String
    public var name: String?
    public var category: IncidentCategory
    /// Runs for incidents of this severity and above.
    public var minimumSeverity: IncidentSeverity
    public var enabled: Bool
    /// Shows what would run, runs nothing.
    public var dryRun: Bool
    public var steps: [PlaybookStep]
    public var source: Source

    public init(
        id: String,
        name: String? = nil,
        category: IncidentCategory,
        minimumSeverity: IncidentSeverity = .low,
        enabled: Bool = true,
        dryRun: Bool = false,
        steps: [PlaybookStep],
        source: Source = .api
    ) {
        self.id = id
        self.name = name
        self.category = category
        self.minimumSeverity = minimumSeverity
        self.enabled = enabled
        self.dryRun = dryRun
        self.steps = steps
        self.source = source
    }

    /// Whether it runs for `incident`.
    public func applies(to incident: Incident) -> Bool {
        self.enabled && incident.category == self.category && incident.severity >= self.minimumSeverity
    }
}

/// One step of a playbook.
public struct PlaybookStep: Sendable, Equatable {
    public var action: PlaybookAction
    /// Waits for a human's approval before it runs.
    public var approval: Bool
    /// Not undone when the incident resolves (for temporary actions).
    public var keep: Bool

    public init(_ action: PlaybookAction, approval: Bool = false, keep: Bool = false) {
        self.action = action
        self.approval = approval
        self.keep = keep
    }
}

/// What a step does. Scoped actions act on the incident's scope (its key, agent, team, model or
/// provider) unless the step names its target.
public enum PlaybookAction: Sendable, Equatable {
    /// Tells the incident's receivers, with a message.
    case notify(message: String?)
    /// Notifies the next on-call target when the incident is still unacknowledged this many
    /// minutes after it opened.
    case escalate(afterMinutes: Int)
    /// Benches the deployments of a provider (the incident's, or the one named) so traffic fails
    /// over to the others and to fallbacks, for a while or until the incident resolves.
    case failover(provider: String?, durationMinutes: Int?)
    /// A temporary rate limit on the incident's key, team or model.
    case throttle(requestsPerMinute: Int, durationMinutes: Int?)
    /// Suspends the incident's key.
    case suspendKey
    /// Suspends the incident's agent (the kill switch).
    case suspendAgent
    /// Routes a model (the incident's, or the one named) to one of its deployments only.
    case pinModel(model: String?, deployment: String)
    /// Refuses requests of the incident's scope whose prompt contains `pattern` (a case-insensitive
    /// literal), as a guard rule.
    case blockPattern(pattern: String)
    /// Holds the steps after it until a human approves.
    case requireApproval(reason: String?)
    /// Captures the audit log's checkpoint and the linked records' indices again.
    case freezeEvidence
    /// Posts the incident to another system (a ticket, a pager), as JSON or Slack's format.
    case webhook(url: String, slack: Bool)

    /// Its name in playbooks: `notify`, `escalate`, `failover`, `throttle`, `suspend_key`,
    /// `suspend_agent`, `pin_model`, `block_pattern`, `require_approval`, `freeze_evidence`,
    /// `webhook`.
    public var name: String {
        switch self {
        case .notify: "notify"
        case .escalate: "escalate"
        case .failover: "failover"
        case .throttle: "throttle"
        case .suspendKey: "suspend_key"
        case .suspendAgent: "suspend_agent"
        case .pinModel: "pin_model"
        case .blockPattern: "block_pattern"
        case .requireApproval: "require_approval"
        case .freezeEvidence: "freeze_evidence"
        case .webhook: "webhook"
        }
    }

    public static let names = [
        "notify", "escalate", "failover", "throttle", "suspend_key", "suspend_agent", "pin_model", "block_pattern",
        "require_approval", "freeze_evidence", "webhook",
    ]

    /// Changes the data plane until undone: undone when the incident resolves (unless kept), or
    /// when its duration ends.
    public var isTemporary: Bool {
        switch self {
        case .failover, .throttle, .suspendKey, .suspendAgent, .pinModel, .blockPattern: true
        case .notify, .escalate, .requireApproval, .freezeEvidence, .webhook: false
        }
    }

    /// Minutes after which a temporary action is undone on its own, when set.
    public var durationMinutes: Int? {
        switch self {
        case .failover(_, let minutes), .throttle(_, let minutes): minutes
        default: nil
        }
    }
}
