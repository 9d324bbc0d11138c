import Foundation
import KeelCore
import KeelServer
import KeelStorage
import KeelStorageSQLite
import Logging
import ServiceLifecycle
import Testing

@Suite("Request recorder")
struct RequestRecorderTests {
    static func record(_ id: String) -> RequestRecord {
        RequestRecord(
            id: RequestID(id),
            startedAt: 1_700_000_000_000_000,
            operation: "chat.completions",
            requestedModel: "keel-sim-chat",
            status: 200,
            outcome: .success,
            totalMicros: 1_000
        )
    }

    @Test func aRecordTheStoreRefusesForGoodIsSetAsideAndTheRestOfItsBatchIsWritten() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-recorder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var logger = Logger(label: "keel.test")
        logger.logLevel = .critical
        let backend = try await SQLiteBackend.open(path: directory.appendingPathComponent("keel.sqlite").path, logger: logger)
        defer { try? backend.close() }

        // One batch (flushed after 200 ms) in which a request id appears twice.
        let recorder = RequestRecorder(store: backend.stores.requests, capacity: 100, batchSize: 100, flushInterval: .milliseconds(200), logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: recorder)], gracefulShutdownSignals: [], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            for id in ["req-1", "req-2", "req-1", "req-3"] {
                await recorder.record(Self.record(id))
            }
            await group.triggerGracefulShutdown()
            // The drain ends: a refused record is not retried forever.
            try await tasks.waitForAll()
        }
        let stored = try await backend.stores.requests.records(matching: .init(limit: 100)).map(\.id.rawValue).sorted()
        #expect(stored == ["req-1", "req-2", "req-3"])
    }
}
