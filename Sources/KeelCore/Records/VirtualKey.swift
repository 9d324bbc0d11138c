/// A client API key as Keel stores it: the SHA-256 of the secret, never the secret itself.
public struct VirtualKey: Sendable, Equatable, Codable {
    public var id: KeyID
    /// Lowercase hex SHA-256 of the full key text.
    public var hash: String
    /// The first characters of the key (`sk-keel-ab12`), shown in lists so people can tell keys apart.
    public var prefix: String
    public var name: String?
    /// The organisation the key belongs to; set from the team when the key has one.
    public var orgID: OrgID?
    public var teamID: TeamID?
    public var projectID: ProjectID?
    public var userID: UserID?
    /// Model names the key may use; empty means every configured model.
    public var models: [String]
    /// What the key may do on the admin API; `.dataPlane` (the default) is nothing.
    public var role: AdminRole
    /// Default `key=value` tags of the key's requests, for cost attribution.
    public var tags: [String: String]
    /// Microseconds since the Unix epoch.
    public var createdAt: Int64
    public var expiresAt: Int64?
    public var revokedAt: Int64?
    /// When it was suspended (Unix µs), while it is: a suspended key authenticates nothing until
    /// resumed (an incident playbook's `suspend_key`, or `POST /admin/v1/keys/{id}/suspend`).
    public var suspendedAt: Int64?
    /// The registered agent the key belongs to: its requests are that agent's, and a request
    /// naming another agent in `x-keel-agent` is refused.
    public var agentID: String?

    public init(
        id: KeyID,
        hash: String,
        prefix: String,
        name: String? = nil,
        orgID: OrgID? = nil,
        teamID: TeamID? = nil,
        projectID: ProjectID? = nil,
        userID: UserID? = nil,
        models: [String] = [],
        role: AdminRole = .dataPlane,
        tags: [String: String] = [:],
        createdAt: Int64,
        expiresAt: Int64? = nil,
        revokedAt: Int64? = nil,
        agentID: String? = nil,
        suspendedAt: Int64? = nil
    ) {
        self.id = id
        self.hash = hash
        self.prefix = prefix
        self.name = name
        self.orgID = orgID
        self.teamID = teamID
        self.projectID = projectID
        self.userID = userID
        self.models = models
        self.role = role
        self.tags = tags
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.agentID = agentID
        self.suspendedAt = suspendedAt
    }

    /// Whether the key authenticates at `now` (microseconds since the Unix epoch).
    public func isActive(at now: Int64) -> Bool {
        self.revokedAt == nil && self.suspendedAt == nil && (self.expiresAt.map { now < $0 } ?? true)
    }
}
