/// The stores of one backend, opened and migrated, as the server uses them.
///
/// Every store is written once, against ``database`` (`Stores/SQL*Store.swift`), and built here;
/// a backend passes in only a store it tunes itself (SQLite's request recorder), given the audit
/// log its batches append to.
public struct KeelStores: Sendable {
    /// The database itself, through the SQL layer every store is written against.
    public let database: any SQLDatabase
    public let requests: any RequestRecordStore
    /// The audit log; the request store appends a batch's entries with its records.
    public let audit: any AuditLogStore
    public let keys: any VirtualKeyStore
    public let settings: any SettingStore
    public let tenancy: any TenancyStore
    /// Cost reports from the rollups the request store maintains.
    public let costs: any CostReportStore
    /// Budgets and the ledger of what each instance spent and holds of them.
    public let budgets: any BudgetStore
    /// Rate-limit rules, and the window slices and concurrency slots instances lease.
    public let rateLimits: any RateLimitStore
    /// The agent tasks that ended, and what their requests add up to.
    public let agentTasks: any AgentTaskStore
    /// Compliance policies made through the admin API, and the policy probes' results.
    public let policies: any PolicyStore
    /// Bodies kept by policy, sealed, and the organisations' data keys.
    public let bodies: any BodyStore
    /// The agent registry, agents' versions and suspensions of many agents.
    public let agents: any AgentStore
    /// Escalations: tool calls held for approval and agents' questions, with their decisions.
    public let escalations: any EscalationStore
    /// Incidents, their timelines, detections and the requests they pin.
    public let incidents: any IncidentStore
    /// Routing overrides in force (providers benched, models pinned by incident playbooks).
    public let routeOverrides: any RouteOverrideStore
    /// A human-readable name of the backend (`sqlite:/path`), without credentials.
    public let backendDescription: String
    /// Checks that the database answers; the server's `/readyz` calls it.
    public let ping: @Sendable () async throws -> Void

    package init(
        database: any SQLDatabase,
        requests: ((SQLAuditLogStore) -> any RequestRecordStore)? = nil,
        backendDescription: String,
        ping: @escaping @Sendable () async throws -> Void
    ) {
        self.database = database
        let auditLog = SQLAuditLogStore(database: database)
        self.audit = auditLog
        self.requests = requests?(auditLog) ?? SQLRequestRecordStore(database: database, auditLog: auditLog)
        self.keys = SQLVirtualKeyStore(database: database)
        self.settings = SQLSettingStore(database: database)
        self.tenancy = SQLTenancyStore(database: database)
        self.costs = SQLCostReportStore(database: database)
        self.budgets = SQLBudgetStore(database: database)
        self.rateLimits = SQLRateLimitStore(database: database)
        self.agentTasks = SQLAgentTaskStore(database: database)
        self.policies = SQLPolicyStore(database: database)
        self.bodies = SQLBodyStore(database: database)
        self.agents = SQLAgentStore(database: database)
        self.escalations = SQLEscalationStore(database: database)
        self.incidents = SQLIncidentStore(database: database)
        self.routeOverrides = SQLRouteOverrideStore(database: database)
        self.backendDescription = backendDescription
        self.ping = ping
    }
}
