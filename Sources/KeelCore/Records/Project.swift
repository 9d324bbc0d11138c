/// A project of a team, the finest unit requests are attributed to.
///
/// A project never moves to another team.
public struct Project: Sendable, Equatable, Codable {
    public var id: ProjectID
    public var teamID: TeamID
    /// Unique within the team.
    public var name: String
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(id: ProjectID, teamID: TeamID, name: String, createdAt: Int64, updatedAt: Int64? = nil) {
        self.id = id
        self.teamID = teamID
        self.name = name
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }
}
