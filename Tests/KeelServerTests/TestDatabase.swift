import Foundation
import KeelStorage
import KeelStorageSQLite
import KeelTesting
import Logging
import PostgresNIO
import Testing

@testable import KeelStoragePostgres

/// A fresh, migrated database for tests that drive a server component against real stores:
/// a temporary SQLite file, or (where `KEEL_TEST_POSTGRES_URL` is set) a schema of its own in
/// the test PostgreSQL database. Either is removed afterwards.
enum TestDatabase: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { self.rawValue }

    /// The databases this run can reach.
    static var enabled: [TestDatabase] {
        allCases.filter { $0 != .postgres || TestKeel.postgresURL != nil }
    }

    static let quietLogger = Logger(label: "keel.test.database", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs `body` with the stores of a new, empty database, and removes it afterwards, whether
    /// `body` returns or throws.
    func withStores<Result>(_ body: (KeelStores) async throws -> Result) async throws -> Result {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-db-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let backend = try await SQLiteBackend.open(path: directory.appendingPathComponent("keel.sqlite").path, logger: Self.quietLogger)
            defer { try? backend.close() }
            return try await body(backend.stores)
        case .postgres:
            let url = try #require(TestKeel.postgresURL)
            let schema = TestKeel.uniquePostgresSchema()
            let backend = try await PostgresBackend.open(
                url: url,
                configuration: .init(maximumConnections: 8, schema: schema),
                logger: Self.quietLogger
            )
            let result: Result
            do {
                result = try await body(backend.stores)
            } catch {
                await Self.drop(schema, backend)
                throw error
            }
            await Self.drop(schema, backend)
            return result
        }
    }

    private static func drop(_ schema: String, _ backend: PostgresBackend) async {
        _ = try? await backend.client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(PostgresBackend.quotedIdentifier(schema)) CASCADE"))
        await backend.shutdown()
    }
}
