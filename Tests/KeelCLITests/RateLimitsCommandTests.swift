import Foundation
import Testing

/// `keel rate-limits` against a real gateway process.
@Suite("keel rate-limits", .serialized)
struct RateLimitsCommandTests {
    @Test func createsListsUpdatesAndDeletesRulesThroughTheAdminAPI() async throws {
        try await GatewayProcess.run(extra: """
                keys:
                  - { key: sk-keel-app-cli-test-0123456789, team: search }
                rate_limits:
                  - { id: chat-guard, model: keel-sim-chat, rpm: 1000 }
                """, ready: ["rate-limits", "list"]) { gateway in
            let port = gateway.port
            let admin = gateway.admin
            let listed = try await KeelProcessTests.run(["rate-limits", "list"], environment: admin)
            #expect(listed.status == 0)
            #expect(listed.output.contains("chat-guard") && listed.output.contains("config"), "\(listed.output)")

            let created = try await KeelProcessTests.run(
                ["rate-limits", "create", "--id", "search-rpm", "--team", "search", "--rpm", "1", "--window-seconds", "3600"],
                environment: admin)
            #expect(created.status == 0, "\(created.output)")
            #expect(created.output.contains("search-rpm\t-\tsearch\t-\t1\t-\t-\t3600\tapi"), "\(created.output)")

            func chat() async throws -> String {
                try await KeelProcessTests.shell(
                    "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:\(port)/v1/chat/completions "
                        + "-H 'authorization: Bearer sk-keel-app-cli-test-0123456789' -H 'content-type: application/json' "
                        + "-d '{\"model\":\"keel-sim-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'")
            }
            // The window is an hour: both calls fall into one unless the hour turns between them.
            let first = try await chat()
            let second = try await chat()
            #expect(first == "200")
            #expect(second == "429" || Calendar.current.component(.minute, from: Date()) == 0)

            let updated = try await KeelProcessTests.run(["rate-limits", "update", "search-rpm", "--rpm", "0", "--tpm", "5000"], environment: admin)
            #expect(updated.status == 0, "\(updated.output)")
            #expect(updated.output.contains("search-rpm\t-\tsearch\t-\t-\t5000"), "\(updated.output)")

            let refused = try await KeelProcessTests.run(["rate-limits", "delete", "chat-guard"], environment: admin)
            #expect(refused.status != 0 && refused.output.contains("configuration file"), "\(refused.output)")
            let deleted = try await KeelProcessTests.run(["rate-limits", "delete", "search-rpm"], environment: admin)
            #expect(deleted.status == 0)
            let after = try await KeelProcessTests.run(["rate-limits", "list", "--team", "search"], environment: admin)
            #expect(!after.output.contains("search-rpm"))
        }
    }
}
