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
            #expect(try await KeelProcessTests.run(["agents", "delete", "cli-bot"], environment: admin).status == 0)
            #expect(try await KeelProcessTests.run(["agents", "show", "cli-bot"], environment: admin).status != 0)
        }
    }
}
