import AsyncHTTPClient
import Foundation
public import KeelCore
public import KeelServer
public import KeelSimulator
public import KeelStorage
import KeelStoragePostgres
import KeelStorageSQLite
import Logging

/// Runs a real gateway for a test: a `KeelSimulator` upstream on a loopback port, `keel serve`'s
/// application in front of it on another, and a temporary SQLite file, all torn down afterwards.
///
/// ```swift
/// try await TestKeel.run { keel in
///     let response = try await keel.post("/v1/chat/completions", json: #"{"model":"keel-sim-chat","messages":[…]}"#)
///     #expect(response.status == 200)
/// }
/// ```
public enum TestKeel {
    /// The PostgreSQL server of the end-to-end Postgres tests (`.ci/run` starts one and sets it);
    /// `nil` skips them.
    public static var postgresURL: String? {
        ProcessInfo.processInfo.environment["KEEL_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A fresh schema name, so tests sharing one Postgres database never see each other's rows.
    public static func uniquePostgresSchema() -> String {
        "keel_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
    }

    /// The admin key of every test gateway (also accepted as a client key).
    public static let adminKey = "sk-test-admin-0123456789abcdef"

    /// Builds the default test configuration: provider `sim` (the simulator upstream in the OpenAI
    /// dialect) with its chat, embedding and reasoning models; and the same simulator reached in
    /// every other upstream dialect — providers `sim-anthropic`, `sim-gemini`, `sim-bedrock` and
    /// `sim-azure`, each serving `keel-sim-chat` under the client-facing names in
    /// ``dialectModels`` (`via-openai`, `via-anthropic`, …), and `keel-sim-embed` through Gemini
    /// as `via-gemini-embed`.
    public static func configuration(simulatorPort: Int, databasePath: String) -> KeelConfiguration {
        var configuration = KeelConfiguration()
        configuration.server.port = 0
        configuration.storage.url = "sqlite://" + databasePath
        configuration.adminKey = Secret(Self.adminKey)
        configuration.router.backoffMs = 1
        configuration.router.maxBackoffMs = 5
        configuration.providers = [
            .init(name: "sim", kind: .openai, baseURL: "http://127.0.0.1:\(simulatorPort)/v1", apiKey: Secret("sk-upstream-secret-000"))
        ]
        let base = "http://127.0.0.1:\(simulatorPort)"
        configuration.providers += [
            .init(name: "sim-anthropic", kind: .anthropic, baseURL: base, apiKey: Secret("sk-ant-upstream-secret-000")),
            .init(name: "sim-gemini", kind: .gemini, baseURL: base, apiKey: Secret("gemini-upstream-secret-000")),
            .init(name: "sim-azure", kind: .azure, baseURL: base, apiKey: Secret("azure-upstream-secret-000")),
        ]
        var bedrock = KeelConfiguration.Provider(name: "sim-bedrock", kind: .bedrock, baseURL: base)
        bedrock.region = "us-east-1"
        bedrock.awsAccessKeyID = "AKIDKEELTEST"
        bedrock.awsSecretAccessKey = Secret("keel-test-secret")
        configuration.providers.append(bedrock)
        configuration.models = [
            .init(name: "keel-sim-chat", routes: [.init(provider: "sim", model: "keel-sim-chat")]),
            .init(name: "keel-sim-embed", routes: [.init(provider: "sim", model: "keel-sim-embed")]),
            .init(name: "keel-sim-reasoning", routes: [.init(provider: "sim", model: "keel-sim-reasoning")]),
        ]
        for (model, provider) in Self.dialectModels {
            configuration.models.append(.init(name: model, routes: [.init(provider: provider, model: "keel-sim-chat")]))
        }
        configuration.models.append(.init(name: "via-gemini-embed", routes: [.init(provider: "sim-gemini", model: "keel-sim-embed")]))
        return configuration
    }

    /// Client-facing model names that reach the simulator's `keel-sim-chat` through each
    /// upstream dialect, and their providers.
    public static let dialectModels: [(model: String, provider: String)] = [
        ("via-openai", "sim"),
        ("via-anthropic", "sim-anthropic"),
        ("via-gemini", "sim-gemini"),
        ("via-bedrock", "sim-bedrock"),
        ("via-azure", "sim-azure"),
    ]

    /// Starts the simulator and the gateway, runs `body`, then shuts both down gracefully.
    ///
    /// - Parameters:
    ///   - simulator: the upstream's configuration (its port is chosen by the system).
    ///   - configure: changes to the gateway configuration before it starts.
    public static func run(
        simulator: SimulatorConfiguration = SimulatorConfiguration(),
        configure: @Sendable (inout KeelConfiguration) -> Void = { _ in },
        _ body: @Sendable (TestGateway) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let databasePath = directory.appendingPathComponent("keel.sqlite").path
        var logger = Logger(label: "keel.test")
        logger.logLevel = .warning

        var simulatorConfiguration = simulator
        simulatorConfiguration.host = "127.0.0.1"
        simulatorConfiguration.port = 0
        let upstream = KeelSimulator(configuration: simulatorConfiguration, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await upstream.run() }
            let simulatorPort = try await upstream.listeningPort()
            var configuration = Self.configuration(simulatorPort: simulatorPort, databasePath: databasePath)
            configure(&configuration)
            let app = KeelApp(configuration: configuration, environment: [:], logger: logger, handleSignals: false)
            tasks.addTask { try await app.run() }
            let port = try await app.listeningPort()
            let gateway = TestGateway(app: app, port: port, simulator: upstream, simulatorPort: simulatorPort, databasePath: databasePath)
            do {
                try await body(gateway)
            } catch {
                await app.triggerGracefulShutdown()
                tasks.cancelAll()
                throw error
            }
            await app.triggerGracefulShutdown()
            await gateway.waitUntilStopped()
            tasks.cancelAll()
        }
    }
}

/// A running test gateway and its simulator upstream.
public final class TestGateway: Sendable {
    public let app: KeelApp
    public let port: Int
    public let simulator: KeelSimulator
    public let simulatorPort: Int
    public let databasePath: String

    init(app: KeelApp, port: Int, simulator: KeelSimulator, simulatorPort: Int, databasePath: String) {
        self.app = app
        self.port = port
        self.simulator = simulator
        self.simulatorPort = simulatorPort
        self.databasePath = databasePath
    }

    public var baseURL: String { "http://127.0.0.1:\(self.port)" }

    /// Waits for `run()` of the app to return after a graceful shutdown was triggered.
    func waitUntilStopped() async {
        for _ in 0..<1_000 {
            if self.app.stopped { return }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Every stored request record, newest first. Call after `shutdown()` to see all of them.
    public func records() async throws -> [RequestRecord] {
        try await self.withStores { try await $0.requests.records(matching: RequestRecordQuery(limit: 1_000_000)) }
    }

    /// Runs `body` with the stores of the gateway's database, opened on their own.
    public func withStores<Result: Sendable>(_ body: (KeelStores) async throws -> Result) async throws -> Result {
        var logger = Logger(label: "keel.test.read")
        logger.logLevel = .warning
        let storage = self.app.configuration.storage
        if storage.isPostgres {
            let backend = try await PostgresBackend.open(url: storage.url, configuration: .init(maximumConnections: 1, schema: storage.schema), logger: logger)
            do {
                let result = try await body(backend.stores)
                await backend.shutdown()
                return result
            } catch {
                await backend.shutdown()
                throw error
            }
        }
        let backend = try await SQLiteBackend.open(path: storage.sqlitePath ?? self.databasePath, logger: logger)
        defer { try? backend.close() }
        return try await body(backend.stores)
    }

    /// Stops the gateway gracefully (as SIGTERM does) and waits until every record is written.
    public func shutdown() async {
        await self.app.triggerGracefulShutdown()
        await self.waitUntilStopped()
    }
}
