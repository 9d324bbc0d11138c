import ArgumentParser
import Foundation
import NIOHTTP1

/// `keel escalations list|show|approve|deny`: calls held for a human and agents' questions,
/// through the admin API of a running gateway (see `Keys.Connection` for `--url` and `--admin-key`).
struct Escalations: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "escalations",
        abstract: "Review what agents wait for: tool calls held for approval and their own questions.",
        subcommands: [List.self, Show.self, Approve.self, Deny.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List escalations, newest first (pending by default)."
        )

        @OptionGroup var connection: Keys.Connection
        @Option(help: "pending, approved, denied, expired, or all.") var state: String = "pending"
        @Option(help: "Only those of this agent.") var agent: String?
        @Option(help: "Only those of this task.") var task: String?

        func run() async throws {
            let query = [("state", self.state == "all" ? nil : self.state), ("agent", self.agent), ("task", self.task)]
                .compactMap { name, value in value.map { "\(name)=\(TenancyTable.escape($0))" } }
            let listed =
                try await self.connection.call(.GET, "/admin/v1/escalations?" + query.joined(separator: "&"))
                as? [String: Any]
            let rows = (listed?["data"] as? [[String: Any]] ?? []).map { escalation -> [String: Any] in
                var row = escalation
                let tool = [escalation["server"] as? String, escalation["tool"] as? String].compactMap { $0 }.joined(
                    separator: "/"
                )
                row["what"] = tool.isEmpty ? String((escalation["question"] as? String ?? "").prefix(60)) : tool
                row["votes"] = "\(escalation["approvals"] as? Int ?? 0)/\(escalation["quorum"] as? Int ?? 1)"
                row["waiting"] = (escalation["created_at"] as? Int).map { Tasks.ago($0) } ?? "-"
                return row
            }
            TenancyTable.print(rows, columns: ["id", "kind", "state", "agent", "task", "what", "votes", "waiting"])
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print one escalation as JSON: the call's arguments, the votes."
        )

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Escalation id.") var id: String

        func run() async throws {
            try Agents.printJSON(
                try await self.connection.call(.GET, "/admin/v1/escalations/\(TenancyTable.escape(self.id))")
            )
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve a held call or answer a question (yes); with a quorum, one approval of several."
        )

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Escalation id.") var id: String
        @Option(help: "Why (recorded, and shown to the agent).") var reason: String?

        func run() async throws {
            var body: [String: Any] = [:]
            if let reason = self.reason { body["reason"] = reason }
            let decided =
                try await self.connection.call(
                    .POST,
                    "/admin/v1/escalations/\(TenancyTable.escape(self.id))/approve",
                    body: body
                )
                as? [String: Any]
            let state = decided?["state"] as? String ?? "?"
            print(
                state == "approved"
                    ? "Approved \(self.id)."
                    : "Approval counted for \(self.id): \(decided?["approvals"] as? Int ?? 0) of \(decided?["quorum"] as? Int ?? 1)."
            )
        }
    }

    struct Deny: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deny a held call or answer a question (no), with a reason."
        )

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Escalation id.") var id: String
        @Option(help: "Why (required: the agent receives it).") var reason: String

        func run() async throws {
            _ = try await self.connection.call(
                .POST,
                "/admin/v1/escalations/\(TenancyTable.escape(self.id))/deny",
                body: ["reason": self.reason]
            )
            print("Denied \(self.id).")
        }
    }
}
