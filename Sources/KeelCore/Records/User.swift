/// A person of an organisation, to whom keys and requests are attributed.
///
/// `defaultTeamID` is the user's team membership: a team of the same organisation, or none.
/// A user never moves to another organisation.
public struct User: Sendable, Equatable, Codable {
    public var id: UserID
    public var orgID: OrgID
    public var name: String
    /// Unique among users when set.
    public var email: String?
    public var defaultTeamID: TeamID?
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(
        id: UserID,
        orgID: OrgID,
        name: String,
        email: String? = nil,
        defaultTeamID: TeamID? = nil,
        createdAt: Int64,
        updatedAt: Int64? = nil
    ) {
        self.id = id
        self.orgID = orgID
        self.name = name
        self.email = email
        self.defaultTeamID = defaultTeamID
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }
}
