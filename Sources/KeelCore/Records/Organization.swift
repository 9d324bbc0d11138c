/// The top of the tenancy tree: an organisation owns teams and users.
///
/// Times are microseconds since the Unix epoch. The admin layer creates ids and timestamps.
public struct Organization: Sendable, Equatable, Codable {
    public var id: OrgID
    /// Unique among organisations.
    public var name: String
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(id: OrgID, name: String, createdAt: Int64, updatedAt: Int64? = nil) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }
}
