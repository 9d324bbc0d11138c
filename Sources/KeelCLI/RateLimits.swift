import ArgumentParser
import Foundation
import NIOHTTP1

/// `keel rate-limits create|list|update|delete`: rate-limit rules, through the admin API of a
/// running gateway (see `Keys.Connection` for `--url` and `--admin-key`).
struct RateLimits: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rate-limits",
        abstract: "Manage rate limits (requests and tokens per window, concurrent requests) through the admin API.",
        subcommands: [Create.self, List.self, Update.self, Delete.self]
    )
    static let columns = ["id", "key", "team", "model", "rpm", "tpm", "max_concurrent", "window_seconds", "source"]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a rule for a key, a team, a model, or a combination; every rule covering a request must admit it.")

        @OptionGroup var connection: Keys.Connection
        @Option(help: "Rule id (default: generated).") var id: String?
        @Option(help: "Key id (key_…) the rule limits.") var key: String?
        @Option(help: "Team id the rule limits.") var team: String?
        @Option(help: "Model name (as clients send it) the rule limits.") var model: String?
        @Option(help: "Requests per window.") var rpm: Int?
        @Option(help: "Tokens per window (prompt + answer).") var tpm: Int?
        @Option(help: "Requests in flight at once.") var maxConcurrent: Int?
        @Option(help: "Window length in seconds (default 60: rpm and tpm are per minute).") var windowSeconds: Int?

        func run() async throws {
            var body: [String: Any] = [:]
            if let id { body["id"] = id }
            if let key { body["key"] = key }
            if let team { body["team"] = team }
            if let model { body["model"] = model }
            if let rpm { body["rpm"] = rpm }
            if let tpm { body["tpm"] = tpm }
            if let maxConcurrent { body["max_concurrent"] = maxConcurrent }
            if let windowSeconds { body["window_seconds"] = windowSeconds }
            let created = try await self.connection.call(.POST, "/admin/v1/rate-limits", body: body) as? [String: Any] ?? [:]
            TenancyTable.print([created], columns: RateLimits.columns)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the rules you may read (the configuration's too).")

        @OptionGroup var connection: Keys.Connection
        @Option(help: "Only rules of this key id.") var key: String?
        @Option(help: "Only rules of this team.") var team: String?
        @Option(help: "Only rules of this model.") var model: String?

        func run() async throws {
            let query = [("key", self.key), ("team", self.team), ("model", self.model)]
                .compactMap { name, value in value.map { "\(name)=\(TenancyTable.escape($0))" } }
            let path = "/admin/v1/rate-limits" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
            let listed = try await self.connection.call(.GET, path) as? [String: Any] ?? [:]
            TenancyTable.print(listed["data"] as? [[String: Any]] ?? [], columns: RateLimits.columns)
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a rule's limits or window (0 removes a limit).")

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Rule id.") var id: String
        @Option(help: "Requests per window; 0 removes the limit.") var rpm: Int?
        @Option(help: "Tokens per window; 0 removes the limit.") var tpm: Int?
        @Option(help: "Requests in flight at once; 0 removes the limit.") var maxConcurrent: Int?
        @Option(help: "Window length in seconds.") var windowSeconds: Int?

        func run() async throws {
            var body: [String: Any] = [:]
            for (name, value) in [("rpm", self.rpm), ("tpm", self.tpm), ("max_concurrent", self.maxConcurrent)] {
                if let value { body[name] = value == 0 ? NSNull() : value }
            }
            if let windowSeconds { body["window_seconds"] = windowSeconds }
            let updated = try await self.connection.call(.PATCH, "/admin/v1/rate-limits/\(TenancyTable.escape(self.id))", body: body)
            TenancyTable.print([updated as? [String: Any] ?? [:]], columns: RateLimits.columns)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a rule; it stops applying at once.")

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Rule id.") var id: String

        func run() async throws {
            try await TenancyTable.delete(self.connection, "rate-limits", id: self.id, noun: "rate limit")
        }
    }
}
