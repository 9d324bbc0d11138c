import GRDB
import KeelCore
import KeelStorage

/// Organisations, teams, projects and users in the `org`, `team`, `project` and `user_account`
/// tables.
///
/// References are foreign keys (`ON DELETE RESTRICT`), so SQLite itself refuses a team of an
/// unknown organisation or the deletion of an organisation that has teams. Virtual keys carry
/// their bindings as free text without a reference, so a delete checks for unrevoked keys itself,
/// in the same write transaction as the `DELETE`.
struct SQLiteTenancyStore: TenancyStore {
    let pool: DatabasePool

    // MARK: Organisations

    func insertOrganization(_ organization: Organization) async throws {
        try await self.write(table: "org") { db in
            try db.execute(
                sql: "INSERT INTO org (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                arguments: [
                    organization.id.rawValue, organization.name, organization.createdAt, organization.updatedAt,
                ]
            )
        }
    }

    func organization(id: OrgID) async throws -> Organization? {
        try await self.list(Self.orgColumns, from: "org", where: ["id = ?"], [id.rawValue], after: nil, limit: 1)
            .first.map(Self.organization(from:))
    }

    func organizations(matching query: TenancyQuery) async throws -> [Organization] {
        var filter = Filter()
        filter.add("id", in: query.orgIDs.map { $0.map(\.rawValue) })
        return try await self.list(
            Self.orgColumns,
            from: "org",
            where: filter.fragments,
            filter.arguments,
            after: query.after,
            limit: query.limit
        )
        .map(Self.organization(from:))
    }

    func updateOrganization(_ organization: Organization) async throws -> Bool {
        try await self.write(table: "org") { db in
            try db.execute(
                sql: "UPDATE org SET name = ?, updated_at = ? WHERE id = ?",
                arguments: [organization.name, organization.updatedAt, organization.id.rawValue]
            )
            return db.changesCount > 0
        }
    }

    func deleteOrganization(id: OrgID) async throws -> Bool {
        try await self.delete(from: "org", id: id.rawValue, keyColumn: "org_id")
    }

    // MARK: Teams

    func insertTeam(_ team: Team) async throws {
        try await self.write(table: "team") { db in
            try db.execute(
                sql: "INSERT INTO team (id, org_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [team.id.rawValue, team.orgID.rawValue, team.name, team.createdAt, team.updatedAt]
            )
        }
    }

    func team(id: TeamID) async throws -> Team? {
        try await self.list(Self.teamColumns, from: "team", where: ["id = ?"], [id.rawValue], after: nil, limit: 1)
            .first.map(Self.team(from:))
    }

    func teams(matching query: TenancyQuery) async throws -> [Team] {
        var filter = Filter()
        filter.add("org_id", in: query.orgIDs.map { $0.map(\.rawValue) })
        filter.add("id", in: query.teamIDs.map { $0.map(\.rawValue) })
        return try await self.list(
            Self.teamColumns,
            from: "team",
            where: filter.fragments,
            filter.arguments,
            after: query.after,
            limit: query.limit
        )
        .map(Self.team(from:))
    }

    func updateTeam(_ team: Team) async throws -> Bool {
        try await self.write(table: "team") { db in
            try db.execute(
                sql: "UPDATE team SET name = ?, updated_at = ? WHERE id = ?",
                arguments: [team.name, team.updatedAt, team.id.rawValue]
            )
            return db.changesCount > 0
        }
    }

    func deleteTeam(id: TeamID) async throws -> Bool {
        try await self.delete(from: "team", id: id.rawValue, keyColumn: "team_id")
    }

    // MARK: Projects

    func insertProject(_ project: Project) async throws {
        try await self.write(table: "project") { db in
            try db.execute(
                sql: "INSERT INTO project (id, team_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [
                    project.id.rawValue, project.teamID.rawValue, project.name, project.createdAt, project.updatedAt,
                ]
            )
        }
    }

    func project(id: ProjectID) async throws -> Project? {
        try await self.list(
            Self.projectColumns,
            from: "project",
            where: ["id = ?"],
            [id.rawValue],
            after: nil,
            limit: 1
        )
        .first.map(Self.project(from:))
    }

    func projects(matching query: TenancyQuery) async throws -> [Project] {
        var filter = Filter()
        filter.add("team_id", in: query.teamIDs.map { $0.map(\.rawValue) })
        if let orgIDs = query.orgIDs {
            filter.fragments.append("team_id IN (SELECT id FROM team WHERE org_id IN (SELECT value FROM json_each(?)))")
            filter.arguments.append(SQLiteJSON.array(orgIDs.map(\.rawValue)))
        }
        return try await self.list(
            Self.projectColumns,
            from: "project",
            where: filter.fragments,
            filter.arguments,
            after: query.after,
            limit: query.limit
        )
        .map(Self.project(from:))
    }

    func updateProject(_ project: Project) async throws -> Bool {
        try await self.write(table: "project") { db in
            try db.execute(
                sql: "UPDATE project SET name = ?, updated_at = ? WHERE id = ?",
                arguments: [project.name, project.updatedAt, project.id.rawValue]
            )
            return db.changesCount > 0
        }
    }

    func deleteProject(id: ProjectID) async throws -> Bool {
        try await self.delete(from: "project", id: id.rawValue, keyColumn: "project_id")
    }

    // MARK: Users

    func insertUser(_ user: User) async throws {
        try await self.write(table: "user_account") { db in
            try db.execute(
                sql: """
                    INSERT INTO user_account (id, org_id, name, email, default_team_id, created_at, updated_at) \
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    user.id.rawValue, user.orgID.rawValue, user.name, user.email, user.defaultTeamID?.rawValue,
                    user.createdAt, user.updatedAt,
                ]
            )
        }
    }

    func user(id: UserID) async throws -> User? {
        try await self.list(
            Self.userColumns,
            from: "user_account",
            where: ["id = ?"],
            [id.rawValue],
            after: nil,
            limit: 1
        )
        .first.map(Self.user(from:))
    }

    func users(matching query: TenancyQuery) async throws -> [User] {
        var filter = Filter()
        filter.add("org_id", in: query.orgIDs.map { $0.map(\.rawValue) })
        filter.add("default_team_id", in: query.teamIDs.map { $0.map(\.rawValue) })
        return try await self.list(
            Self.userColumns,
            from: "user_account",
            where: filter.fragments,
            filter.arguments,
            after: query.after,
            limit: query.limit
        )
        .map(Self.user(from:))
    }

    func updateUser(_ user: User) async throws -> Bool {
        try await self.write(table: "user_account") { db in
            try db.execute(
                sql: "UPDATE user_account SET name = ?, email = ?, default_team_id = ?, updated_at = ? WHERE id = ?",
                arguments: [user.name, user.email, user.defaultTeamID?.rawValue, user.updatedAt, user.id.rawValue]
            )
            return db.changesCount > 0
        }
    }

    func deleteUser(id: UserID) async throws -> Bool {
        try await self.delete(from: "user_account", id: id.rawValue, keyColumn: "user_id")
    }

    // MARK: Shared

    private static let orgColumns = "id, name, created_at, updated_at"
    private static let teamColumns = "id, org_id, name, created_at, updated_at"
    private static let projectColumns = "id, team_id, name, created_at, updated_at"
    private static let userColumns = "id, org_id, name, email, default_team_id, created_at, updated_at"

    /// WHERE fragments (fixed SQL) and their bound arguments.
    private struct Filter {
        var fragments: [String] = []
        var arguments: [String] = []

        /// `column` is one of `values`; `nil` does not restrict, an empty list matches nothing.
        /// The list is one bound JSON array, so the statement text does not depend on its size.
        mutating func add(_ column: String, in values: [String]?) {
            guard let values else { return }
            self.fragments.append("\(column) IN (SELECT value FROM json_each(?))")
            self.arguments.append(SQLiteJSON.array(values))
        }
    }

    private func list(
        _ columns: String,
        from table: String,
        where fragments: [String],
        _ arguments: [String],
        after: String?,
        limit: Int
    ) async throws -> [Row] {
        var fragments = fragments
        var values: [DatabaseValue] = arguments.map(\.databaseValue)
        if let after {
            fragments.append("id > ?")
            values.append(after.databaseValue)
        }
        values.append(Int64(limit).databaseValue)
        let condition = fragments.isEmpty ? "TRUE" : fragments.joined(separator: " AND ")
        let sql = "SELECT \(columns) FROM \(table) WHERE \(condition) ORDER BY id LIMIT ?"
        return try await self.pool.read { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(values))
        }
    }

    private func write<Result: Sendable>(
        table: String,
        _ body: @escaping @Sendable (Database) throws -> Result
    ) async throws -> Result {
        do {
            return try await self.pool.write(body)
        } catch {
            throw StorageError.mappingSQLite(error, table: table)
        }
    }

    /// Deletes row `id` of `table` unless an unrevoked key is bound to it through `keyColumn`
    /// (checked in the same transaction) or a foreign key refers to it.
    private func delete(from table: String, id: String, keyColumn: String) async throws -> Bool {
        try await self.write(table: table) { db in
            guard
                try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(table) WHERE id = ?)", arguments: [id])
                    == true
            else {
                return false
            }
            let boundKeys = try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS (SELECT 1 FROM virtual_key WHERE \(keyColumn) = ? AND revoked_at IS NULL)",
                arguments: [id]
            )
            if boundKeys == true {
                throw StorageError.referenced(table: table, constraint: "virtual_key.\(keyColumn)")
            }
            try db.execute(sql: "DELETE FROM \(table) WHERE id = ?", arguments: [id])
            return true
        }
    }

    private static func organization(from row: Row) throws -> Organization {
        Organization(
            id: OrgID(try row.decode(String.self, atIndex: 0)),
            name: try row.decode(String.self, atIndex: 1),
            createdAt: try row.decode(Int64.self, atIndex: 2),
            updatedAt: try row.decode(Int64.self, atIndex: 3)
        )
    }

    private static func team(from row: Row) throws -> Team {
        Team(
            id: TeamID(try row.decode(String.self, atIndex: 0)),
            orgID: OrgID(try row.decode(String.self, atIndex: 1)),
            name: try row.decode(String.self, atIndex: 2),
            createdAt: try row.decode(Int64.self, atIndex: 3),
            updatedAt: try row.decode(Int64.self, atIndex: 4)
        )
    }

    private static func project(from row: Row) throws -> Project {
        Project(
            id: ProjectID(try row.decode(String.self, atIndex: 0)),
            teamID: TeamID(try row.decode(String.self, atIndex: 1)),
            name: try row.decode(String.self, atIndex: 2),
            createdAt: try row.decode(Int64.self, atIndex: 3),
            updatedAt: try row.decode(Int64.self, atIndex: 4)
        )
    }

    private static func user(from row: Row) throws -> User {
        User(
            id: UserID(try row.decode(String.self, atIndex: 0)),
            orgID: OrgID(try row.decode(String.self, atIndex: 1)),
            name: try row.decode(String.self, atIndex: 2),
            email: try row.decode(String?.self, atIndex: 3),
            defaultTeamID: try row.decode(String?.self, atIndex: 4).map { TeamID($0) },
            createdAt: try row.decode(Int64.self, atIndex: 5),
            updatedAt: try row.decode(Int64.self, atIndex: 6)
        )
    }
}
