import Hummingbird
import KeelCore
import KeelStorage

// The four collections of the tenancy tree on the admin API, and what only one of them has:
// a user's patch, whose membership alone a team admin may change.
extension AdminAPI {
    static let organizations = TenancyCollection<Organization, CreateOrganization>(
        resource: .organization,
        noun: "org",
        object: "organization",
        shape: "name and optional id",
        listFilters: [],
        prepare: { _, input in
            let id = OrgID(try AdminAPI.newID(input.id, prefix: "org_"))
            return (
                AdminScope(orgID: id),
                { now in Organization(id: id, name: try AdminAPI.name(input.name), createdAt: now) }
            )
        },
        scope: { _, organization in AdminScope(orgID: organization.id) },
        fields: { _ in [] },
        patch: nil,
        fetch: { try await $0.organization(id: OrgID($1)) },
        list: { try await $0.organizations(matching: $1) },
        insert: { try await $0.insertOrganization($1) },
        update: { try await $0.updateOrganization($1) },
        delete: { try await $0.deleteOrganization(id: $1.id) }
    )

    static let teams = TenancyCollection<Team, CreateTeam>(
        resource: .team,
        noun: "team",
        object: "team",
        shape: "org, name and optional id",
        listFilters: [.org],
        prepare: { api, input in
            guard let organization = try await api.existingOrganization(input.org) else {
                throw KeelError.invalidRequest("'org' is required.", param: "org")
            }
            let id = TeamID(try AdminAPI.newID(input.id, prefix: "team_"))
            return (
                AdminScope(orgID: organization.id, teamID: id),
                { now in Team(id: id, orgID: organization.id, name: try AdminAPI.name(input.name), createdAt: now) }
            )
        },
        scope: { _, team in AdminScope(orgID: team.orgID, teamID: team.id) },
        fields: { [(.org, $0.orgID.rawValue)] },
        patch: nil,
        fetch: { try await $0.team(id: TeamID($1)) },
        list: { try await $0.teams(matching: $1) },
        insert: { try await $0.insertTeam($1) },
        update: { try await $0.updateTeam($1) },
        delete: { try await $0.deleteTeam(id: $1.id) }
    )

    static let projects = TenancyCollection<Project, CreateProject>(
        resource: .project,
        noun: "project",
        object: "project",
        shape: "team, name and optional id",
        listFilters: [.org, .team],
        prepare: { api, input in
            guard let team = try await api.existingTeam(input.team, param: "team") else {
                throw KeelError.invalidRequest("'team' is required.", param: "team")
            }
            return (
                AdminScope(orgID: team.orgID, teamID: team.id),
                { now in
                    Project(
                        id: ProjectID(try AdminAPI.newID(input.id, prefix: "proj_")),
                        teamID: team.id,
                        name: try AdminAPI.name(input.name),
                        createdAt: now
                    )
                }
            )
        },
        scope: { api, project in
            AdminScope(orgID: try await api.stores.tenancy.team(id: project.teamID)?.orgID, teamID: project.teamID)
        },
        fields: { [(.team, $0.teamID.rawValue)] },
        patch: nil,
        fetch: { try await $0.project(id: ProjectID($1)) },
        list: { try await $0.projects(matching: $1) },
        insert: { try await $0.insertProject($1) },
        update: { try await $0.updateProject($1) },
        delete: { try await $0.deleteProject(id: $1.id) }
    )

    static let users = TenancyCollection<User, CreateUser>(
        resource: .user,
        noun: "user",
        object: "user",
        shape: "org, name and optional id, email, default_team",
        listFilters: [.org, .team],
        prepare: { api, input in
            guard let organization = try await api.existingOrganization(input.org) else {
                throw KeelError.invalidRequest("'org' is required.", param: "org")
            }
            let team = try await api.defaultTeam(input.defaultTeam, of: organization.id)
            return (
                AdminScope(orgID: organization.id, teamID: team?.id),
                { now in
                    User(
                        id: UserID(try AdminAPI.newID(input.id, prefix: "user_")),
                        orgID: organization.id,
                        name: try AdminAPI.name(input.name),
                        email: try AdminAPI.email(input.email),
                        defaultTeamID: team?.id,
                        createdAt: now
                    )
                }
            )
        },
        scope: { _, user in AdminScope(orgID: user.orgID, teamID: user.defaultTeamID) },
        fields: { [(.org, $0.orgID.rawValue), (.email, $0.email), (.defaultTeam, $0.defaultTeamID?.rawValue)] },
        patch: { api, request, id in try await api.patchUser(request, id: id) },
        fetch: { try await $0.user(id: UserID($1)) },
        list: { try await $0.users(matching: $1) },
        insert: { try await $0.insertUser($1) },
        update: { try await $0.updateUser($1) },
        delete: { try await $0.deleteUser(id: $1.id) }
    )

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

    // MARK: Users

    /// A team admin may send `default_team` alone (membership); any other field needs `update` on
    /// the user. Both where the user is and where it goes must be allowed.
    func patchUser(_ request: Request, id: String) async throws -> Response {
        let caller = try self.authenticate(request)
        guard
            AdminAuthorization.mayEver(caller, .update, .user)
                || AdminAuthorization.mayEver(caller, .update, .userMembership)
        else {
            throw Self.denied(.update, .user)
        }
        var user = try await self.stored(Self.users, id: id)
        let input = try await Self.decode(PatchUser.self, from: request, shape: "optional name, email, default_team")
        let membershipOnly = input.name == nil && input.email == nil
        let resource: AdminResource = membershipOnly ? .userMembership : .user
        try self.require(caller, .update, resource, in: AdminScope(orgID: user.orgID, teamID: user.defaultTeamID))
        if let name = input.name { user.name = try Self.name(name) }
        if let email = input.email { user.email = try Self.email(email) }
        if let defaultTeam = input.defaultTeam {
            user.defaultTeamID = try await self.defaultTeam(defaultTeam, of: user.orgID)?.id
        }
        try self.require(caller, .update, resource, in: AdminScope(orgID: user.orgID, teamID: user.defaultTeamID))
        return try await self.save(user, in: Self.users, id: id)
    }

    /// The existing team of `org` a body names as `default_team`, or 400.
    func defaultTeam(_ id: String?, of org: OrgID) async throws -> Team? {
        let team = try await self.existingTeam(id, param: "default_team")
        if let team, team.orgID != org {
            throw KeelError.invalidRequest("Team '\(team.id)' belongs to another org.", param: "default_team")
        }
        return team
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
