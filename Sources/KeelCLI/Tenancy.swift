import ArgumentParser

// `keel orgs|teams|projects|users create|list|get|delete`: the tenancy tree, through the admin API
// of a running gateway. Each group says what is its own (create options, list filters, texts);
// the subcommands are the generic ones of `TenancyCommand.swift`.

struct Orgs: TenancyCommand {
    static let collection = "orgs"
    static let noun = "org"
    static let singular = "organisation"
    static let plural = "organisations"
    static let columns = ["id", "name", "created_at"]
    static let createAbstract = "Create an organisation."
    static let deleteAbstract = "Delete an organisation (refused while it has teams, users or keys)."
    typealias ListFilters = NoTenancyFilters

    struct CreateOptions: TenancyBody {
        @Option(help: "Name (unique).") var name: String
        @Option(help: "Id (default: generated, org_…).") var id: String?

        var body: [String: Any] {
            var body: [String: Any] = ["name": self.name]
            if let id { body["id"] = id }
            return body
        }
    }
}

struct Teams: TenancyCommand {
    static let collection = "teams"
    static let noun = "team"
    static let singular = "team"
    static let plural = "teams"
    static let columns = ["id", "org", "name", "created_at"]
    static let createAbstract = "Create a team in an organisation."
    static let deleteAbstract = "Delete a team (refused while it has projects, users or keys)."

    struct CreateOptions: TenancyBody {
        @Option(help: "Organisation id.") var org: String
        @Option(help: "Name (unique in the organisation).") var name: String
        @Option(help: "Id (default: generated, team_…); static keys' team names map to it.") var id: String?

        var body: [String: Any] {
            var body: [String: Any] = ["org": self.org, "name": self.name]
            if let id { body["id"] = id }
            return body
        }
    }

    struct ListFilters: TenancyQueryParameters {
        @Option(help: "Only teams of this organisation.") var org: String?

        var query: [(String, String?)] { [("org", self.org)] }
    }
}

struct Projects: TenancyCommand {
    static let collection = "projects"
    static let noun = "project"
    static let singular = "project"
    static let plural = "projects"
    static let columns = ["id", "team", "name", "created_at"]
    static let createAbstract = "Create a project in a team."
    static let deleteAbstract = "Delete a project (refused while unrevoked keys are bound to it)."

    struct CreateOptions: TenancyBody {
        @Option(help: "Team id.") var team: String
        @Option(help: "Name (unique in the team).") var name: String
        @Option(help: "Id (default: generated, proj_…).") var id: String?

        var body: [String: Any] {
            var body: [String: Any] = ["team": self.team, "name": self.name]
            if let id { body["id"] = id }
            return body
        }
    }

    struct ListFilters: TenancyQueryParameters {
        @Option(help: "Only projects of this organisation.") var org: String?
        @Option(help: "Only projects of this team.") var team: String?

        var query: [(String, String?)] { [("org", self.org), ("team", self.team)] }
    }
}

struct Users: TenancyCommand {
    static let collection = "users"
    static let noun = "user"
    static let singular = "user"
    static let plural = "users"
    static let columns = ["id", "org", "default_team", "name", "email", "created_at"]
    static let createAbstract = "Create a user in an organisation."
    static let deleteAbstract = "Delete a user (refused while unrevoked keys are bound to it)."

    struct CreateOptions: TenancyBody {
        @Option(help: "Organisation id.") var org: String
        @Option(help: "Name.") var name: String
        @Option(help: "Email (unique).") var email: String?
        @Option(help: "Team of the same organisation the user belongs to.") var defaultTeam: String?
        @Option(help: "Id (default: generated, user_…).") var id: String?

        var body: [String: Any] {
            var body: [String: Any] = ["org": self.org, "name": self.name]
            if let email { body["email"] = email }
            if let defaultTeam { body["default_team"] = defaultTeam }
            if let id { body["id"] = id }
            return body
        }
    }

    struct ListFilters: TenancyQueryParameters {
        @Option(help: "Only users of this organisation.") var org: String?
        @Option(help: "Only users whose default team is this one.") var team: String?

        var query: [(String, String?)] { [("org", self.org), ("team", self.team)] }
    }
}
