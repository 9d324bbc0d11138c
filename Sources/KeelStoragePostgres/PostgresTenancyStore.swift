import KeelCore
import KeelStorage
import PostgresNIO

/// Organisations, teams, projects and users in the `org`, `team`, `project` and `user_account`
/// tables, with the same behaviour as the SQLite store.
///
/// References are foreign keys (`ON DELETE RESTRICT`). Virtual keys carry their bindings as free
/// text without a reference, so a delete checks for unrevoked keys itself, in one transaction
/// with the `DELETE`; the row is locked first (`FOR UPDATE`) so that the check and the delete see
/// the same row.
struct PostgresTenancyStore: TenancyStore {
    let client: PostgresClient

    // MARK: Organisations

    func insertOrganization(_ organization: Organization) async throws {
        try await self.run(
            "INSERT INTO org (id, name, created_at, updated_at) VALUES (\(organization.id.rawValue), \(organization.name), \(organization.createdAt), \(organization.updatedAt))",
            table: "org"
        )
    }

    func organization(id: OrgID) async throws -> Organization? {
        try await self.list(Self.orgColumns, from: "org", Filter(id: id.rawValue), after: nil, limit: 1)
            .first.map(Self.organization(from:))
    }

    func organizations(matching query: TenancyQuery) async throws -> [Organization] {
        var filter = Filter()
        filter.add("id", in: query.orgIDs.map { $0.map(\.rawValue) })
        return try await self.list(Self.orgColumns, from: "org", filter, after: query.after, limit: query.limit)
            .map(Self.organization(from:))
    }

    func updateOrganization(_ organization: Organization) async throws -> Bool {
        try await self.changes(
            "UPDATE org SET name = \(organization.name), updated_at = \(organization.updatedAt) WHERE id = \(organization.id.rawValue) RETURNING 1",
            table: "org"
        )
    }

    func deleteOrganization(id: OrgID) async throws -> Bool {
        try await self.delete(from: "org", id: id.rawValue, keyColumn: "org_id")
    }

    // MARK: Teams

    func insertTeam(_ team: Team) async throws {
        try await self.run(
            "INSERT INTO team (id, org_id, name, created_at, updated_at) VALUES (\(team.id.rawValue), \(team.orgID.rawValue), \(team.name), \(team.createdAt), \(team.updatedAt))",
            table: "team"
        )
    }

    func team(id: TeamID) async throws -> Team? {
        try await self.list(Self.teamColumns, from: "team", Filter(id: id.rawValue), after: nil, limit: 1)
            .first.map(Self.team(from:))
    }

    func teams(matching query: TenancyQuery) async throws -> [Team] {
        var filter = Filter()
        filter.add("org_id", in: query.orgIDs.map { $0.map(\.rawValue) })
        filter.add("id", in: query.teamIDs.map { $0.map(\.rawValue) })
        return try await self.list(Self.teamColumns, from: "team", filter, after: query.after, limit: query.limit)
            .map(Self.team(from:))
    }

    func updateTeam(_ team: Team) async throws -> Bool {
        try await self.changes(
            "UPDATE team SET name = \(team.name), updated_at = \(team.updatedAt) WHERE id = \(team.id.rawValue) RETURNING 1",
            table: "team"
        )
    }

    func deleteTeam(id: TeamID) async throws -> Bool {
        try await self.delete(from: "team", id: id.rawValue, keyColumn: "team_id")
    }

    // MARK: Projects

    func insertProject(_ project: Project) async throws {
        try await self.run(
            "INSERT INTO project (id, team_id, name, created_at, updated_at) VALUES (\(project.id.rawValue), \(project.teamID.rawValue), \(project.name), \(project.createdAt), \(project.updatedAt))",
            table: "project"
        )
    }

    func project(id: ProjectID) async throws -> Project? {
        try await self.list(Self.projectColumns, from: "project", Filter(id: id.rawValue), after: nil, limit: 1)
            .first.map(Self.project(from:))
    }

    func projects(matching query: TenancyQuery) async throws -> [Project] {
        var filter = Filter()
        filter.add("team_id", in: query.teamIDs.map { $0.map(\.rawValue) })
        if let orgIDs = query.orgIDs {
            filter.add(
                { "team_id IN (SELECT id FROM team WHERE org_id = ANY(\($0)))" },
                orgIDs.map(\.rawValue)
            )
        }
        return try await self.list(Self.projectColumns, from: "project", filter, after: query.after, limit: query.limit)
            .map(Self.project(from:))
    }

    func updateProject(_ project: Project) async throws -> Bool {
        try await self.changes(
            "UPDATE project SET name = \(project.name), updated_at = \(project.updatedAt) WHERE id = \(project.id.rawValue) RETURNING 1",
            table: "project"
        )
    }

    func deleteProject(id: ProjectID) async throws -> Bool {
        try await self.delete(from: "project", id: id.rawValue, keyColumn: "project_id")
    }

    // MARK: Users

    func insertUser(_ user: User) async throws {
        try await self.run(
            """
            INSERT INTO user_account (id, org_id, name, email, default_team_id, created_at, updated_at) \
            VALUES (\(user.id.rawValue), \(user.orgID.rawValue), \(user.name), \(user.email), \
            \(user.defaultTeamID?.rawValue), \(user.createdAt), \(user.updatedAt))
            """,
            table: "user_account"
        )
    }

    func user(id: UserID) async throws -> User? {
        try await self.list(Self.userColumns, from: "user_account", Filter(id: id.rawValue), after: nil, limit: 1)
            .first.map(Self.user(from:))
    }

    func users(matching query: TenancyQuery) async throws -> [User] {
        var filter = Filter()
        filter.add("org_id", in: query.orgIDs.map { $0.map(\.rawValue) })
        filter.add("default_team_id", in: query.teamIDs.map { $0.map(\.rawValue) })
        return try await self.list(
            Self.userColumns,
            from: "user_account",
            filter,
            after: query.after,
            limit: query.limit
        )
        .map(Self.user(from:))
    }

    func updateUser(_ user: User) async throws -> Bool {
        try await self.changes(
            """
            UPDATE user_account SET name = \(user.name), email = \(user.email), \
            default_team_id = \(user.defaultTeamID?.rawValue), updated_at = \(user.updatedAt) \
            WHERE id = \(user.id.rawValue) RETURNING 1
            """,
            table: "user_account"
        )
    }

    func deleteUser(id: UserID) async throws -> Bool {
        try await self.delete(from: "user_account", id: id.rawValue, keyColumn: "user_id")
    }

    // MARK: Shared

    private static let orgColumns = "id, name, created_at, updated_at"
    private static let teamColumns = "id, org_id, name, created_at, updated_at"
    private static let projectColumns = "id, team_id, name, created_at, updated_at"
    private static let userColumns = "id, org_id, name, email, default_team_id, created_at, updated_at"

    /// WHERE fragments (fixed SQL with numbered parameters) and their bindings.
    private struct Filter {
        var fragments: [String] = []
        var bindings = PostgresBindings()

        init() {}

        init(id: String) {
            self.fragments.append("id = $1")
            self.bindings.append(id)
        }

        var nextParameter: String { "$\(self.bindings.count + 1)" }

        /// `column` is one of `values`; `nil` does not restrict, an empty list matches nothing.
        mutating func add(_ column: String, in values: [String]?) {
            guard let values else { return }
            self.add({ "\(column) = ANY(\($0))" }, values)
        }

        mutating func add(_ fragment: (String) -> String, _ values: [String]) {
            self.fragments.append(fragment(self.nextParameter))
            self.bindings.append(values)
        }
    }

    private func list(
        _ columns: String,
        from table: String,
        _ filter: Filter,
        after: String?,
        limit: Int
    ) async throws -> [PostgresRow] {
        var filter = filter
        if let after {
            filter.fragments.append("id > \(filter.nextParameter)")
            filter.bindings.append(after)
        }
        let limitParameter = filter.nextParameter
        filter.bindings.append(Int64(limit))
        let condition = filter.fragments.isEmpty ? "TRUE" : filter.fragments.joined(separator: " AND ")
        let rows = try await self.client.query(
            PostgresQuery(
                unsafeSQL: "SELECT \(columns) FROM \(table) WHERE \(condition) ORDER BY id LIMIT \(limitParameter)",
                binds: filter.bindings
            ),
            logger: PostgresBackend.quietLogger
        )
        var result: [PostgresRow] = []
        for try await row in rows { result.append(row) }
        return result
    }

    private func run(_ query: PostgresQuery, table: String) async throws {
        do {
            try await self.client.query(query, logger: PostgresBackend.quietLogger)
        } catch {
            throw StorageError.mappingPostgres(error, table: table)
        }
    }

    /// Runs an `UPDATE … RETURNING 1`; whether it changed a row.
    private func changes(_ query: PostgresQuery, table: String) async throws -> Bool {
        do {
            let rows = try await self.client.query(query, logger: PostgresBackend.quietLogger)
            var changed = false
            for try await _ in rows { changed = true }
            return changed
        } catch {
            throw StorageError.mappingPostgres(error, table: table)
        }
    }

    /// Deletes row `id` of `table` unless an unrevoked key is bound to it through `keyColumn` or
    /// a foreign key refers to it.
    private func delete(from table: String, id: String, keyColumn: String) async throws -> Bool {
        do {
            return try await self.client.withConnection { connection in
                try await PostgresBackend.inTransaction(connection) { connection in
                    var lock = PostgresBindings()
                    lock.append(id)
                    let locked = try await connection.query(
                        PostgresQuery(unsafeSQL: "SELECT 1 FROM \(table) WHERE id = $1 FOR UPDATE", binds: lock),
                        logger: PostgresBackend.quietLogger
                    )
                    var exists = false
                    for try await _ in locked { exists = true }
                    guard exists else { return false }

                    var bound = PostgresBindings()
                    bound.append(id)
                    let keys = try await connection.query(
                        PostgresQuery(
                            unsafeSQL:
                                "SELECT 1 FROM virtual_key WHERE \(keyColumn) = $1 AND revoked_at IS NULL LIMIT 1",
                            binds: bound
                        ),
                        logger: PostgresBackend.quietLogger
                    )
                    var hasKeys = false
                    for try await _ in keys { hasKeys = true }
                    if hasKeys {
                        throw StorageError.referenced(table: table, constraint: "virtual_key.\(keyColumn)")
                    }

                    var delete = PostgresBindings()
                    delete.append(id)
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "DELETE FROM \(table) WHERE id = $1", binds: delete),
                        logger: PostgresBackend.quietLogger
                    )
                    return true
                }
            }
        } catch {
            throw StorageError.mappingPostgres(error, table: table)
        }
    }

    private static func organization(from row: PostgresRow) throws -> Organization {
        let cells = row.makeRandomAccess()
        return Organization(
            id: OrgID(try cells[0].decode(String.self)),
            name: try cells[1].decode(String.self),
            createdAt: try cells[2].decode(Int64.self),
            updatedAt: try cells[3].decode(Int64.self)
        )
    }

    private static func team(from row: PostgresRow) throws -> Team {
        let cells = row.makeRandomAccess()
        return Team(
            id: TeamID(try cells[0].decode(String.self)),
            orgID: OrgID(try cells[1].decode(String.self)),
            name: try cells[2].decode(String.self),
            createdAt: try cells[3].decode(Int64.self),
            updatedAt: try cells[4].decode(Int64.self)
        )
    }

    private static func project(from row: PostgresRow) throws -> Project {
        let cells = row.makeRandomAccess()
        return Project(
            id: ProjectID(try cells[0].decode(String.self)),
            teamID: TeamID(try cells[1].decode(String.self)),
            name: try cells[2].decode(String.self),
            createdAt: try cells[3].decode(Int64.self),
            updatedAt: try cells[4].decode(Int64.self)
        )
    }

    private static func user(from row: PostgresRow) throws -> User {
        let cells = row.makeRandomAccess()
        return User(
            id: UserID(try cells[0].decode(String.self)),
            orgID: OrgID(try cells[1].decode(String.self)),
            name: try cells[2].decode(String.self),
            email: try cells[3].decode(String?.self),
            defaultTeamID: try cells[4].decode(String?.self).map { TeamID($0) },
            createdAt: try cells[5].decode(Int64.self),
            updatedAt: try cells[6].decode(Int64.self)
        )
    }
}
