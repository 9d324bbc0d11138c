import Foundation
import KeelTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A `keel serve` process for the CLI tests, in a fresh directory: port, an SQLite file, the
/// admin key and the built-in simulator serving `keel-sim-chat`, plus the test's own YAML.
struct GatewayProcess {
    static let adminKey = "sk-keel-admin-cli-test-0123456789"

    let port: Int
    let directory: URL
    /// `KEEL_URL` and `KEEL_ADMIN_KEY` for CLI commands that talk to this gateway.
    let admin: [String: String]

    /// A started `keel serve`, the port it listens on and the lines it printed when it started.
    struct Started {
        let server: ChildProcess
        let port: Int
        let printed: String
    }

    struct StartFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts `keel serve --config config` and waits for the lines it prints once it listens. The
    /// configuration gives port 0 and the gateway reports the port the system chose: a port picked
    /// free beforehand can be taken by another test's connection before the gateway binds it. The
    /// gateway's log goes to `log`, which a failure shows. `environment` is added to the test
    /// process's own.
    static func start(config: URL, log: URL, environment: [String: String] = [:]) async throws -> Started {
        let keel = try #require(KeelProcessTests.binary)
        let server = try ChildProcess.spawn(
            keel.path,
            ["serve", "--config", config.path],
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
            standardOutput: .capture,
            standardError: .file(log.path)
        )
        var printed = ""
        while !printed.contains("Try:") || !printed.contains("curl") {
            guard let chunk = await server.readOutput() else {
                let termination = await server.wait()
                let logged = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                let description = "keel serve \(termination) before it listened:\n\(printed)\n\(logged.suffix(2_000))"
                throw StartFailure(description: description)
            }
            printed += String(decoding: chunk, as: UTF8.self)
        }
        let listening = try #require(printed.split(separator: "\n").first { $0.hasPrefix("Keel listening on http://") })
        let address = try #require(listening.split(separator: " ").dropFirst(3).first)
        let port = try #require(address.split(separator: ":").last.flatMap { Int($0) })
        return Started(server: server, port: port, printed: printed)
    }

    /// Writes `keel.yaml` in `directory`: port 0, an SQLite file beside it, the admin key and the
    /// built-in simulator serving `keel-sim-chat`, then `extra`.
    static func writeConfig(
        in directory: URL,
        extra: String = "",
        upstreams: String = Self.simulatorUpstreams
    ) throws
        -> URL
    {
        let config = directory.appendingPathComponent("keel.yaml")
        try """
        server: { port: 0 }
        storage: { url: "sqlite://\(directory.path)/keel.sqlite" }
        admin_key: \(Self.adminKey)
        \(upstreams)
        \(extra)
        """.write(to: config, atomically: true, encoding: .utf8)
        return config
    }

    /// The built-in simulator serving `keel-sim-chat`.
    static let simulatorUpstreams = """
        providers: [ { name: sim, kind: simulator } ]
        models:
          - { name: keel-sim-chat, routes: [ { provider: sim, model: keel-sim-chat } ] }
        """

    /// Writes the configuration (checked with `keel config check`), starts the gateway, waits
    /// until `ready` (a CLI command) succeeds, runs `body`, then stops the gateway with SIGTERM.
    static func run(
        extra: String = "",
        upstreams: String = Self.simulatorUpstreams,
        ready: [String],
        _ body: (GatewayProcess) async throws -> Void
    ) async throws {
        let directory = try KeelProcessTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try Self.writeConfig(in: directory, extra: extra, upstreams: upstreams)
        let checked = try await KeelProcessTests.run(["config", "check", config.path])
        #expect(checked.status == 0, "\(checked.output)")
        let started = try await Self.start(config: config, log: directory.appendingPathComponent("keel.log"))
        let server = started.server
        defer { server.signal(SIGKILL) }
        let gateway = GatewayProcess(
            port: started.port,
            directory: directory,
            admin: ["KEEL_URL": "http://127.0.0.1:\(started.port)", "KEEL_ADMIN_KEY": Self.adminKey]
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
