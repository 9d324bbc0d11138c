import Foundation
#if canImport(Glibc)
import Glibc
#endif
import KeelTesting
import Testing

/// A `keel serve` process for the CLI tests, in a fresh directory: port, an SQLite file, the
/// admin key and the built-in simulator serving `keel-sim-chat`, plus the test's own YAML.
struct GatewayProcess {
    static let adminKey = "sk-keel-admin-cli-test-0123456789"

    let port: Int
    let directory: URL
    /// `KEEL_URL` and `KEEL_ADMIN_KEY` for CLI commands that talk to this gateway.
    let admin: [String: String]

    /// Writes the configuration (checked with `keel config check`), starts the gateway, waits
    /// until `ready` (a CLI command) succeeds, runs `body`, then stops the gateway with SIGTERM.
    static func run(extra: String = "", ready: [String], _ body: (GatewayProcess) async throws -> Void) async throws {
        let directory = try KeelProcessTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try KeelProcessTests.freePort()
        let config = directory.appendingPathComponent("keel.yaml")
        try """
            server: { port: \(port) }
            storage: { url: "sqlite://\(directory.path)/keel.sqlite" }
            admin_key: \(Self.adminKey)
            providers: [ { name: sim, kind: simulator } ]
            models:
              - { name: keel-sim-chat, routes: [ { provider: sim, model: keel-sim-chat } ] }
            \(extra)
            """.write(to: config, atomically: true, encoding: .utf8)
        let checked = try await KeelProcessTests.run(["config", "check", config.path])
        #expect(checked.status == 0, "\(checked.output)")
        let keel = try #require(KeelProcessTests.binary)
        let server = try ChildProcess.spawn(keel.path, ["serve", "--config", config.path])
        defer { server.signal(SIGKILL) }
        let gateway = GatewayProcess(
            port: port,
            directory: directory,
            admin: ["KEEL_URL": "http://127.0.0.1:\(port)", "KEEL_ADMIN_KEY": Self.adminKey]
        )
        var answered = KeelProcessTests.Run(status: 1, output: "")
        for _ in 0..<300 where answered.status != 0 {
            answered = (try? await KeelProcessTests.run(ready, environment: gateway.admin)) ?? answered
            if answered.status != 0 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(answered.status == 0, "the gateway never answered \(ready): \(answered.output)")
        try await body(gateway)
        server.signal(SIGTERM)
        _ = await server.wait()
    }
}
