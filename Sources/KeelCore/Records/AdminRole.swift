/// What a virtual key may do on the admin API (`/admin/v1`), within the scope it is bound to.
///
/// A key's scope is its team when it has one, else its organisation. The rules of each role are
/// written once, in the server's `AdminAuthorization`.
public enum AdminRole: String, Sendable, Equatable, Hashable, Codable, CaseIterable {
    /// Everything, like the admin key.
    case admin
    /// Reads within its team; manages its team's projects, keys and users' membership.
    case teamAdmin = "team_admin"
    /// Reads within its scope (its team, or its organisation when bound only to one).
    case viewer
    /// Reads everything, changes nothing.
    case auditor
    /// No admin access: a data-plane key (the default). Spelled `none` on the wire and in the
    /// database; the Swift name avoids confusion with `Optional.none`.
    case dataPlane = "none"
}
