import FoundationEssentials
import Hummingbird
import KeelCore
import KeelStorage

// `/admin/v1/orgs|teams|projects|users`: create, list (filters and cursor), get, patch, delete.
// Deleting a row that others still refer to is refused with 409 (see `TenancyStore`).
extension AdminAPI {
    // MARK: Views

    /// Times in seconds since the epoch, as the rest of the admin API reports them.
    struct OrganizationView: Encodable {
        let id: String
        let name: String
        let createdAt: Int64
        let updatedAt: Int64
        enum CodingKeys: String, CodingKey {
            case id, name
            case createdAt = "created_at"
            case updatedAt = "updated_at"
        }
        init(_ organization: Organization) {
            self.id = organization.id.rawValue
            self.name = organization.name
            self.createdAt = organization.createdAt / 1_000_000
            self.updatedAt = organization.updatedAt / 1_000_000
        }
    }

    struct TeamView: Encodable {
        let id: String
        let org: String
        let name: String
        let createdAt: Int64
        let updatedAt: Int64
        enum CodingKeys: String, CodingKey {
            case id, org, name
            case createdAt = "created_at"
            case updatedAt = "updated_at"
        }
        init(_ team: Team) {
            self.id = team.id.rawValue
            self.org = team.orgID.rawValue
            self.name = team.name
            self.createdAt = team.createdAt / 1_000_000
            self.updatedAt = team.updatedAt / 1_000_000
        }
    }

    struct ProjectView: Encodable {
        let id: String
        let team: String
        let name: String
        let createdAt: Int64
        let updatedAt: Int64
        enum CodingKeys: String, CodingKey {
            case id, team, name
            case createdAt = "created_at"
            case updatedAt = "updated_at"
        }
        init(_ project: Project) {
            self.id = project.id.rawValue
            self.team = project.teamID.rawValue
            self.name = project.name
            self.createdAt = project.createdAt / 1_000_000
            self.updatedAt = project.updatedAt / 1_000_000
        }
    }

    struct UserView: Encodable {
        let user: User
        enum CodingKeys: String, CodingKey {
            case id, org, name, email
            case defaultTeam = "default_team"
            case createdAt = "created_at"
            case updatedAt = "updated_at"
        }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.user.id.rawValue, forKey: .id)
            try container.encode(self.user.orgID.rawValue, forKey: .org)
            try container.encode(self.user.name, forKey: .name)
            try container.encode(self.user.email, forKey: .email)
            try container.encode(self.user.defaultTeamID?.rawValue, forKey: .defaultTeam)
            try container.encode(self.user.createdAt / 1_000_000, forKey: .createdAt)
            try container.encode(self.user.updatedAt / 1_000_000, forKey: .updatedAt)
        }
    }

    // MARK: Inputs

    struct CreateOrganization: Decodable {
        var id: String?
        var name: String?
    }

    struct CreateTeam: Decodable {
        var id: String?
        var org: String?
        var name: String?
    }

    struct CreateProject: Decodable {
        var id: String?
        var team: String?
        var name: String?
    }

    struct CreateUser: Decodable {
        var id: String?
        var org: String?
        var name: String?
        var email: String?
        var defaultTeam: String?
        enum CodingKeys: String, CodingKey {
            case id, org, name, email
            case defaultTeam = "default_team"
        }
    }

    struct Rename: Decodable {
        var name: String?
    }

    /// A user patch; `default_team: null` removes the user from its team, a missing field keeps it.
    struct PatchUser: Decodable {
        var name: String?
        var email: String??
        var defaultTeam: String??
        enum CodingKeys: String, CodingKey {
            case name, email
            case defaultTeam = "default_team"
        }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.name = try container.decodeIfPresent(String.self, forKey: .name)
            if container.contains(.email) {
                self.email = .some(
                    try container.decodeNil(forKey: .email) ? nil : try container.decode(String.self, forKey: .email)
                )
            }
            if container.contains(.defaultTeam) {
                self.defaultTeam = .some(
                    try container.decodeNil(forKey: .defaultTeam)
                        ? nil : try container.decode(String.self, forKey: .defaultTeam)
                )
            }
        }
    }

    // MARK: Scopes

    /// The store query of a list: the caller's filters narrowed to what it may read; `nil` when
    /// it may read none of them.
    func scopedQuery(
        _ caller: AdminCaller,
        _ resource: AdminResource,
        org: OrgID?,
        team: TeamID?,
        request: Request
    ) throws(KeelError) -> TenancyQuery? {
        let page = try Self.page(request)
        var query = TenancyQuery(after: page.cursor, limit: page.limit)
        if let org { query.orgIDs = [org] }
        if let team { query.teamIDs = [team] }
        switch AdminAuthorization.listScope(caller) {
        case .everything:
            return query
        case .nothing:
            return nil
        case .within(let scope):
            if let scopeTeam = scope.teamID {
                // An organisation is never inside a team's scope.
                guard resource != .organization else { return nil }
                query.teamIDs = (query.teamIDs ?? [scopeTeam]).intersection([scopeTeam])
            } else if let scopeOrg = scope.orgID {
                query.orgIDs = (query.orgIDs ?? [scopeOrg]).intersection([scopeOrg])
            }
            return query
        }
    }

    func scope(of project: Project) async throws -> AdminScope {
        AdminScope(orgID: try await self.stores.tenancy.team(id: project.teamID)?.orgID, teamID: project.teamID)
    }

    /// An existing team named in a body, or 400.
    func existingTeam(_ id: String?, param: String) async throws -> Team? {
        guard let id else { return nil }
        guard let team = try await self.stores.tenancy.team(id: TeamID(id)) else {
            throw KeelError.invalidRequest("Unknown team '\(id)'.", param: param)
        }
        return team
    }

    /// An existing organisation named in a body, or 400.
    func existingOrganization(_ id: String?, param: String = "org") async throws -> Organization? {
        guard let id else { return nil }
        guard let organization = try await self.stores.tenancy.organization(id: OrgID(id)) else {
            throw KeelError.invalidRequest("Unknown org '\(id)'.", param: param)
        }
        return organization
    }

    static func nextCursor(_ ids: [String], limit: Int) -> String? {
        ids.count == limit ? ids.last : nil
    }

    // MARK: Organisations

    func createOrganization(_ request: Request) async throws -> Response {
        let caller = try self.authenticate(request, .create, .organization)
        let input = try await Self.decode(CreateOrganization.self, from: request, shape: "name and optional id")
        let id = OrgID(try Self.newID(input.id, prefix: "org_"))
        try self.require(caller, .create, .organization, in: AdminScope(orgID: id))
        let organization = Organization(id: id, name: try Self.name(input.name), createdAt: WallClock.unixMicros())
        try await self.stores.tenancy.insertOrganization(organization)
        return try Self.encode(OrganizationView(organization), status: .created)
    }

    func listOrganizations(_ request: Request) async throws -> Response {
        let caller = try self.authenticate(request, .read, .organization)
        guard let query = try self.scopedQuery(caller, .organization, org: nil, team: nil, request: request) else {
            return try Self.encode(ListPage<OrganizationView>(data: [], nextCursor: nil))
        }
        let rows = try await self.stores.tenancy.organizations(matching: query)
        return try Self.encode(
            ListPage(
                data: rows.map(OrganizationView.init),
                nextCursor: Self.nextCursor(rows.map(\.id.rawValue), limit: query.limit)
            )
        )
    }

    func getOrganization(_ request: Request, id: String) async throws -> Response {
        let caller = try self.authenticate(request, .read, .organization)
        let organization = try await self.organization(id)
        try self.require(caller, .read, .organization, in: AdminScope(orgID: organization.id))
        return try Self.encode(OrganizationView(organization))
    }

    func updateOrganization(_ request: Request, id: String) async throws -> Response {
        let caller = try self.authenticate(request, .update, .organization)
        var organization = try await self.organization(id)
        try self.require(caller, .update, .organization, in: AdminScope(orgID: organization.id))
        let input = try await Self.decode(Rename.self, from: request, shape: "name")
        organization.name = try Self.name(input.name)
        organization.updatedAt = WallClock.unixMicros()
        guard try await self.stores.tenancy.updateOrganization(organization) else {
            throw KeelError.notFound("No org with id '\(id)'.")
        }
        return try Self.encode(OrganizationView(organization))
    }

    func deleteOrganization(_ request: Request, id: String) async throws -> Response {
        let caller = try self.authenticate(request, .delete, .organization)
        let organization = try await self.organization(id)
        try self.require(caller, .delete, .organization, in: AdminScope(orgID: organization.id))
        guard try await self.stores.tenancy.deleteOrganization(id: organization.id) else {
            throw KeelError.notFound("No org with id '\(id)'.")
        }
        return try Self.encode(Deleted(id: id, object: "organization"))
    }

    private func organization(_ id: String) async throws -> Organization {
        guard let organization = try await self.stores.tenancy.organization(id: OrgID(id)) else {
            throw KeelError.notFound("No org with id '\(id)'.")
        }
        return organization
    }

    // MARK: Teams

    func createTeam(_ request: Request) async throws -> Response {
        let caller = try self.authenticate(request, .create, .team)
        let input = try await Self.decode(CreateTeam.self, from: request, shape: "org, name and optional id")
        guard let organization = try await self.existingOrganization(input.org) else {
            throw KeelError.invalidRequest("'org' is required.", param: "org")
        }
        let id = TeamID(try Self.newID(input.id, prefix: "team_"))
        try self.require(caller, .create, .team, in: AdminScope(orgID: organization.id, teamID: id))
        let team = Team(
            id: id,
            orgID: organization.id,
            name: try Self.name(input.name),
            createdAt: WallClock.unixMicros()
        )
        try await self.stores.tenancy.insertTeam(team)
        return try Self.encode(TeamView(team), status: .created)
    }

    func listTeams(_ request: Request) async throws -> Response {
        let caller = try self.authenticate(request, .read, .team)
        let parameters = request.uri.queryParameters
        let org = parameters["org"].map { OrgID(String($0)) }
        guard let query = try self.scopedQuery(caller, .team, org: org, team: nil, request: request) else {
            return try Self.encode(ListPage<TeamView>(data: [], nextCursor: nil))
        }
        let rows = try await self.stores.tenancy.teams(matching: query)
        return try Self.encode(
            ListPage(
                data: rows.map(TeamView.init),
                nextCursor: Self.nextCursor(rows.map(\.id.rawValue), limit: query.limit)
            )
        )
    }

    func getTeam(_ request: Request, id: String) async throws -> Response {
        let caller = try self.authenticate(request, .read, .team)
        let team = try await self.team(id)
        try self.require(caller, .read, .team, in: AdminScope(orgID: team.orgID, teamID: team.id))
        return try Self.encode(TeamView(team))
    }

    func updateTeam(_ request: Request, id: String) async throws -> Response {
        let caller = try self.authenticate(request, .update, .team)
        var team = try await self.team(id)
        try self.require(caller, .update, .team, in: AdminScope(orgID: team.orgID, teamID: team.id))
        let input = try await Self.decode(Rename.self, from: request, shape: "name")
        team.name = try Self.name(input.name)
        team.updatedAt = WallClock.unixMicros()
        guard try await self.stores.tenancy.updateTeam(team) else {
            throw KeelError.notFound("No team with id '\(id)'.")
        }
        return try Self.encode(TeamView(team))
    }

    func deleteTeam(_ request: Request, id: String) async throws -> Response {
        let caller = try self.authenticate(request, .delete, .team)
        let team = try await self.team(id)
        try self.require(caller, .delete, .team, in: AdminScope(orgID: team.orgID, teamID: team.id))
        guard try await self.stores.tenancy.deleteTeam(id: team.id) else {
            throw KeelError.notFound("No team with id '\(id)'.")
        }
        return try Self.encode(Deleted(id: id, object: "team"))
    }

    private func team(_ id: String) async throws -> Team {
        guard let team = try await self.stores.tenancy.team(id: TeamID(id)) else {
            throw KeelError.notFound("No team with id '\(id)'.")
        }
        return team
    }

    // MARK: Projects

    func createProject(_ request: Request) async throws -> Response {
        let caller = try self.authenticate(request, .create, .project)
        let input = try await Self.decode(CreateProject.self, from: request, shape: "team, name and optional id")
        guard let team = try await self.existingTeam(input.team, param: "team") else {
            throw KeelError.invalidRequest("'team' is required.", param: "team")
        }
        try self.require(caller, .create, .project, in: AdminScope(orgID: team.orgID, teamID: team.id))
        let project = Project(
            id: ProjectID(try Self.newID(input.id, prefix: "proj_")),
            teamID: team.id,
            name: try Self.name(input.name),
            createdAt: WallClock.unixMicros()
        )
        try await self.stores.tenancy.insertProject(project)
        return try Self.encode(ProjectView(project), status: .created)
    }

    func listProjects(_ request: Request) async throws -> Response {
        let caller = try self.authenticate(request, .read, .project)
        let parameters = request.uri.queryParameters
        let org = parameters["org"].map { OrgID(String($0)) }
        let team = parameters["team"].map { TeamID(String($0)) }
        guard let query = try self.scopedQuery(caller, .project, org: org, team: team, request: request) else {
            return try Self.encode(ListPage<ProjectView>(data: [], nextCursor: nil))
        }
        let rows = try await self.stores.tenancy.projects(matching: query)
        return try Self.encode(
            ListPage(
                data: rows.map(ProjectView.init),
                nextCursor: Self.nextCursor(rows.map(\.id.rawValue), limit: query.limit)
            )
        )
    }

    func getProject(_ request: Request, id: String) async throws -> Response {
        let caller = try self.authenticate(request, .read, .project)
        let project = try await self.project(id)
        try self.require(caller, .read, .project, in: try await self.scope(of: project))
        return try Self.encode(ProjectView(project))
    }

    func updateProject(_ request: Request, id: String) async throws -> Response {
        let caller = try self.authenticate(request, .update, .project)
        var project = try await self.project(id)
        try self.require(caller, .update, .project, in: try await self.scope(of: project))
        let input = try await Self.decode(Rename.self, from: request, shape: "name")
        project.name = try Self.name(input.name)
        project.updatedAt = WallClock.unixMicros()
        guard try await self.stores.tenancy.updateProject(project) else {
            throw KeelError.notFound("No project with id '\(id)'.")
        }
        return try Self.encode(ProjectView(project))
    }

    func deleteProject(_ request: Request, id: String) async throws -> Response {
        let caller = try self.authenticate(request, .delete, .project)
        let project = try await self.project(id)
        try self.require(caller, .delete, .project, in: try await self.scope(of: project))
        guard try await self.stores.tenancy.deleteProject(id: project.id) else {
            throw KeelError.notFound("No project with id '\(id)'.")
        }
        return try Self.encode(Deleted(id: id, object: "project"))
    }

    private func project(_ id: String) async throws -> Project {
        guard let project = try await self.stores.tenancy.project(id: ProjectID(id)) else {
            throw KeelError.notFound("No project with id '\(id)'.")
        }
        return project
    }

    // MARK: Users

    func createUser(_ request: Request) async throws -> Response {
        let caller = try self.authenticate(request, .create, .user)
        let input = try await Self.decode(
            CreateUser.self,
            from: request,
            shape: "org, name and optional id, email, default_team"
        )
        guard let organization = try await self.existingOrganization(input.org) else {
            throw KeelError.invalidRequest("'org' is required.", param: "org")
        }
        let team = try await self.existingTeam(input.defaultTeam, param: "default_team")
        if let team, team.orgID != organization.id {
            throw KeelError.invalidRequest("Team '\(team.id)' belongs to another org.", param: "default_team")
        }
        try self.require(caller, .create, .user, in: AdminScope(orgID: organization.id, teamID: team?.id))
        let user = User(
            id: UserID(try Self.newID(input.id, prefix: "user_")),
            orgID: organization.id,
            name: try Self.name(input.name),
            email: try Self.email(input.email),
            defaultTeamID: team?.id,
            createdAt: WallClock.unixMicros()
        )
        try await self.stores.tenancy.insertUser(user)
        return try Self.encode(UserView(user: user), status: .created)
    }

    func listUsers(_ request: Request) async throws -> Response {
        let caller = try self.authenticate(request, .read, .user)
        let parameters = request.uri.queryParameters
        let org = parameters["org"].map { OrgID(String($0)) }
        let team = parameters["team"].map { TeamID(String($0)) }
        guard let query = try self.scopedQuery(caller, .user, org: org, team: team, request: request) else {
            return try Self.encode(ListPage<UserView>(data: [], nextCursor: nil))
        }
        let rows = try await self.stores.tenancy.users(matching: query)
        return try Self.encode(
            ListPage(
                data: rows.map { UserView(user: $0) },
                nextCursor: Self.nextCursor(rows.map(\.id.rawValue), limit: query.limit)
            )
        )
    }

    func getUser(_ request: Request, id: String) async throws -> Response {
        let caller = try self.authenticate(request, .read, .user)
        let user = try await self.user(id)
        try self.require(caller, .read, .user, in: AdminScope(orgID: user.orgID, teamID: user.defaultTeamID))
        return try Self.encode(UserView(user: user))
    }

    /// A team admin may send `default_team` alone (membership); any other field needs `update` on
    /// the user. Both where the user is and where it goes must be allowed.
    func updateUser(_ request: Request, id: String) async throws -> Response {
        let caller = try self.authenticate(request)
        guard
            AdminAuthorization.mayEver(caller, .update, .user)
                || AdminAuthorization.mayEver(caller, .update, .userMembership)
        else {
            throw Self.denied(.update, .user)
        }
        var user = try await self.user(id)
        let input = try await Self.decode(PatchUser.self, from: request, shape: "optional name, email, default_team")
        let membershipOnly = input.name == nil && input.email == nil
        let resource: AdminResource = membershipOnly ? .userMembership : .user
        let before = AdminScope(orgID: user.orgID, teamID: user.defaultTeamID)
        try self.require(caller, .update, resource, in: before)
        if let name = input.name { user.name = try Self.name(name) }
        if let email = input.email { user.email = try Self.email(email) }
        if let defaultTeam = input.defaultTeam {
            let team = try await self.existingTeam(defaultTeam, param: "default_team")
            if let team, team.orgID != user.orgID {
                throw KeelError.invalidRequest("Team '\(team.id)' belongs to another org.", param: "default_team")
            }
            user.defaultTeamID = team?.id
        }
        try self.require(caller, .update, resource, in: AdminScope(orgID: user.orgID, teamID: user.defaultTeamID))
        user.updatedAt = WallClock.unixMicros()
        guard try await self.stores.tenancy.updateUser(user) else {
            throw KeelError.notFound("No user with id '\(id)'.")
        }
        return try Self.encode(UserView(user: user))
    }

    func deleteUser(_ request: Request, id: String) async throws -> Response {
        let caller = try self.authenticate(request, .delete, .user)
        let user = try await self.user(id)
        try self.require(caller, .delete, .user, in: AdminScope(orgID: user.orgID, teamID: user.defaultTeamID))
        guard try await self.stores.tenancy.deleteUser(id: user.id) else {
            throw KeelError.notFound("No user with id '\(id)'.")
        }
        return try Self.encode(Deleted(id: id, object: "user"))
    }

    private func user(_ id: String) async throws -> User {
        guard let user = try await self.stores.tenancy.user(id: UserID(id)) else {
            throw KeelError.notFound("No user with id '\(id)'.")
        }
        return user
    }

    /// An optional email: trimmed, with an `@`, at most 254 characters.
    static func email(_ text: String?) throws(KeelError) -> String? {
        guard let text else { return nil }
        let trimmed = text.trimmedWhitespace()
        guard trimmed.contains("@"), trimmed.count <= 254 else {
            throw .invalidRequest("Invalid 'email'.", param: "email")
        }
        return trimmed
    }
}
