import ArgumentParser
import Foundation
import NIOHTTP1

/// `keel tasks list|show|watch|extend|cancel`: agent tasks through the admin API of a running
/// gateway (see `Keys.Connection` for `--url` and `--admin-key`).
struct Tasks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks",
        abstract:
            "Watch agent tasks (state, steps, tokens, cost, duration), extend their budgets, resume or cancel them.",
        subcommands: [List.self, Show.self, Watch.self, Extend.self, Resume.self, Cancel.self]
    )

    /// The filters of `list` and `watch`.
    struct Filter: ParsableArguments {
        @Option(help: "Only tasks of this agent.") var agent: String?
        @Option(
            help:
                "Only tasks in this state (queued, running, awaiting_approval, succeeded, failed, cancelled, timed_out)."
        )
        var state: String?
        @Option(help: "Only tasks of this team.") var team: String?
        @Option(help: "At most this many, newest first.") var limit: Int = 50

        var path: String {
            let query = [
                ("agent", self.agent), ("state", self.state), ("team", self.team), ("limit", String(self.limit)),
            ]
            .compactMap { name, value in value.map { "\(name)=\(TenancyTable.escape($0))" } }
            return "/admin/v1/tasks?" + query.joined(separator: "&")
        }
    }

    /// One task as a table row: usage flattened, duration in seconds.
    static func row(_ task: [String: Any]) -> [String: Any] {
        var row = task
        let usage = task["usage"] as? [String: Any] ?? [:]
        row["steps"] = usage["steps"] ?? 0
        row["tokens"] = usage["tokens"] ?? 0
        row["cost_usd"] = usage["cost_usd"] ?? "0"
        row["duration_s"] = (task["duration_ms"] as? Int).map { String(format: "%.1f", Double($0) / 1_000) } ?? "-"
        row["last_activity"] = (task["last_activity_at"] as? Int).map { Self.ago($0) } ?? "-"
        return row
    }

    /// `12s ago` from Unix seconds.
    static func ago(_ seconds: Int) -> String {
        let elapsed = max(0, Int(Date().timeIntervalSince1970) - seconds)
        return elapsed < 120 ? "\(elapsed)s ago" : elapsed < 7_200 ? "\(elapsed / 60)m ago" : "\(elapsed / 3_600)h ago"
    }

    static let columns = [
        "id", "agent", "state", "steps", "tokens", "cost_usd", "duration_s", "last_activity", "worker", "reason",
    ]

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tasks, newest first.")

        @OptionGroup var connection: Keys.Connection
        @OptionGroup var filter: Filter

        func run() async throws {
            let listed = try await self.connection.call(.GET, self.filter.path) as? [String: Any] ?? [:]
            TenancyTable.print((listed["data"] as? [[String: Any]] ?? []).map(Tasks.row), columns: Tasks.columns)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print one task as JSON, with its steps as a timeline."
        )

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Task id.") var id: String

        func run() async throws {
            let task = try await self.connection.call(.GET, "/admin/v1/tasks/\(TenancyTable.escape(self.id))")
            let data = try JSONSerialization.data(withJSONObject: task, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A live view of tasks, refreshed in place.")

        @OptionGroup var connection: Keys.Connection
        @OptionGroup var filter: Filter
        @Option(help: "Seconds between refreshes.") var interval: Double = 2
        @Option(help: "Refresh this many times, then exit (default: until interrupted).") var count: Int?

        func run() async throws {
            var shown = 0
            while self.count.map({ shown < $0 }) ?? true {
                let listed = try await self.connection.call(.GET, self.filter.path) as? [String: Any] ?? [:]
                let tasks = listed["data"] as? [[String: Any]] ?? []
                let counts = Dictionary(grouping: tasks, by: { $0["state"] as? String ?? "?" }).mapValues(\.count)
                let summary = counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                let clear = isatty(STDOUT_FILENO) != 0 ? "\u{1B}[H\u{1B}[2J" : ""
                FileHandle.standardOutput.write(
                    Data(
                        (clear + "keel tasks — \(tasks.count) shown" + (summary.isEmpty ? "" : ": \(summary)") + "\n\n")
                            .utf8
                    )
                )
                TenancyTable.print(tasks.map(Tasks.row), columns: Tasks.columns)
                shown += 1
                if self.count.map({ shown >= $0 }) ?? false { break }
                try await Task.sleep(for: .milliseconds(Int(self.interval * 1_000)))
            }
        }
    }

    struct Extend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Raise a task's budget (the limits given); a task paused on its budget runs again."
        )

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Task id.") var id: String
        @Option(help: "Model calls.") var steps: Int?
        @Option(help: "Tool calls through the MCP gateway.") var toolCalls: Int?
        @Option(help: "Input and output tokens.") var tokens: Int?
        @Option(help: "Dollars, like 2.50.") var costUsd: String?
        @Option(help: "Wall-clock seconds from its start.") var seconds: Int?

        func run() async throws {
            var budget: [String: Any] = [:]
            if let steps { budget["steps"] = steps }
            if let toolCalls { budget["tool_calls"] = toolCalls }
            if let tokens { budget["tokens"] = tokens }
            if let costUsd { budget["cost_usd"] = costUsd }
            if let seconds { budget["seconds"] = seconds }
            guard !budget.isEmpty else {
                throw ValidationError("Give at least one of --steps, --tool-calls, --tokens, --cost-usd, --seconds.")
            }
            let task =
                try await self.connection.call(
                    .PATCH,
                    "/admin/v1/tasks/\(TenancyTable.escape(self.id))",
                    body: ["budget": budget]
                ) as? [String: Any]
            print("Task \(self.id) is \(task?["state"] as? String ?? "?").")
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a task paused on its budget or for a loop.")

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Task id.") var id: String

        func run() async throws {
            _ = try await self.connection.call(
                .POST,
                "/admin/v1/tasks/\(TenancyTable.escape(self.id))/resume",
                body: [:]
            )
            print("Resumed task \(self.id).")
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a queued, running or paused task.")

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Task id.") var id: String
        @Option(help: "Why.") var reason: String?

        func run() async throws {
            _ = try await self.connection.call(
                .POST,
                "/admin/v1/tasks/\(TenancyTable.escape(self.id))/cancel",
                body: self.reason.map { ["reason": $0] } ?? [:]
            )
            print("Cancelled task \(self.id).")
        }
    }
}
