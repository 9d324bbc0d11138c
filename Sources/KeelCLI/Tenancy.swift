import ArgumentParser
import Foundation
import NIOHTTP1

/// `keel orgs|teams|projects|users create|list|get|delete`: the tenancy tree, through the admin
/// API of a running gateway (see `Keys.Connection` for `--url` and `--admin-key`).
enum TenancyTable {
    /// Prints `rows` as tab-separated `columns` (JSON field names), with a header; a missing or
    /// null field is `-`.
    static func print(_ rows: [[String: Any]], columns: [String]) {
        Swift.print(columns.map { $0.uppercased() }.joined(separator: "\t"))
        for row in rows {
            Swift.print(
                columns.map { column in
                    switch row[column] {
                    case let text as String: text
                    case let number as NSNumber: number.stringValue
                    default: "-"
                    }
                }.joined(separator: "\t")
            )
        }
    }

    /// Every page of `path` (following `next_cursor`), with `query` parameters.
    static func list(
        _ connection: Keys.Connection,
        _ path: String,
        query: [(String, String?)]
    ) async throws -> [[String: Any]] {
        var rows: [[String: Any]] = []
        var cursor: String?
        repeat {
            var parameters = query.compactMap { name, value in value.map { "\(name)=\(Self.escape($0))" } }
            if let cursor { parameters.append("cursor=\(Self.escape(cursor))") }
            parameters.append("limit=1000")
            let page =
                try await connection.call(.GET, path + "?" + parameters.joined(separator: "&")) as? [String: Any] ?? [:]
            rows += page["data"] as? [[String: Any]] ?? []
            cursor = page["next_cursor"] as? String
        } while cursor != nil
        return rows
    }

    /// `GET /admin/v1/{collection}/{id}`, printed as one row of `columns`.
    static func show(_ connection: Keys.Connection, _ collection: String, id: String, columns: [String]) async throws {
        let row = try await connection.call(.GET, "/admin/v1/\(collection)/\(Self.escape(id))") as? [String: Any] ?? [:]
        Self.print([row], columns: columns)
    }

    /// `DELETE /admin/v1/{collection}/{id}`, then says what went.
    static func delete(_ connection: Keys.Connection, _ collection: String, id: String, noun: String) async throws {
        _ = try await connection.call(.DELETE, "/admin/v1/\(collection)/\(Self.escape(id))")
        Swift.print("Deleted \(noun) \(id).")
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? text
    }
}

struct Orgs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orgs",
        abstract: "Manage organisations through the admin API.",
        subcommands: [Create.self, List.self, Get.self, Delete.self]
    )
    static let columns = ["id", "name", "created_at"]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an organisation.")
        @OptionGroup var connection: Keys.Connection
        @Option(help: "Name (unique).") var name: String
        @Option(help: "Id (default: generated, org_…).") var id: String?

        func run() async throws {
            var body: [String: Any] = ["name": self.name]
            if let id { body["id"] = id }
            let created = try await self.connection.call(.POST, "/admin/v1/orgs", body: body) as? [String: Any] ?? [:]
            TenancyTable.print([created], columns: Orgs.columns)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the organisations the key may read.")
        @OptionGroup var connection: Keys.Connection

        func run() async throws {
            TenancyTable.print(
                try await TenancyTable.list(self.connection, "/admin/v1/orgs", query: []),
                columns: Orgs.columns
            )
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one organisation.")
        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Organisation id.") var id: String

        func run() async throws {
            try await TenancyTable.show(self.connection, "orgs", id: self.id, columns: Orgs.columns)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete an organisation (refused while it has teams, users or keys)."
        )
        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Organisation id.") var id: String

        func run() async throws {
            try await TenancyTable.delete(self.connection, "orgs", id: self.id, noun: "org")
        }
    }
}

struct Teams: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teams",
        abstract: "Manage teams through the admin API.",
        subcommands: [Create.self, List.self, Get.self, Delete.self]
    )
    static let columns = ["id", "org", "name", "created_at"]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a team in an organisation.")
        @OptionGroup var connection: Keys.Connection
        @Option(help: "Organisation id.") var org: String
        @Option(help: "Name (unique in the organisation).") var name: String
        @Option(help: "Id (default: generated, team_…); static keys' team names map to it.") var id: String?

        func run() async throws {
            var body: [String: Any] = ["org": self.org, "name": self.name]
            if let id { body["id"] = id }
            let created = try await self.connection.call(.POST, "/admin/v1/teams", body: body) as? [String: Any] ?? [:]
            TenancyTable.print([created], columns: Teams.columns)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the teams the key may read.")
        @OptionGroup var connection: Keys.Connection
        @Option(help: "Only teams of this organisation.") var org: String?

        func run() async throws {
            let rows = try await TenancyTable.list(self.connection, "/admin/v1/teams", query: [("org", self.org)])
            TenancyTable.print(rows, columns: Teams.columns)
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one team.")
        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Team id.") var id: String

        func run() async throws {
            try await TenancyTable.show(self.connection, "teams", id: self.id, columns: Teams.columns)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a team (refused while it has projects, users or keys)."
        )
        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Team id.") var id: String

        func run() async throws {
            try await TenancyTable.delete(self.connection, "teams", id: self.id, noun: "team")
        }
    }
}

struct Projects: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projects",
        abstract: "Manage projects through the admin API.",
        subcommands: [Create.self, List.self, Get.self, Delete.self]
    )
    static let columns = ["id", "team", "name", "created_at"]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a project in a team.")
        @OptionGroup var connection: Keys.Connection
        @Option(help: "Team id.") var team: String
        @Option(help: "Name (unique in the team).") var name: String
        @Option(help: "Id (default: generated, proj_…).") var id: String?

        func run() async throws {
            var body: [String: Any] = ["team": self.team, "name": self.name]
            if let id { body["id"] = id }
            let created =
                try await self.connection.call(.POST, "/admin/v1/projects", body: body) as? [String: Any] ?? [:]
            TenancyTable.print([created], columns: Projects.columns)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the projects the key may read.")
        @OptionGroup var connection: Keys.Connection
        @Option(help: "Only projects of this organisation.") var org: String?
        @Option(help: "Only projects of this team.") var team: String?

        func run() async throws {
            let rows = try await TenancyTable.list(
                self.connection,
                "/admin/v1/projects",
                query: [("org", self.org), ("team", self.team)]
            )
            TenancyTable.print(rows, columns: Projects.columns)
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one project.")
        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Project id.") var id: String

        func run() async throws {
            try await TenancyTable.show(self.connection, "projects", id: self.id, columns: Projects.columns)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a project (refused while unrevoked keys are bound to it)."
        )
        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Project id.") var id: String

        func run() async throws {
            try await TenancyTable.delete(self.connection, "projects", id: self.id, noun: "project")
        }
    }
}

struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Manage users through the admin API.",
        subcommands: [Create.self, List.self, Get.self, Delete.self]
    )
    static let columns = ["id", "org", "default_team", "name", "email", "created_at"]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user in an organisation.")
        @OptionGroup var connection: Keys.Connection
        @Option(help: "Organisation id.") var org: String
        @Option(help: "Name.") var name: String
        @Option(help: "Email (unique).") var email: String?
        @Option(help: "Team of the same organisation the user belongs to.") var defaultTeam: String?
        @Option(help: "Id (default: generated, user_…).") var id: String?

        func run() async throws {
            var body: [String: Any] = ["org": self.org, "name": self.name]
            if let email { body["email"] = email }
            if let defaultTeam { body["default_team"] = defaultTeam }
            if let id { body["id"] = id }
            let created = try await self.connection.call(.POST, "/admin/v1/users", body: body) as? [String: Any] ?? [:]
            TenancyTable.print([created], columns: Users.columns)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the users the key may read.")
        @OptionGroup var connection: Keys.Connection
        @Option(help: "Only users of this organisation.") var org: String?
        @Option(help: "Only users whose default team is this one.") var team: String?

        func run() async throws {
            let rows = try await TenancyTable.list(
                self.connection,
                "/admin/v1/users",
                query: [("org", self.org), ("team", self.team)]
            )
            TenancyTable.print(rows, columns: Users.columns)
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one user.")
        @OptionGroup var connection: Keys.Connection
        @Argument(help: "User id.") var id: String

        func run() async throws {
            try await TenancyTable.show(self.connection, "users", id: self.id, columns: Users.columns)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a user (refused while unrevoked keys are bound to it)."
        )
        @OptionGroup var connection: Keys.Connection
        @Argument(help: "User id.") var id: String

        func run() async throws {
            try await TenancyTable.delete(self.connection, "users", id: self.id, noun: "user")
        }
    }
}
