public import KeelCore

/// What `GET /admin/v1/incidents` asks for.
public struct IncidentQuery: Sendable, Equatable {
    public var state: Incident.State?
    /// Only open (`true`) or only resolved and closed (`false`) incidents.
    public var open: Bool?
    public var category: IncidentCategory?
    /// This severity and above.
    public var minimumSeverity: IncidentSeverity?
    public var org: String?
    public var team: String?
    public var agent: String?
    public var model: String?
    public var provider: String?
    public var owner: String?
    /// Opened at or after (Unix µs).
    public var since: Int64?
    public var limit: Int

    public init(
        state: Incident.State? = nil,
        open: Bool? = nil,
        category: IncidentCategory? = nil,
        minimumSeverity: IncidentSeverity? = nil,
        org: String? = nil,
        team: String? = nil,
        agent: String? = nil,
        model: String? = nil,
        provider: String? = nil,
        owner: String? = nil,
        since: Int64? = nil,
        limit: Int = 100
    ) {
        self.state = state
        self.open = open
        self.category = category
        self.minimumSeverity = minimumSeverity
        self.org = org
        self.team = team
        self.agent = agent
        self.model = model
        self.provider = provider
        self.owner = owner
        self.since = since
        self.limit = limit
    }
}

/// What reporting a detection did.
public struct IncidentReport: Sendable, Equatable {
    public var incident: Incident
    /// A new incident was opened (else the detection joined an open one).
    public var opened: Bool
    /// The detection raised the open incident's severity.
    public var severityRaised: Bool

    public init(incident: Incident, opened: Bool, severityRaised: Bool) {
        self.incident = incident
        self.opened = opened
        self.severityRaised = severityRaised
    }
}

/// Incidents (`incident`), their timelines, detections and linked requests, shared by every
/// instance: a detection made on any instance joins the one open incident of its category and
/// scope.
public protocol IncidentStore: Sendable {
    /// Opens an incident for `detection` (with id `newID`) or, when one of its category and scope
    /// is open, joins it, atomically across instances; records the detection, links its requests
    /// and adds the timeline's event (`detected`, or `detection_joined` and `severity_raised`).
    func report(_ detection: Detection, newID: String) async throws -> IncidentReport
    func incident(id: String) async throws -> Incident?
    /// Newest first.
    func incidents(matching query: IncidentQuery) async throws -> [Incident]
    /// Changes an incident atomically: `change` edits it and returns the events to add to its
    /// timeline (their sequence numbers are given here). `nil` when there is no such incident;
    /// what `change` throws is thrown and nothing is changed.
    func update(
        id: String,
        _ change: @Sendable (inout Incident) throws -> [IncidentEvent]
    ) async throws -> Incident?
    /// Adds events to a timeline without changing the incident.
    func append(_ events: [IncidentEvent]) async throws
    /// Oldest first.
    func timeline(of id: String) async throws -> [IncidentEvent]
    /// Oldest first.
    func detections(of id: String) async throws -> [Detection]
    /// The requests linked to the incident, oldest link first.
    func requestIDs(of id: String, limit: Int) async throws -> [String]
    /// Open incidents (for clocks, escalations and the engine's ticks).
    func openIncidents() async throws -> [Incident]
    /// Incidents with a clock not yet reported (classified ones, resolved or not, until closed).
    func incidentsWithRunningClocks() async throws -> [Incident]

    // MARK: Playbooks and their runs

    /// Playbooks made through the admin API, by id.
    func playbooks() async throws -> [Playbook]
    /// Creates or replaces a playbook.
    func save(_ playbook: Playbook, at time: Int64) async throws
    /// `false` when there was none.
    func deletePlaybook(id: String) async throws -> Bool
    /// A value that changes whenever a playbook is saved or deleted.
    func playbookStamp() async throws -> String
    /// Adds the steps of a run; steps already there (the run started on another instance) stay.
    func insert(_ actions: [IncidentAction]) async throws
    /// The incident's steps, by playbook and step.
    func actions(of incidentID: String) async throws -> [IncidentAction]
    /// Moves a step from one of `from` to `action.state` with its definition, result, undo and due time,
    /// atomically: `false` when it was in none of them (another instance moved it first).
    func move(_ action: IncidentAction, from: Set<IncidentAction.State>) async throws -> Bool
    /// Waiting steps, and done temporary steps, whose due time has come.
    func dueActions(at time: Int64) async throws -> [IncidentAction]
    /// Incidents with steps pending (open ones; a run interrupted by a restart goes on).
    func incidentsWithPendingActions() async throws -> [String]
}

extension IncidentStore {
    /// Most linked requests kept per incident: enough for any investigation, bounded.
    public static var maximumLinkedRequests: Int { 10_000 }
}
