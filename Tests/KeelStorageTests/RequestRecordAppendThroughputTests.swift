import Foundation
import KeelCore
import KeelStorage
import Testing

/// Measures the hot write path: batches of 500 records, as the recorder sends them.
///
/// Opt-in because it measures rather than checks: run it with
/// `KEEL_STORAGE_BENCHMARK=1 swift test --filter RequestRecordAppendThroughput`.
@Suite("RequestRecord append throughput", .enabled(if: ProcessInfo.processInfo.environment["KEEL_STORAGE_BENCHMARK"] != nil))
struct RequestRecordAppendThroughputTests {
    @Test(arguments: StoreBackend.enabled)
    func batchesOf500RecordsAreAppendedAndTheRateIsReported(backend: StoreBackend) async throws {
        let batchSize = 500
        let batchCount = 200
        let start = 1_750_000_000_000_000 as Int64
        try await backend.withStores { stores async throws in
            let clock = ContinuousClock()
            var elapsed = Duration.zero
            for batch in 0..<batchCount {
                let records = (0..<batchSize).map { index in
                    let n = batch * batchSize + index
                    return RequestRecord.fixture(
                        UUID().uuidString,
                        at: start + Int64(n) * 1_000,
                        keyID: KeyID("key-\(n % 50)"),
                        teamID: TeamID("team-\(n % 7)"),
                        projectID: n.isMultiple(of: 3) ? nil : ProjectID("project-\(n % 11)"),
                        userID: n.isMultiple(of: 2) ? nil : UserID("user-\(n % 101)"),
                        model: "model-\(n % 5)"
                    )
                }
                elapsed += try await clock.measure { try await stores.requests.append(records) }
            }
            let total = batchSize * batchCount
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("\(backend): appended \(total) records in \(batchCount) batches of \(batchSize) in "
                + "\(String(format: "%.3f", seconds)) s: \(Int(Double(total) / seconds)) records/s")
            #expect(try await stores.requests.count(matching: RequestRecordQuery()) == total)
        }
    }
}
