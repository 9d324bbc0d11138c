import Foundation
import Testing

/// `keel agents` against a real gateway process.
@Suite("keel agents", .serialized)
struct AgentsCommandTests {
    @Test func createsListsSuspendsResumesAndDeletesAgentsThroughTheAdminAPI() async throws {
        try await GatewayProcess.run(
            extra: """
                keys:
                  - { key: sk-keel-agent-cli-test-0123456789, agent: cli-bot }
                """,
            ready: ["agents", "list"]
        ) { gateway in
            let port = gateway.port
            let admin = gateway.admin
            func chat() async throws -> String {
                try await KeelProcessTests.shell(
                    "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:\(port)/v1/chat/completions "
                        + "-H 'authorization: Bearer sk-keel-agent-cli-test-0123456789' -H 'content-type: application/json' "
                        + "-d '{\"model\":\"keel-sim-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'"
                )
            }

            let created = try await KeelProcessTests.run(
                ["agents", "create", "cli-bot", "--name", "CLI bot", "--version", "2.0", "--models", "keel-sim-chat"],
                environment: admin
            )
            #expect(created.status == 0, "\(created.output)")
            #expect(created.output.contains(#""version" : "2.0""#), "\(created.output)")
            #expect(try await chat() == "200")
            let narrowed = try await KeelProcessTests.run(
                ["agents", "update", "cli-bot", "--models", "gpt-*"],
                environment: admin
            )
            #expect(narrowed.status == 0, "\(narrowed.output)")
            #expect(try await chat() == "403", "outside the agent's models")
            #expect(
                try await KeelProcessTests.run(
                    ["agents", "update", "cli-bot", "--models", "keel-sim-chat"],
                    environment: admin
                ).status == 0
            )

            let listed = try await KeelProcessTests.run(["agents", "list"], environment: admin)
            #expect(listed.output.contains("cli-bot\tCLI bot\t-\t2.0\tactive\tkeel-sim-chat\t*"), "\(listed.output)")

            let suspended = try await KeelProcessTests.run(
                ["agents", "suspend", "cli-bot", "--reason", "drill"],
                environment: admin
            )
            #expect(
                suspended.status == 0 && suspended.output.contains("Suspended agent cli-bot."),
                "\(suspended.output)"
            )
            #expect(try await chat() == "403")
            #expect(try await KeelProcessTests.run(["agents", "resume", "cli-bot"], environment: admin).status == 0)
            #expect(try await chat() == "200")

            let all = try await KeelProcessTests.run(
                ["agents", "suspend", "--all", "--reason", "fleet drill"],
                environment: admin
            )
            #expect(all.output.contains("Suspended every agent."), "\(all.output)")
            #expect(try await chat() == "403")
            let holds = try await KeelProcessTests.run(["agents", "list"], environment: admin)
            #expect(holds.output.contains("*\t-\tfleet drill"), "\(holds.output)")
            #expect(try await KeelProcessTests.run(["agents", "resume", "--all"], environment: admin).status == 0)
            #expect(try await chat() == "200")

            let ambiguous = try await KeelProcessTests.run(
                ["agents", "suspend", "cli-bot", "--all"],
                environment: admin
            )
            #expect(ambiguous.status != 0)

            let shown = try await KeelProcessTests.run(["agents", "show", "cli-bot"], environment: admin)
            #expect(shown.output.contains(#""versions""#), "\(shown.output)")
            // An agent's question, reviewed from the command line.
            let agentCurl =
                "curl -s http://127.0.0.1:\(port)/v1/tasks -H 'authorization: Bearer sk-keel-agent-cli-test-0123456789' "
                + "-H 'content-type: application/json'"
            _ = try await KeelProcessTests.shell(agentCurl + " -d '{\"agent\":\"cli-bot\",\"id\":\"cli-task\"}'")
            let asked = try await KeelProcessTests.shell(
                agentCurl.replacingOccurrences(of: "/v1/tasks", with: "/v1/tasks/cli-task/escalations")
                    + " -d '{\"question\":\"May I send the newsletter?\"}'"
            )
            let escalation = try #require(
                (try JSONSerialization.jsonObject(with: Data(asked.utf8)) as? [String: Any])?["id"] as? String,
                "\(asked)"
            )
            let pending = try await KeelProcessTests.run(["escalations", "list"], environment: admin)
            #expect(
                pending.output.contains(escalation) && pending.output.contains("May I send the newsletter?"),
                "\(pending.output)"
            )
            let yes = try await KeelProcessTests.run(
                ["escalations", "approve", escalation, "--reason", "go"],
                environment: admin
            )
            #expect(yes.status == 0 && yes.output.contains("Approved \(escalation)."), "\(yes.output)")
            let decided = try await KeelProcessTests.run(["escalations", "show", escalation], environment: admin)
            #expect(decided.output.contains(#""state" : "approved""#), "\(decided.output)")
            let again = try await KeelProcessTests.run(
                ["escalations", "deny", escalation, "--reason", "late"],
                environment: admin
            )
            #expect(again.status != 0 && again.output.contains("approved already"), "\(again.output)")

            // No MCP tool pinned yet: an empty table, and nothing to approve.
            let tools = try await KeelProcessTests.run(["agents", "tools", "cli-bot"], environment: admin)
            #expect(tools.status == 0 && tools.output.contains("SERVER\tTOOL\tSTATE"), "\(tools.output)")
            let approve = try await KeelProcessTests.run(
                ["agents", "approve-tool", "cli-bot", "--server", "github", "--tool", "create_issue"],
                environment: admin
            )
            #expect(
                approve.status != 0 && approve.output.contains("no changed definition awaiting approval"),
                "\(approve.output)"
            )
            #expect(try await KeelProcessTests.run(["agents", "delete", "cli-bot"], environment: admin).status == 0)
            #expect(try await KeelProcessTests.run(["agents", "show", "cli-bot"], environment: admin).status != 0)
        }
    }

    @Test func tasksAreListedWatchedExtendedAndCancelled() async throws {
        try await GatewayProcess.run(
            extra: """
                keys:
                  - { key: sk-keel-task-cli-test-0123456789, agent: cli-worker }
                """,
            ready: ["tasks", "list"]
        ) { gateway in
            let port = gateway.port
            let admin = gateway.admin
            func call(_ task: String) async throws -> String {
                try await KeelProcessTests.shell(
                    "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:\(port)/v1/chat/completions "
                        + "-H 'authorization: Bearer sk-keel-task-cli-test-0123456789' -H 'content-type: application/json' "
                        + "-H 'x-keel-task: \(task)' "
                        + "-d '{\"model\":\"keel-sim-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'"
                )
            }
            let created = try await KeelProcessTests.run(
                ["agents", "create", "cli-worker", "--task-budget-steps", "1", "--on-budget-exceeded", "pause"],
                environment: admin
            )
            #expect(created.status == 0, "\(created.output)")
            #expect(try await call("cli-task-1") == "200")
            #expect(try await call("cli-task-1") == "429", "one step per task")

            var listed = ""
            for _ in 0..<100 {
                listed = try await KeelProcessTests.run(["tasks", "list", "--agent", "cli-worker"], environment: admin)
                    .output
                if listed.contains("awaiting_approval") { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(listed.contains("cli-task-1\tcli-worker\tawaiting_approval\t"), "\(listed)")
            let watched = try await KeelProcessTests.run(["tasks", "watch", "--count", "1"], environment: admin)
            #expect(watched.output.contains("keel tasks — 1 shown: awaiting_approval 1"), "\(watched.output)")

            let extended = try await KeelProcessTests.run(
                ["tasks", "extend", "cli-task-1", "--steps", "5"],
                environment: admin
            )
            #expect(extended.output.contains("Task cli-task-1 is running."), "\(extended.output)")
            #expect(try await call("cli-task-1") == "200")
            let shown = try await KeelProcessTests.run(["tasks", "show", "cli-task-1"], environment: admin)
            #expect(shown.output.contains(#""steps" : 5"#), "\(shown.output)")

            #expect(
                try await KeelProcessTests.run(
                    ["tasks", "cancel", "cli-task-1", "--reason", "done"],
                    environment: admin
                ).status == 0
            )
            #expect(try await call("cli-task-1") == "409")
        }
    }
}
