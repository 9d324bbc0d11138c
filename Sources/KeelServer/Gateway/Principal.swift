public import KeelCore

/// Who is calling: the authenticated key and what it is bound to.
public struct Principal: Sendable {
    public var keyID: KeyID?
    public var teamID: TeamID?
    public var projectID: ProjectID?
    public var userID: UserID?
    /// Model names the key may use; empty means all.
    public var allowedModels: Set<String>
    /// The admin key: may use every model and the admin API.
    public var isAdmin: Bool

    public func mayUse(model: String) -> Bool {
        self.isAdmin || self.allowedModels.isEmpty || self.allowedModels.contains(model)
    }

    static let admin = Principal(keyID: "admin", allowedModels: [], isAdmin: true)
}
