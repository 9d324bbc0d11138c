import ArgumentParser
import Foundation
import NIOHTTP1
import Yams

/// `keel policies list|get|apply|delete|probe`: compliance policies, through the admin API of a
/// running gateway (see `Keys.Connection` for `--url` and `--admin-key`).
struct Policies: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policies",
        abstract:
            "Manage compliance policies (models, providers, regions, BAA, PII, secrets, injection, kept bodies) through the admin API.",
        subcommands: [List.self, Get.self, Apply.self, Delete.self, Probe.self]
    )

    /// The rule keys a policy may set, in the configuration's order.
    static let rules = ["models", "providers", "regions", "baa_required", "pii", "secrets", "injection", "keep_bodies"]

    /// `org=acme,team=search` of a policy's scope, `-` when it has none.
    static func scope(_ policy: [String: Any]) -> String {
        let scope = policy["scope"] as? [String: Any] ?? [:]
        let parts = ["org", "team", "key", "model"].compactMap { name in
            (scope[name] as? String).map { "\(name)=\($0)" }
        }
        return parts.isEmpty ? "-" : parts.joined(separator: ",")
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the policies in force that you may read (the configuration's first)."
        )

        @OptionGroup var connection: Keys.Connection
        @Option(help: "Only policies of this organisation.") var org: String?
        @Option(help: "Only policies of this team.") var team: String?
        @Option(help: "Only `config` or `api` policies.") var source: String?

        func run() async throws {
            let query = [("org", self.org), ("team", self.team), ("source", self.source)]
                .compactMap { name, value in value.map { "\(name)=\(TenancyTable.escape($0))" } }
            let path = "/admin/v1/policies" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
            let listed = try await self.connection.call(.GET, path) as? [String: Any] ?? [:]
            let rows = (listed["data"] as? [[String: Any]] ?? []).map { policy -> [String: Any] in
                var row = policy
                row["scope"] = Policies.scope(policy)
                row["rules"] = Policies.rules.filter { policy[$0] != nil }.joined(separator: ",")
                return row
            }
            TenancyTable.print(rows, columns: ["id", "source", "name", "scope", "rules"])
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print one policy as JSON.")

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Policy id.") var id: String

        func run() async throws {
            let policy = try await self.connection.call(.GET, "/admin/v1/policies/\(TenancyTable.escape(self.id))")
            let data = try JSONSerialization.data(withJSONObject: policy, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Create or replace the policies of a YAML or JSON file: one policy, or a list, with the keys of `policies:` entries.",
            discussion: "A policy whose id exists is replaced (PUT); one without an id, or with a new one, is created."
        )

        @OptionGroup var connection: Keys.Connection
        @Option(name: .shortAndLong, help: "The file (`-` for standard input).") var file: String

        func run() async throws {
            let text: String
            if self.file == "-" {
                text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            } else {
                guard let data = FileManager.default.contents(atPath: self.file) else {
                    throw ValidationError("Cannot read \(self.file).")
                }
                text = String(decoding: data, as: UTF8.self)
            }
            let loaded: Any?
            do {
                loaded = try Yams.load(yaml: text)
            } catch {
                throw ValidationError("\(self.file) is not YAML or JSON: \(error)")
            }
            let policies: [[String: Any]]
            switch loaded {
            case let one as [String: Any]: policies = [one]
            case let many as [Any]:
                policies = try many.map { item in
                    guard let policy = item as? [String: Any] else {
                        throw ValidationError("Every item of the list must be a policy (a mapping).")
                    }
                    return policy
                }
            default: throw ValidationError("\(self.file) must hold a policy (a mapping) or a list of them.")
            }
            var rows: [[String: Any]] = []
            for policy in policies {
                var exists = false
                if let id = policy["id"] as? String {
                    exists =
                        (try? await self.connection.call(.GET, "/admin/v1/policies/\(TenancyTable.escape(id))")) != nil
                }
                let result: Any
                if exists, let id = policy["id"] as? String {
                    result = try await self.connection.call(
                        .PUT,
                        "/admin/v1/policies/\(TenancyTable.escape(id))",
                        body: policy
                    )
                } else {
                    result = try await self.connection.call(.POST, "/admin/v1/policies", body: policy)
                }
                var row = result as? [String: Any] ?? [:]
                row["action"] = exists ? "replaced" : "created"
                row["scope"] = Policies.scope(row)
                rows.append(row)
            }
            TenancyTable.print(rows, columns: ["id", "action", "scope"])
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a policy made through the admin API; it stops applying at once."
        )

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Policy id.") var id: String

        func run() async throws {
            try await TenancyTable.delete(self.connection, "policies", id: self.id, noun: "policy")
        }
    }

    struct Probe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Probe every policy in force now (on the gateway that answers) and print the results; exit 1 when one fails."
        )

        @OptionGroup var connection: Keys.Connection

        func run() async throws {
            let run = try await self.connection.call(.POST, "/admin/v1/compliance/probes/run") as? [String: Any] ?? [:]
            let rows = (run["data"] as? [[String: Any]] ?? []).map { result -> [String: Any] in
                var row = result
                row["result"] = (result["passed"] as? Bool) == true ? "pass" : "FAIL"
                return row
            }
            TenancyTable.print(rows, columns: ["policy_id", "probe", "result", "observed"])
            if rows.contains(where: { $0["result"] as? String == "FAIL" }) { throw ExitCode(1) }
        }
    }
}
