/// An incident: what went wrong (category, severity, scope), where its response stands
/// (`detected → acknowledged → contained → resolved → closed`), who owns it, the evidence frozen
/// when it was detected, and the regulatory clocks its classification started.
///
/// Its timeline (``IncidentEvent``), its detections and the requests it links are kept beside
/// it by the incident store.
public struct Incident: Sendable, Equatable {
    public enum State: String, Sendable, Hashable, Codable, CaseIterable {
        case detected, acknowledged, contained, resolved, closed

        /// Open incidents are the ones detections join and playbooks act for.
        public var isOpen: Bool { self == .detected || self == .acknowledged || self == .contained }

        private var rank: Int {
            switch self {
            case .detected: 0
            case .acknowledged: 1
            case .contained: 2
            case .resolved: 3
            case .closed: 4
            }
        }

        /// Moves are forward (steps may be skipped: a false alarm is resolved at once), except
        /// that a resolved incident may be reopened (back to `acknowledged`). `closed` is final
        /// and follows `resolved` only.
        public func canMove(to next: State) -> Bool {
            switch (self, next) {
            case (.closed, _): false
            case (_, .closed): self == .resolved
            case (.resolved, .acknowledged): true
            default: next.rank > self.rank
            }
        }
    }

    /// What the post-incident review found; closing an incident requires one.
    public struct Review: Sendable, Equatable, Codable {
        public var summary: String
        public var rootCause: String?
        /// What will be done so it does not happen again.
        public var actions: [String]

        public init(summary: String, rootCause: String? = nil, actions: [String] = []) {
            self.summary = summary
            self.rootCause = rootCause
            self.actions = actions
        }
    }

    /// What was frozen at detection to show later that nothing was altered: the audit log's
    /// checkpoint then, and the log indices of the linked records.
    public struct Evidence: Sendable, Equatable, Codable {
        /// The signed checkpoint (signed-note text) and its tree size, when the log had one.
        public var checkpoint: String?
        public var treeSize: UInt64?
        /// Base64 of the tree's root hash at that size.
        public var rootHash: String?
        /// Request id → index of its entry in the audit log.
        public var entries: [String: UInt64]
        /// Unix µs.
        public var frozenAt: Int64

        public init(
            checkpoint: String? = nil,
            treeSize: UInt64? = nil,
            rootHash: String? = nil,
            entries: [String: UInt64] = [:],
            frozenAt: Int64
        ) {
            self.checkpoint = checkpoint
            self.treeSize = treeSize
            self.rootHash = rootHash
            self.entries = entries
            self.frozenAt = frozenAt
        }
    }

    public var id: String
    public var category: IncidentCategory
    public var severity: IncidentSeverity
    public var scope: IncidentScope
    public var state: State
    public var title: String
    /// Who owns the response (a free name: a person, a team, an on-call rotation).
    public var owner: String?
    /// Detections that joined it, the first included.
    public var detections: Int
    /// The on-call level notified last (0: the first target).
    public var escalationLevel: Int
    public var clocks: [RegulatoryClock]
    public var evidence: Evidence?
    public var review: Review?
    /// Unix µs of each state reached (the first time), and of the last change or detection.
    public var openedAt: Int64
    public var acknowledgedAt: Int64?
    public var containedAt: Int64?
    public var resolvedAt: Int64?
    public var closedAt: Int64?
    public var updatedAt: Int64

    public init(
        id: String,
        category: IncidentCategory,
        severity: IncidentSeverity,
        scope: IncidentScope,
        state: State = .detected,
        title: String,
        owner: String? = nil,
        detections: Int = 1,
        escalationLevel: Int = 0,
        clocks: [RegulatoryClock] = [],
        evidence: Evidence? = nil,
        review: Review? = nil,
        openedAt: Int64,
        acknowledgedAt: Int64? = nil,
        containedAt: Int64? = nil,
        resolvedAt: Int64? = nil,
        closedAt: Int64? = nil,
        updatedAt: Int64? = nil
    ) {
        self.id = id
        self.category = category
        self.severity = severity
        self.scope = scope
        self.state = state
        self.title = title
        self.owner = owner
        self.detections = detections
        self.escalationLevel = escalationLevel
        self.clocks = clocks
        self.evidence = evidence
        self.review = review
        self.openedAt = openedAt
        self.acknowledgedAt = acknowledgedAt
        self.containedAt = containedAt
        self.resolvedAt = resolvedAt
        self.closedAt = closedAt
        self.updatedAt = updatedAt ?? openedAt
    }

    /// The incident a first detection opens.
    public init(id: String, opening detection: Detection) {
        self.init(
            id: id,
            category: detection.category,
            severity: detection.severity,
            scope: detection.scope,
            title: detection.summary,
            openedAt: detection.at
        )
    }

    public enum TransitionError: Error, Sendable, Equatable {
        /// The state machine does not allow the move.
        case notAllowed(from: State, to: State)
        /// Closing needs a post-incident review with a summary.
        case reviewRequired
    }

    /// Moves to `next` at `now`, stamping the first time each state is reached (skipped states
    /// take the same time: an incident resolved at once was acknowledged and contained then).
    /// A move no person made (a playbook containing the incident) does not acknowledge it:
    /// acknowledgement is a person's, and escalation waits for it.
    public mutating func move(
        to next: State,
        at now: Int64,
        review: Review? = nil,
        byPerson: Bool = true
    ) throws(TransitionError) {
        guard self.state.canMove(to: next) else { throw .notAllowed(from: self.state, to: next) }
        if next == .closed {
            guard let review = review ?? self.review, !review.summary.isEmpty else { throw .reviewRequired }
            self.review = review
        }
        if next == .acknowledged, self.state == .resolved {
            // Reopened: it is no longer resolved.
            self.resolvedAt = nil
        }
        self.state = next
        if next != .detected, byPerson, self.acknowledgedAt == nil { self.acknowledgedAt = now }
        if next == .contained || next == .resolved || next == .closed, self.containedAt == nil {
            self.containedAt = now
        }
        if next == .resolved || next == .closed, self.resolvedAt == nil { self.resolvedAt = now }
        if next == .closed { self.closedAt = now }
        self.updatedAt = now
    }

    /// Adds a detection that joined: its severity raises the incident's (never lowers it).
    /// Returns `true` when the severity rose.
    public mutating func join(_ detection: Detection) -> Bool {
        self.detections += 1
        self.updatedAt = max(self.updatedAt, detection.at)
        guard detection.severity > self.severity else { return false }
        self.severity = detection.severity
        return true
    }

    /// Seconds from detection to acknowledgement, and to resolution, when reached.
    public var secondsToAcknowledge: Double? { self.acknowledgedAt.map { Double($0 - self.openedAt) / 1e6 } }
    public var secondsToResolve: Double? { self.resolvedAt.map { Double($0 - self.openedAt) / 1e6 } }
}
