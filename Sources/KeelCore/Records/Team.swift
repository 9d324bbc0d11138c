/// A team of an organisation; it owns projects, and keys and users may be bound to it.
///
/// Team ids are unique across organisations, so a team id alone names a scope. A team never
/// moves to another organisation.
public struct Team: Sendable, Equatable, Codable {
    public var id: TeamID
    public var orgID: OrgID
    /// Unique within the organisation.
    public var name: String
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(id: TeamID, orgID: OrgID, name: String, createdAt: Int64, updatedAt: Int64? = nil) {
        self.id = id
        self.orgID = orgID
        self.name = name
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }
}
