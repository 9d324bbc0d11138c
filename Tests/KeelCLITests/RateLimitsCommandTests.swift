import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// `keel rate-limits` against a real gateway process.
@Suite("keel rate-limits", .serialized)
struct RateLimitsCommandTests {
    @Test func createsListsUpdatesAndDeletesRulesThroughTheAdminAPI() async throws {
        let directory = try KeelProcessTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try KeelProcessTests.freePort()
        let config = directory.appendingPathComponent("keel.yaml")
        try """
            server: { port: \(port) }
            storage: { url: "sqlite://\(directory.path)/keel.sqlite" }
            admin_key: sk-keel-admin-cli-test-0123456789
            providers: [ { name: sim, kind: simulator } ]
            models:
              - { name: keel-sim-chat, routes: [ { provider: sim, model: keel-sim-chat } ] }
            keys:
              - { key: sk-keel-app-cli-test-0123456789, team: search }
            rate_limits:
              - { id: chat-guard, model: keel-sim-chat, rpm: 1000 }
            """.write(to: config, atomically: true, encoding: .utf8)
        #expect(try KeelProcessTests.run(["config", "check", config.path]).status == 0)
        let server = Process()
        server.executableURL = try #require(KeelProcessTests.binary)
        server.arguments = ["serve", "--config", config.path]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { server.terminate() } }
        let admin = ["KEEL_URL": "http://127.0.0.1:\(port)", "KEEL_ADMIN_KEY": "sk-keel-admin-cli-test-0123456789"]
        var listed = KeelProcessTests.Run(status: 1, output: "")
        for _ in 0..<300 where listed.status != 0 {
            listed = (try? KeelProcessTests.run(["rate-limits", "list"], environment: admin)) ?? listed
            if listed.status != 0 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(listed.status == 0)
        #expect(listed.output.contains("chat-guard") && listed.output.contains("config"), "\(listed.output)")

        let created = try KeelProcessTests.run(
            ["rate-limits", "create", "--id", "search-rpm", "--team", "search", "--rpm", "1", "--window-seconds", "3600"],
            environment: admin)
        #expect(created.status == 0, "\(created.output)")
        #expect(created.output.contains("search-rpm\t-\tsearch\t-\t1\t-\t-\t3600\tapi"), "\(created.output)")

        func chat() throws -> String {
            try KeelProcessTests.shell(
                "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:\(port)/v1/chat/completions "
                    + "-H 'authorization: Bearer sk-keel-app-cli-test-0123456789' -H 'content-type: application/json' "
                    + "-d '{\"model\":\"keel-sim-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'")
        }
        // The window is an hour: both calls fall into one unless the hour turns between them.
        let first = try chat()
        let second = try chat()
        #expect(first == "200")
        #expect(second == "429" || Calendar.current.component(.minute, from: Date()) == 0)

        let updated = try KeelProcessTests.run(["rate-limits", "update", "search-rpm", "--rpm", "0", "--tpm", "5000"], environment: admin)
        #expect(updated.status == 0, "\(updated.output)")
        #expect(updated.output.contains("search-rpm\t-\tsearch\t-\t-\t5000"), "\(updated.output)")

        let refused = try KeelProcessTests.run(["rate-limits", "delete", "chat-guard"], environment: admin)
        #expect(refused.status != 0 && refused.output.contains("configuration file"), "\(refused.output)")
        let deleted = try KeelProcessTests.run(["rate-limits", "delete", "search-rpm"], environment: admin)
        #expect(deleted.status == 0)
        let after = try KeelProcessTests.run(["rate-limits", "list", "--team", "search"], environment: admin)
        #expect(!after.output.contains("search-rpm"))

        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()
    }
}
