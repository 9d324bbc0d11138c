import Foundation
import Testing

/// `keel policies` against a real gateway process.
@Suite("keel policies", .serialized)
struct PoliciesCommandTests {
    @Test func appliesListsProbesAndDeletesPoliciesThroughTheAdminAPI() async throws {
        try await GatewayProcess.run(
            extra: """
                keys:
                  - { key: sk-keel-app-cli-test-0123456789, team: search }
                policies:
                  - { id: from-file, scope: { team: ads }, models: { deny: ["keel-sim-embed"] } }
                """,
            ready: ["policies", "list"]
        ) { gateway in
            let port = gateway.port
            let admin = gateway.admin
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "keel-policies-\(UUID().uuidString)"
            )
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("policies.yaml")
            try """
            - id: search-no-chat
              name: Search may not chat
              scope: { team: search }
              models: { deny: [keel-sim-chat] }
            - id: search-secrets
              scope: { team: search }
              secrets: { action: block }
            """.write(to: file, atomically: true, encoding: .utf8)

            let applied = try await KeelProcessTests.run(
                ["policies", "apply", "--file", file.path],
                environment: admin
            )
            #expect(applied.status == 0, "\(applied.output)")
            #expect(applied.output.contains("search-no-chat\tcreated\tteam=search"), "\(applied.output)")
            #expect(applied.output.contains("search-secrets\tcreated\tteam=search"), "\(applied.output)")

            func chat() async throws -> String {
                try await KeelProcessTests.shell(
                    "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:\(port)/v1/chat/completions "
                        + "-H 'authorization: Bearer sk-keel-app-cli-test-0123456789' -H 'content-type: application/json' "
                        + "-d '{\"model\":\"keel-sim-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'"
                )
            }
            #expect(try await chat() == "403")

            // Applying again replaces: the model rule goes, the request passes.
            try """
            { "id": "search-no-chat", "scope": { "team": "search" }, "models": { "deny": ["keel-sim-embed"] } }
            """.write(to: file, atomically: true, encoding: .utf8)
            let replaced = try await KeelProcessTests.run(["policies", "apply", "-f", file.path], environment: admin)
            #expect(replaced.output.contains("search-no-chat\treplaced"), "\(replaced.output)")
            #expect(try await chat() == "200")

            let listed = try await KeelProcessTests.run(["policies", "list"], environment: admin)
            #expect(listed.output.contains("from-file\tconfig\t-\tteam=ads\tmodels"), "\(listed.output)")
            #expect(listed.output.contains("search-secrets\tapi\t-\tteam=search\tsecrets"), "\(listed.output)")
            let shown = try await KeelProcessTests.run(["policies", "get", "search-secrets"], environment: admin)
            #expect(shown.output.contains(#""action" : "block""#), "\(shown.output)")

            let probed = try await KeelProcessTests.run(["policies", "probe"], environment: admin)
            #expect(probed.status == 0, "\(probed.output)")
            #expect(probed.output.contains("search-secrets\tsecrets.block\tpass"), "\(probed.output)")
            #expect(probed.output.contains("from-file\tmodels.deny\tpass"), "\(probed.output)")

            try "{ pii: { action: shred } }".write(to: file, atomically: true, encoding: .utf8)
            let bad = try await KeelProcessTests.run(["policies", "apply", "-f", file.path], environment: admin)
            #expect(bad.status != 0 && bad.output.contains("pii.action"), "\(bad.output)")
            let refused = try await KeelProcessTests.run(["policies", "delete", "from-file"], environment: admin)
            #expect(refused.status != 0 && refused.output.contains("configuration file"), "\(refused.output)")
            #expect(
                try await KeelProcessTests.run(["policies", "delete", "search-secrets"], environment: admin).status == 0
            )
            #expect(
                try await !KeelProcessTests.run(["policies", "list"], environment: admin).output.contains(
                    "search-secrets"
                )
            )
        }
    }
}
