import KeelCore

/// Who calls the admin API: the admin key, or a virtual key with its role and bindings.
struct AdminCaller: Sendable, Equatable {
    var role: AdminRole
    var keyID: KeyID?
    var orgID: OrgID?
    var teamID: TeamID?

    /// The admin key of the configuration.
    static let adminKey = AdminCaller(role: .admin)

    /// The part of the tenancy tree the caller is bound to: its team when it has one (team ids
    /// are unique across organisations), else its organisation, else nothing.
    var scope: AdminScope? {
        if let teamID = self.teamID { return AdminScope(orgID: self.orgID, teamID: teamID) }
        if let orgID = self.orgID { return AdminScope(orgID: orgID) }
        return nil
    }
}

/// Where an object of the admin API lives: its organisation and, below it, its team.
///
/// An organisation is `(id, nil)`, a team `(org, id)`, a project `(org of its team, team)`, a
/// user `(org, default team)`, a key `(org, team)` as bound.
struct AdminScope: Sendable, Equatable, Hashable {
    var orgID: OrgID?
    var teamID: TeamID?

    init(orgID: OrgID? = nil, teamID: TeamID? = nil) {
        self.orgID = orgID
        self.teamID = teamID
    }
}

/// The kinds of objects the admin API manages.
enum AdminResource: String, Sendable, CaseIterable {
    case organization, team, project, user
    /// A user's team membership (`default_team`) alone; team admins may change it.
    case userMembership
    case key
    case requestLog
    /// A budget; team admins manage those on its projects, users and keys, not its own.
    case budget
    /// A rate limit on a key (with or without a model): team admins manage it like the key.
    case keyRateLimit
    /// A rate limit on a team or a model: only admins change it.
    case rateLimit
    /// A compliance policy (`/admin/v1/policies`): only admins change it.
    case policy
    /// A registered agent (`/admin/v1/agents`) and the holds on many agents: team admins
    /// manage their team's.
    case agent
    /// An incident (`/admin/v1/incidents`): team admins respond to their team's.
    case incident
}

/// What a call does with an object. A list is a `read` of each object it returns.
enum AdminOperation: String, Sendable, CaseIterable {
    case read, create, update, delete
}

/// The authorization rules of the admin API, in one place; every admin route asks them.
///
/// | role | reads | changes |
/// |---|---|---|
/// | `admin` (and the admin key) | everything | everything, any role granted |
/// | `auditor` | everything | nothing |
/// | `viewer` | objects in its scope | nothing |
/// | `team_admin` | objects in its scope (its team) | its team's projects, keys, keys' rate limits and agents (never granting `admin` or `auditor`); users' membership of its team: a user of its team, or of its organisation without a team, may be moved into or out of its team |
/// | `none` | nothing (403 on every admin route) | nothing |
///
/// An object is *in the scope* of a caller bound to a team when it lives in that team (an
/// organisation object never does); for a caller bound only to an organisation, when it lives in
/// that organisation. A caller bound to neither has an empty scope. A change that moves an object
/// (a user's membership) must be allowed for both where it was and where it goes.
///
/// Pure and synchronous: the handlers look the objects up, then ask.
enum AdminAuthorization {
    /// Whether `caller` may do `operation` on a `resource` that lives in `target`.
    static func allows(
        _ caller: AdminCaller,
        _ operation: AdminOperation,
        _ resource: AdminResource,
        in target: AdminScope
    ) -> Bool {
        switch caller.role {
        case .admin:
            return true
        case .auditor:
            return operation == .read
        case .viewer:
            return operation == .read && Self.contains(caller, target)
        case .teamAdmin:
            switch (operation, resource) {
            case (.read, _):
                return Self.contains(caller, target)
            case (.create, .project), (.update, .project), (.delete, .project),
                (.create, .key), (.update, .key), (.delete, .key),
                (.create, .budget), (.update, .budget), (.delete, .budget),
                (.create, .keyRateLimit), (.update, .keyRateLimit), (.delete, .keyRateLimit),
                (.create, .agent), (.update, .agent), (.delete, .agent), (.update, .incident):
                return caller.teamID != nil && target.teamID == caller.teamID
            case (.update, .userMembership):
                guard let team = caller.teamID else { return false }
                if target.teamID == team { return true }
                // A user of its organisation who is in no team yet.
                return target.teamID == nil && target.orgID != nil && target.orgID == caller.orgID
            default:
                return false
            }
        case .dataPlane:
            return false
        }
    }

    /// Whether `caller` may do `operation` on some `resource` somewhere: routes ask first, so that
    /// a caller who may never do it gets 403 before its input is read.
    static func mayEver(_ caller: AdminCaller, _ operation: AdminOperation, _ resource: AdminResource) -> Bool {
        switch caller.role {
        case .admin: true
        case .auditor, .viewer: operation == .read
        case .teamAdmin:
            switch (operation, resource) {
            case (.read, _), (_, .project), (_, .key), (_, .budget), (_, .keyRateLimit), (_, .agent),
                (.update, .userMembership),
                (.update, .incident):
                caller.teamID != nil
            default: false
            }
        case .dataPlane: false
        }
    }

    /// Whether `caller` may create a key with `role`: an admin any; a team admin `team_admin`,
    /// `viewer` or `none` (never `admin`, nor `auditor`, which reads beyond its team).
    static func mayGrant(_ caller: AdminCaller, _ role: AdminRole) -> Bool {
        switch caller.role {
        case .admin: true
        case .teamAdmin: role == .teamAdmin || role == .viewer || role == .dataPlane
        case .auditor, .viewer, .dataPlane: false
        }
    }

    /// The objects `caller` may list: all, those in one scope, or none.
    static func listScope(_ caller: AdminCaller) -> ListScope {
        switch caller.role {
        case .admin, .auditor: .everything
        case .viewer, .teamAdmin: caller.scope.map(ListScope.within) ?? .nothing
        case .dataPlane: .nothing
        }
    }

    /// What a list may return.
    enum ListScope: Sendable, Equatable {
        case everything
        case within(AdminScope)
        case nothing
    }

    private static func contains(_ caller: AdminCaller, _ target: AdminScope) -> Bool {
        if let team = caller.teamID { return target.teamID == team }
        if let org = caller.orgID { return target.orgID == org }
        return false
    }
}
