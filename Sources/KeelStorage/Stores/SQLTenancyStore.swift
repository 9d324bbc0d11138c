package import KeelCore

/// Organisations, teams, projects and users in the `org`, `team`, `project` and `user_account`
/// tables, on any backend's ``SQLDatabase``.
///
/// Each kind is one ``TenancyTable`` (below); every method is the same generic statement on
/// that kind's table, so the rules of ``TenancyStore`` hold alike for the four kinds.
package struct SQLTenancyStore: TenancyStore {
    let database: any SQLDatabase

    package init(database: any SQLDatabase) {
        self.database = database
    }

    // MARK: Organisations

    package func insertOrganization(_ organization: Organization) async throws {
        try await Self.organizations.insert(organization, in: self.database)
    }

    package func organization(id: OrgID) async throws -> Organization? {
        try await Self.organizations.record(id: id, in: self.database)
    }

    package func organizations(matching query: TenancyQuery) async throws -> [Organization] {
        try await Self.organizations.records(matching: query, in: self.database)
    }

    package func updateOrganization(_ organization: Organization) async throws -> Bool {
        try await Self.organizations.update(organization, in: self.database)
    }

    package func deleteOrganization(id: OrgID) async throws -> Bool {
        try await Self.organizations.delete(id: id, in: self.database)
    }

    // MARK: Teams

    package func insertTeam(_ team: Team) async throws {
        try await Self.teams.insert(team, in: self.database)
    }

    package func team(id: TeamID) async throws -> Team? {
        try await Self.teams.record(id: id, in: self.database)
    }

    package func teams(matching query: TenancyQuery) async throws -> [Team] {
        try await Self.teams.records(matching: query, in: self.database)
    }

    package func updateTeam(_ team: Team) async throws -> Bool {
        try await Self.teams.update(team, in: self.database)
    }

    package func deleteTeam(id: TeamID) async throws -> Bool {
        try await Self.teams.delete(id: id, in: self.database)
    }

    // MARK: Projects

    package func insertProject(_ project: Project) async throws {
        try await Self.projects.insert(project, in: self.database)
    }

    package func project(id: ProjectID) async throws -> Project? {
        try await Self.projects.record(id: id, in: self.database)
    }

    package func projects(matching query: TenancyQuery) async throws -> [Project] {
        try await Self.projects.records(matching: query, in: self.database)
    }

    package func updateProject(_ project: Project) async throws -> Bool {
        try await Self.projects.update(project, in: self.database)
    }

    package func deleteProject(id: ProjectID) async throws -> Bool {
        try await Self.projects.delete(id: id, in: self.database)
    }

    // MARK: Users

    package func insertUser(_ user: User) async throws {
        try await Self.users.insert(user, in: self.database)
    }

    package func user(id: UserID) async throws -> User? {
        try await Self.users.record(id: id, in: self.database)
    }

    package func users(matching query: TenancyQuery) async throws -> [User] {
        try await Self.users.records(matching: query, in: self.database)
    }

    package func updateUser(_ user: User) async throws -> Bool {
        try await Self.users.update(user, in: self.database)
    }

    package func deleteUser(id: UserID) async throws -> Bool {
        try await Self.users.delete(id: id, in: self.database)
    }

    // MARK: Kinds

    /// References: none. Unique: `name`. Held by: teams, users (foreign keys); keys (`org_id`).
    static let organizations = TenancyTable<Organization>(
        name: "org",
        columns: [
            TenancyColumn("id", \.id),
            TenancyColumn("name", \.name, updatable: true),
            TenancyColumn("created_at", \.createdAt),
            TenancyColumn("updated_at", \.updatedAt, updatable: true),
        ],
        boundKeyColumn: "org_id",
        orgFilter: .column("id"),
        teamFilter: nil,
        read: { row in
            Organization(
                id: try row.decode("id"),
                name: try row.decode("name"),
                createdAt: try row.decode("created_at"),
                updatedAt: try row.decode("updated_at")
            )
        }
    )

    /// References: its organisation. Unique: `name` within the organisation. Held by: projects,
    /// users whose default team it is (foreign keys); keys (`team_id`).
    static let teams = TenancyTable<Team>(
        name: "team",
        columns: [
            TenancyColumn("id", \.id),
            TenancyColumn("org_id", \.orgID),
            TenancyColumn("name", \.name, updatable: true),
            TenancyColumn("created_at", \.createdAt),
            TenancyColumn("updated_at", \.updatedAt, updatable: true),
        ],
        boundKeyColumn: "team_id",
        orgFilter: .column("org_id"),
        teamFilter: .column("id"),
        read: { row in
            Team(
                id: try row.decode("id"),
                orgID: try row.decode("org_id"),
                name: try row.decode("name"),
                createdAt: try row.decode("created_at"),
                updatedAt: try row.decode("updated_at")
            )
        }
    )

    /// References: its team. Unique: `name` within the team. Held by: keys (`project_id`).
    /// Filtered by organisation through its team.
    static let projects = TenancyTable<Project>(
        name: "project",
        columns: [
            TenancyColumn("id", \.id),
            TenancyColumn("team_id", \.teamID),
            TenancyColumn("name", \.name, updatable: true),
            TenancyColumn("created_at", \.createdAt),
            TenancyColumn("updated_at", \.updatedAt, updatable: true),
        ],
        boundKeyColumn: "project_id",
        orgFilter: .column("team_id", through: "SELECT id FROM team WHERE org_id"),
        teamFilter: .column("team_id"),
        read: { row in
            Project(
                id: try row.decode("id"),
                teamID: try row.decode("team_id"),
                name: try row.decode("name"),
                createdAt: try row.decode("created_at"),
                updatedAt: try row.decode("updated_at")
            )
        }
    )

    /// References: its organisation, and its default team as a team of that organisation (one
    /// foreign key on both columns). Unique: `email` among users. Held by: keys (`user_id`).
    /// Filtered by team through the default team.
    static let users = TenancyTable<User>(
        name: "user_account",
        columns: [
            TenancyColumn("id", \.id),
            TenancyColumn("org_id", \.orgID),
            TenancyColumn("name", \.name, updatable: true),
            TenancyColumn("email", \.email, updatable: true),
            TenancyColumn("default_team_id", \.defaultTeamID, updatable: true),
            TenancyColumn("created_at", \.createdAt),
            TenancyColumn("updated_at", \.updatedAt, updatable: true),
        ],
        boundKeyColumn: "user_id",
        orgFilter: .column("org_id"),
        teamFilter: .column("default_team_id"),
        read: { row in
            User(
                id: try row.decode("id"),
                orgID: try row.decode("org_id"),
                name: try row.decode("name"),
                email: try row.decode("email"),
                defaultTeamID: try row.decode("default_team_id"),
                createdAt: try row.decode("created_at"),
                updatedAt: try row.decode("updated_at")
            )
        }
    )
}
