import ArgumentParser
import Foundation
import NIOHTTP1

/// `keel agents list|show|create|update|delete|suspend|resume`: the agent registry and the kill
/// switch, through the admin API of a running gateway (see `Keys.Connection` for `--url` and
/// `--admin-key`).
struct Agents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agents",
        abstract: "Manage registered agents (owner, version, allowed models and tools) and suspend or resume them.",
        subcommands: [
            List.self, Show.self, Create.self, Update.self, Delete.self, Suspend.self, Resume.self, Tools.self,
            ApproveTool.self,
        ]
    )

    /// The members of an agent that `create` and `update` set.
    struct Settings: ParsableArguments {
        @Option(help: "Name shown in lists.") var name: String?
        @Option(help: "Owning team.") var team: String?
        @Option(help: "The version the agent runs now (a change enters its version history).") var version: String?
        @Option(help: "What the agent does.") var description: String?
        @Option(help: "Comma-separated models it may call (`*` patterns allowed; `*` for any).") var models: String?
        @Option(help: "Comma-separated tools it may use: `tool` or `server/tool`, `*` patterns allowed (`*` for any).")
        var tools: String?
        @Option(help: "A request offering a tool outside its tools: refuse or remove.") var offeredTools: String?
        @Option(help: "Each task's budget: model calls.") var taskBudgetSteps: Int?
        @Option(help: "Each task's budget: tool calls through the MCP gateway.") var taskBudgetToolCalls: Int?
        @Option(help: "Each task's budget: input and output tokens.") var taskBudgetTokens: Int?
        @Option(help: "Each task's budget: dollars, like 2.50.") var taskBudgetCostUsd: String?
        @Option(help: "Each task's budget: wall-clock seconds.") var taskBudgetSeconds: Int?
        @Option(help: "Each task's budget: levels of sub-tasks.") var taskBudgetDepth: Int?
        @Option(help: "A task over its budget: fail or pause (for a human to extend it).") var onBudgetExceeded: String?
        @Option(help: "A task going round in circles: warn, pause, stop or off.") var loops: String?

        var body: [String: Any] {
            var body: [String: Any] = [:]
            if let name { body["name"] = name }
            if let team { body["team"] = team }
            if let version { body["version"] = version }
            if let description { body["description"] = description }
            if let models { body["models"] = Self.list(models) }
            if let tools { body["tools"] = Self.list(tools) }
            if let offeredTools { body["offered_tools"] = offeredTools }
            var budget: [String: Any] = [:]
            if let taskBudgetSteps { budget["steps"] = taskBudgetSteps }
            if let taskBudgetToolCalls { budget["tool_calls"] = taskBudgetToolCalls }
            if let taskBudgetTokens { budget["tokens"] = taskBudgetTokens }
            if let taskBudgetCostUsd { budget["cost_usd"] = taskBudgetCostUsd }
            if let taskBudgetSeconds { budget["seconds"] = taskBudgetSeconds }
            if let taskBudgetDepth { budget["depth"] = taskBudgetDepth }
            if !budget.isEmpty { body["task_budget"] = budget }
            if let onBudgetExceeded { body["on_budget_exceeded"] = onBudgetExceeded }
            if let loops { body["loops"] = loops }
            return body
        }

        /// `*` alone means any (`null`), otherwise the comma-separated items.
        static func list(_ text: String) -> Any {
            text == "*" ? NSNull() : text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
    }

    static func row(_ agent: [String: Any]) -> [String: Any] {
        var row = agent
        row["models"] = (agent["models"] as? [String])?.joined(separator: ",") ?? "*"
        row["tools"] = (agent["tools"] as? [String])?.joined(separator: ",") ?? "*"
        row["suspended_by"] = agent["suspended_by"] ?? "-"
        return row
    }

    static func printJSON(_ value: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the registered agents you may read, and the suspensions of many agents in force."
        )

        @OptionGroup var connection: Keys.Connection
        @Option(help: "Only agents of this team.") var team: String?
        @Option(help: "Only `active` or `suspended` agents.") var state: String?

        func run() async throws {
            let query = [("team", self.team), ("state", self.state)]
                .compactMap { name, value in value.map { "\(name)=\(TenancyTable.escape($0))" } }
            let path = "/admin/v1/agents" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
            let listed = try await self.connection.call(.GET, path) as? [String: Any] ?? [:]
            TenancyTable.print(
                (listed["data"] as? [[String: Any]] ?? []).map(Agents.row),
                columns: ["id", "name", "team", "version", "state", "models", "tools"]
            )
            let holds = listed["holds"] as? [[String: Any]] ?? []
            if !holds.isEmpty {
                print("")
                TenancyTable.print(holds, columns: ["id", "team", "reason", "created_at"])
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print one agent as JSON, with its version history.")

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Agent id.") var id: String

        func run() async throws {
            try Agents.printJSON(
                try await self.connection.call(.GET, "/admin/v1/agents/\(TenancyTable.escape(self.id))")
            )
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register an agent.",
            discussion: "Bind keys to it with `keel keys create --agent ID`: their requests are then the agent's."
        )

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Agent id (letters, digits, '.', '_', '-'), as agents send it in x-keel-agent.") var id: String
        @OptionGroup var settings: Settings

        func run() async throws {
            var body = self.settings.body
            body["id"] = self.id
            if body["name"] == nil { body["name"] = self.id }
            try Agents.printJSON(try await self.connection.call(.POST, "/admin/v1/agents", body: body))
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change an agent's settings (those given).")

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Agent id.") var id: String
        @OptionGroup var settings: Settings

        func run() async throws {
            try Agents.printJSON(
                try await self.connection.call(
                    .PATCH,
                    "/admin/v1/agents/\(TenancyTable.escape(self.id))",
                    body: self.settings.body
                )
            )
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an agent (its version history stays).")

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Agent id.") var id: String

        func run() async throws {
            _ = try await self.connection.call(.DELETE, "/admin/v1/agents/\(TenancyTable.escape(self.id))")
            print("Deleted agent \(self.id).")
        }
    }

    /// Which agents `suspend` and `resume` act on: one, a team's, or every agent.
    struct Target: ParsableArguments {
        @Argument(help: "Agent id (or use --team or --all).") var id: String?
        @Option(help: "Every agent of this team.") var team: String?
        @Flag(help: "Every agent.") var all = false

        func validate() throws {
            let chosen = [self.id != nil, self.team != nil, self.all].filter { $0 }.count
            guard chosen == 1 else { throw ValidationError("Name one agent, or use --team TEAM or --all.") }
        }
    }

    struct Suspend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Suspend an agent, a team's agents, or every agent (the kill switch).",
            discussion:
                "Takes effect on every instance within agents.sync_interval_ms: the agents' requests are refused with 403 "
                + "agent_suspended, and those in flight are cancelled."
        )

        @OptionGroup var connection: Keys.Connection
        @OptionGroup var target: Target
        @Option(help: "Why (shown in refusals).") var reason: String?

        func run() async throws {
            var body: [String: Any] = [:]
            if let reason { body["reason"] = reason }
            if let id = self.target.id {
                let agent = try await self.connection.call(
                    .POST,
                    "/admin/v1/agents/\(TenancyTable.escape(id))/suspend",
                    body: body
                )
                print("Suspended agent \((agent as? [String: Any])?["id"] as? String ?? id).")
            } else {
                if let team = self.target.team { body["team"] = team }
                _ = try await self.connection.call(.POST, "/admin/v1/agent-holds", body: body)
                print(self.target.team.map { "Suspended every agent of team \($0)." } ?? "Suspended every agent.")
            }
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resume an agent, or lift the suspension of a team's agents or of every agent.",
            discussion: "Lifting a team's or every agent's suspension leaves agents suspended one by one as they are."
        )

        @OptionGroup var connection: Keys.Connection
        @OptionGroup var target: Target

        func run() async throws {
            if let id = self.target.id {
                _ = try await self.connection.call(
                    .POST,
                    "/admin/v1/agents/\(TenancyTable.escape(id))/resume",
                    body: [:]
                )
                print("Resumed agent \(id).")
            } else {
                let query = self.target.team.map { "?team=\(TenancyTable.escape($0))" } ?? ""
                _ = try await self.connection.call(.DELETE, "/admin/v1/agent-holds" + query)
                print(
                    self.target.team.map { "Lifted the suspension of team \($0)'s agents." }
                        ?? "Lifted the suspension of every agent."
                )
            }
        }
    }

    struct Tools: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the MCP tool definitions an agent pinned, and those changed since (awaiting approval)."
        )

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Agent id.") var id: String

        func run() async throws {
            let listed =
                try await self.connection.call(.GET, "/admin/v1/agents/\(TenancyTable.escape(self.id))/tools")
                as? [String: Any]
            let rows = (listed?["data"] as? [[String: Any]] ?? []).map { pin -> [String: Any] in
                var row = pin
                row["sha256"] = (pin["sha256"] as? String).map { String($0.prefix(12)) } ?? ""
                row["pending_sha256"] = (pin["pending_sha256"] as? String).map { String($0.prefix(12)) } ?? ""
                return row
            }
            TenancyTable.print(rows, columns: ["server", "tool", "state", "sha256", "pending_sha256", "changed_at"])
        }
    }

    struct ApproveTool: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "approve-tool",
            abstract: "Approve the changed definition of an agent's MCP tool: the agent sees and may call it again."
        )

        @OptionGroup var connection: Keys.Connection
        @Argument(help: "Agent id.") var id: String
        @Option(help: "The MCP server (its name in mcp.servers).") var server: String
        @Option(help: "The tool.") var tool: String

        func run() async throws {
            _ = try await self.connection.call(
                .POST,
                "/admin/v1/agents/\(TenancyTable.escape(self.id))/tools/approve",
                body: ["server": self.server, "tool": self.tool]
            )
            print("Approved the new definition of \(self.server)/\(self.tool) for agent \(self.id).")
        }
    }
}
