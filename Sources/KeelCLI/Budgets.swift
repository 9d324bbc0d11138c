import ArgumentParser
import Foundation
import NIOHTTP1

/// `keel budgets create|list|get|update|delete`: budgets through the admin API of a running
/// gateway (see `Keys.Connection` for `--url` and `--admin-key`).
struct Budgets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Budgets: spending limits per org, team, project, user, key or tag, enforced at admission.",
        subcommands: [Create.self, List.self, Get.self, Update.self, Delete.self]
    )

    static let columns = [
        "id", "name", "scope", "scope_id", "period", "limit_usd", "soft_limit_usd", "spent_usd", "remaining_usd",
        "projected_spend_usd", "exhaustion_date",
    ]

    /// A budget row with its status and forecast fields lifted to the top, for the table.
    static func flatten(_ row: [String: Any]) -> [String: Any] {
        var flat = row
        if let status = row["status"] as? [String: Any] {
            for (name, value) in status where name != "forecast" { flat[name] = value }
            if let forecast = status["forecast"] as? [String: Any] {
                for (name, value) in forecast { flat[name] = value }
            }
        }
        return flat
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a budget.",
            discussion: """
                Example: keel budgets create --name search-monthly --scope team --scope-id search \\
                  --period monthly --time-zone Europe/Berlin --limit-usd 500 --soft-limit-usd 400
                A tag budget's scope id is key=value (--scope tag --scope-id feature=search).
                """
        )
        @OptionGroup var connection: Keys.Connection
        @Option(help: "Name.") var name: String
        @Option(help: "org, team, project, user, key or tag.") var scope: String
        @Option(help: "The scope's id, or key=value for a tag.") var scopeId: String
        @Option(help: "daily, weekly, monthly or fixed.") var period: String
        @Option(help: "Limit in dollars, like 500 or 12.50.") var limitUsd: String
        @Option(help: "Soft limit in dollars: an alert when spend reaches it.") var softLimitUsd: String?
        @Option(help: "IANA time zone of calendar periods (default: UTC).") var timeZone: String?
        @Option(help: "Start of a fixed period, Unix seconds.") var startsAt: Int64?
        @Option(help: "End of a fixed period (excluded), Unix seconds.") var endsAt: Int64?
        @Option(help: "Id (default: generated, bud_…).") var id: String?
        @Option(help: "Organisation of a tag budget.") var org: String?
        @Option(help: "Team of a tag budget.") var team: String?

        func run() async throws {
            var body: [String: Any] = [
                "name": self.name, "scope": self.scope, "scope_id": self.scopeId, "period": self.period, "limit_usd": self.limitUsd,
            ]
            let optional: [(String, Any?)] = [
                ("soft_limit_usd", self.softLimitUsd), ("time_zone", self.timeZone), ("starts_at", self.startsAt),
                ("ends_at", self.endsAt), ("id", self.id), ("org", self.org), ("team", self.team),
            ]
            for (name, value) in optional { if let value { body[name] = value } }
            let created = try await self.connection.call(.POST, "/admin/v1/budgets", body: body) as? [String: Any] ?? [:]
            TenancyTable.print([Budgets.flatten(created)], columns: Budgets.columns)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the budgets the key may read, with spend and forecast.")
        @OptionGroup var connection: Keys.Connection
        @Option(help: "Only budgets of this scope kind.") var scope: String?
        @Option(help: "Only budgets of this scope id.") var scopeId: String?

        func run() async throws {
            let rows = try await TenancyTable.list(self.connection, "/admin/v1/budgets", query: [("scope", self.scope), ("scope_id", self.scopeId)])
            TenancyTable.print(rows.map(Budgets.flatten), columns: Budgets.columns)
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one budget as JSON: its period, spend and forecast.")
        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Budget id.") var id: String

        func run() async throws {
            let row = try await self.connection.call(.GET, "/admin/v1/budgets/\(TenancyTable.escape(self.id))")
            let data = try JSONSerialization.data(withJSONObject: row, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a budget's name, limits, period or time zone.")
        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Budget id.") var id: String
        @Option(help: "Name.") var name: String?
        @Option(help: "Limit in dollars.") var limitUsd: String?
        @Option(help: "Soft limit in dollars (empty removes it).") var softLimitUsd: String?
        @Option(help: "daily, weekly, monthly or fixed.") var period: String?
        @Option(help: "IANA time zone.") var timeZone: String?
        @Option(help: "Start of a fixed period, Unix seconds.") var startsAt: Int64?
        @Option(help: "End of a fixed period, Unix seconds.") var endsAt: Int64?

        func run() async throws {
            var body: [String: Any] = [:]
            let fields: [(String, Any?)] = [
                ("name", self.name), ("limit_usd", self.limitUsd), ("soft_limit_usd", self.softLimitUsd), ("period", self.period),
                ("time_zone", self.timeZone), ("starts_at", self.startsAt), ("ends_at", self.endsAt),
            ]
            for (name, value) in fields { if let value { body[name] = value } }
            let updated = try await self.connection.call(.PATCH, "/admin/v1/budgets/\(TenancyTable.escape(self.id))", body: body)
            TenancyTable.print([Budgets.flatten(updated as? [String: Any] ?? [:])], columns: Budgets.columns)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a budget and its ledger.")
        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Budget id.") var id: String

        func run() async throws {
            try await TenancyTable.delete(self.connection, "budgets", id: self.id, noun: "budget")
        }
    }
}
