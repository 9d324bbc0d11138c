import Foundation
import KeelStorage
import KeelStorageSQLite
import Logging
import Testing

/// The storage backends the conformance suites run on.
///
/// Only SQLite exists today. A Postgres case will join here, enabled where
/// `KEEL_TEST_POSTGRES_URL` is set, and every conformance test will then run on it unchanged.
enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite

    var testDescription: String { self.rawValue }

    /// The backends this run can reach.
    static var enabled: [StoreBackend] { allCases }

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
