import Foundation
import Testing

/// `keel budgets` against a real gateway process.
@Suite("keel budgets", .serialized)
struct BudgetsCommandTests {
    @Test func createsListsShowsUpdatesAndDeletesBudgetsThatTheGatewayEnforces() async throws {
        try await GatewayProcess.run(extra: """
                keys:
                  - { key: sk-keel-app-cli-test-0123456789, team: search }
                budgets: { flush_interval_ms: 50 }
                """, ready: ["budgets", "list"]) { gateway in
            let port = gateway.port
            let admin = gateway.admin
            #expect(try await KeelProcessTests.run(["orgs", "create", "--name", "Acme", "--id", "acme"], environment: admin).status == 0)
            #expect(try await KeelProcessTests.run(["teams", "create", "--org", "acme", "--name", "Search", "--id", "search"], environment: admin).status == 0)

            let created = try await KeelProcessTests.run(
                [
                    "budgets", "create", "--id", "search-daily", "--name", "search daily", "--scope", "team", "--scope-id", "search",
                    "--period", "daily", "--time-zone", "Europe/Berlin", "--limit-usd", "1", "--soft-limit-usd", "0.5",
                ],
                environment: admin)
            #expect(created.status == 0, "\(created.output)")
            #expect(created.output.contains("search-daily\tsearch daily\tteam\tsearch\tdaily"), "\(created.output)")

            func chat() async throws -> String {
                try await KeelProcessTests.shell(
                    "curl -s -w ' %{http_code}' http://127.0.0.1:\(port)/v1/chat/completions "
                        + "-H 'authorization: Bearer sk-keel-app-cli-test-0123456789' -H 'content-type: application/json' "
                        + "-d '{\"model\":\"keel-sim-chat\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'")
            }
            #expect(try await chat().hasSuffix(" 200"))
            // The spend reaches the ledger within a flush interval.
            var shown = ""
            for _ in 0..<100 {
                shown = try await KeelProcessTests.run(["budgets", "get", "search-daily"], environment: admin).output
                if !shown.contains(#""spent_usd" : "0.000000000""#) { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(shown.contains(#""period" : "daily""#) && shown.contains(#""time_zone" : "Europe\/Berlin""#), "\(shown)")
            #expect(!shown.contains(#""spent_usd" : "0.000000000""#), "\(shown)")

            // Lowered below one request's worst case: the next request is refused, naming the budget.
            let updated = try await KeelProcessTests.run(["budgets", "update", "search-daily", "--limit-usd", "0.00001", "--soft-limit-usd", ""], environment: admin)
            #expect(updated.status == 0, "\(updated.output)")
            let refused = try await chat()
            #expect(refused.hasSuffix(" 429") && refused.contains("budget_exceeded") && refused.contains("search-daily"), "\(refused)")

            let deleted = try await KeelProcessTests.run(["budgets", "delete", "search-daily"], environment: admin)
            #expect(deleted.status == 0)
            #expect(try await chat().hasSuffix(" 200"))
            #expect(!(try await KeelProcessTests.run(["budgets", "list"], environment: admin).output.contains("search-daily")))
        }
    }
}
