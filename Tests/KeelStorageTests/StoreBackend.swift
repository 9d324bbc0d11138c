import Foundation
import KeelStorage
import KeelStorageSQLite
import Logging
import PostgresNIO
import Testing

@testable import KeelStoragePostgres

/// The storage backends the conformance suites run on.
///
/// SQLite always runs. PostgreSQL runs where `KEEL_TEST_POSTGRES_URL` names a database the tests
/// may create schemas in (`postgres://user@127.0.0.1:5432/keel_test`); `.ci/run` starts a
/// throw-away server and sets it, so CI runs every conformance test on both.
enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { self.rawValue }

    /// The backends this run can reach.
    static var enabled: [StoreBackend] {
        allCases.filter { $0 != .postgres || PostgresTestDatabase.url != nil }
    }

    /// Runs `body` with the stores of a fresh, empty, migrated database, and removes the database
    /// afterwards, whether `body` returns or throws.
    func withStores<Result>(_ body: (KeelStores) async throws -> Result) async throws -> Result {
        switch self {
        case .sqlite:
            return try await withTemporaryDirectory { directory in
                let backend = try await SQLiteBackend.open(path: directory + "/keel.sqlite", logger: .quiet)
                defer { try? backend.close() }
                return try await body(backend.stores)
            }
        case .postgres:
            return try await PostgresTestDatabase.withSchema { schema in
                let backend = try await PostgresTestDatabase.open(schema: schema)
                do {
                    let result = try await body(backend.stores)
                    await backend.shutdown()
                    return result
                } catch {
                    await backend.shutdown()
                    throw error
                }
            }
        }
    }
}

extension StoreBackend {
    /// Runs `body` with the stores of two backends opened on one fresh database, as two gateway
    /// instances sharing it.
    func withTwoInstances<Result>(_ body: (KeelStores, KeelStores) async throws -> Result) async throws -> Result {
        switch self {
        case .sqlite:
            return try await withTemporaryDirectory { directory in
                // Two writers of one file wait for each other's transactions: on a loaded machine
                // longer than the default busy timeout.
                let patient = SQLiteBackend.Configuration(busyTimeout: .seconds(60))
                let first = try await SQLiteBackend.open(path: directory + "/keel.sqlite", configuration: patient, logger: .quiet)
                defer { try? first.close() }
                let second = try await SQLiteBackend.open(path: directory + "/keel.sqlite", configuration: patient, logger: .quiet)
                defer { try? second.close() }
                return try await body(first.stores, second.stores)
            }
        case .postgres:
            return try await PostgresTestDatabase.withSchema { schema in
                let first = try await PostgresTestDatabase.open(schema: schema)
                let second = try await PostgresTestDatabase.open(schema: schema)
                do {
                    let result = try await body(first.stores, second.stores)
                    await first.shutdown()
                    await second.shutdown()
                    return result
                } catch {
                    await first.shutdown()
                    await second.shutdown()
                    throw error
                }
            }
        }
    }
}

/// A PostgreSQL schema of its own for each test, in the database of `KEEL_TEST_POSTGRES_URL`, so
/// that tests run in parallel on one server and leave nothing behind.
enum PostgresTestDatabase {
    /// The database the tests use, or `nil` when PostgreSQL tests are off.
    static var url: String? {
        ProcessInfo.processInfo.environment["KEEL_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Runs `body` with the name of a new, unused schema (not created: the backend creates it
    /// when it migrates), and drops the schema afterwards, whether `body` returns or throws.
    static func withSchema<Result>(_ body: (String) async throws -> Result) async throws -> Result {
        let schema = "keel_test_" + UUID().uuidString.lowercased().replacing("-", with: "")
        do {
            let result = try await body(schema)
            try await Self.dropSchema(schema)
            return result
        } catch {
            try? await Self.dropSchema(schema)
            throw error
        }
    }

    /// Opens a backend whose tables live in `schema`.
    static func open(schema: String) async throws -> PostgresBackend {
        let url = try #require(Self.url, "KEEL_TEST_POSTGRES_URL is not set")
        return try await PostgresBackend.open(
            url: url,
            configuration: .init(maximumConnections: 4, schema: schema),
            logger: .quiet
        )
    }

    /// Runs `body` with a client connected to the test database, whose `search_path` is `schema`
    /// when given.
    @discardableResult
    static func withClient<Result: Sendable>(
        schema: String? = nil,
        _ body: (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let url = try #require(Self.url, "KEEL_TEST_POSTGRES_URL is not set")
        let location = try PostgresURL(parsing: url)
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: .disable)
        configuration.options.maximumConnections = 2
        if let schema {
            configuration.options.additionalStartupParameters = [
                ("search_path", PostgresBackend.quotedIdentifier(schema))
            ]
        }
        let client = PostgresClient(configuration: configuration)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    private static func dropSchema(_ schema: String) async throws {
        try await Self.withClient { client in
            _ = try await client.query(
                PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(PostgresBackend.quotedIdentifier(schema)) CASCADE"))
        }
    }
}

/// Runs `body` with the path of a new, empty directory, and removes the directory afterwards.
func withTemporaryDirectory<Result>(_ body: (String) async throws -> Result) async throws -> Result {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("keel-storage-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory.path)
}

extension Logger {
    /// A logger that drops everything: the tests assert on stored data, not on log lines.
    static let quiet = Logger(label: "keel.storage.tests", factory: { _ in SwiftLogNoOpLogHandler() })
}
