public import KeelCore

/// Organisations, their teams, the teams' projects, and users: the scopes keys are bound to and
/// requests are attributed to.
///
/// The admin layer creates ids and timestamps and checks authorization; a store writes records
/// exactly as given and keeps the tree consistent:
///
/// - **References.** A team's organisation, a project's team, a user's organisation and default
///   team must exist: an insert or update naming a missing one throws ``StorageError``
///   `.referenced` and stores nothing. Ids never change, and neither do a team's organisation,
///   a project's team or a user's organisation (updates leave them as stored).
/// - **Unique keys.** Ids are unique per kind; organisation names are unique, team names within
///   their organisation, project names within their team, user emails among users. A taken one
///   throws `.conflict` and stores nothing.
/// - **Deletion is refused, never cascaded or soft.** Deleting a row that others still refer to
///   throws `.referenced` and deletes nothing: an organisation with teams or users; a team with
///   projects or with users whose default team it is; and any row with unrevoked virtual keys
///   bound to it (a key's `orgID`, `teamID`, `projectID` or `userID`). Revoked keys keep their
///   (now dangling) binding as history. A delete of an unknown id returns `false`.
/// - **Lists** are in id order (byte order), after ``TenancyQuery/after`` when given, at most
///   ``TenancyQuery/limit`` rows.
public protocol TenancyStore: Sendable {
    func insertOrganization(_ organization: Organization) async throws
    func organization(id: OrgID) async throws -> Organization?
    /// Organisations matching `query` (its `orgIDs` restricts them; team and user filters are ignored).
    func organizations(matching query: TenancyQuery) async throws -> [Organization]
    /// Replaces the name and `updatedAt`; returns `false` when no such organisation exists.
    func updateOrganization(_ organization: Organization) async throws -> Bool
    func deleteOrganization(id: OrgID) async throws -> Bool

    func insertTeam(_ team: Team) async throws
    func team(id: TeamID) async throws -> Team?
    /// Teams matching `query`'s `orgIDs` and `teamIDs`.
    func teams(matching query: TenancyQuery) async throws -> [Team]
    /// Replaces the name and `updatedAt`; returns `false` when no such team exists.
    func updateTeam(_ team: Team) async throws -> Bool
    func deleteTeam(id: TeamID) async throws -> Bool

    func insertProject(_ project: Project) async throws
    func project(id: ProjectID) async throws -> Project?
    /// Projects matching `query`'s `teamIDs`, and `orgIDs` through their team.
    func projects(matching query: TenancyQuery) async throws -> [Project]
    /// Replaces the name and `updatedAt`; returns `false` when no such project exists.
    func updateProject(_ project: Project) async throws -> Bool
    func deleteProject(id: ProjectID) async throws -> Bool

    func insertUser(_ user: User) async throws
    func user(id: UserID) async throws -> User?
    /// Users matching `query`'s `orgIDs`, and `teamIDs` by default team.
    func users(matching query: TenancyQuery) async throws -> [User]
    /// Replaces name, email, default team and `updatedAt`; returns `false` when no such user exists.
    func updateUser(_ user: User) async throws -> Bool
    func deleteUser(id: UserID) async throws -> Bool
}

/// Filters and a page cursor for the lists of ``TenancyStore``.
///
/// A filter that is `nil` does not restrict; a filter that is an empty set matches nothing.
public struct TenancyQuery: Sendable, Equatable {
    /// Only rows of these organisations.
    public var orgIDs: Set<OrgID>?
    /// Only rows of these teams (for users: whose default team is one of them).
    public var teamIDs: Set<TeamID>?
    /// Page cursor: only rows whose id is greater, in byte order, than this one.
    public var after: String?
    public var limit: Int

    public init(orgIDs: Set<OrgID>? = nil, teamIDs: Set<TeamID>? = nil, after: String? = nil, limit: Int = 100) {
        self.orgIDs = orgIDs
        self.teamIDs = teamIDs
        self.after = after
        self.limit = limit
    }
}
