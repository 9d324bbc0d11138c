public import KeelCore

/// Who is calling: the authenticated key and what it is bound to.
public struct Principal: Sendable {
    public var keyID: KeyID?
    /// The organisation of the key, recorded on each of its requests.
    public var orgID: OrgID?
    public var teamID: TeamID?
    public var projectID: ProjectID?
    public var userID: UserID?
    /// Model names the key may use; empty means all.
    public var allowedModels: Set<String>
    /// The admin key: may use every model and the admin API.
    public var isAdmin: Bool
    /// The key's default attribution tags, overlaid by each request's `x-keel-tags`.
    public var defaultTags: [String: String] = [:]
    /// The registered agent the key is bound to.
    public var agentID: String? = nil

    public func mayUse(model: String) -> Bool {
        self.isAdmin || self.allowedModels.isEmpty || self.allowedModels.contains(model)
    }

    static let admin = Principal(keyID: "admin", allowedModels: [], isAdmin: true)
}

extension Principal {
    /// The principal of `key`, built once per key snapshot rather than per request.
    init(key: VirtualKey) {
        self.init(
            keyID: key.id,
            orgID: key.orgID,
            teamID: key.teamID,
            projectID: key.projectID,
            userID: key.userID,
            allowedModels: Set(key.models),
            isAdmin: false,
            defaultTags: key.tags,
            agentID: key.agentID
        )
    }
}
