import Foundation
import KeelCore
import KeelStorage
import Testing

/// Measures the hot write path: batches of 500 records, as the recorder sends them.
///
/// Opt-in because it measures rather than checks: run it, preferably in release, with
/// `KEEL_STORAGE_BENCHMARK=1 swift test -c release -Xswiftc -enable-testing --filter AppendThroughput`.
/// It prints the wall-clock rate and the rate per second of process CPU time, which stays
/// meaningful on a machine busy with other work.
@Suite(
    "RequestRecord append throughput",
    .enabled(if: ProcessInfo.processInfo.environment["KEEL_STORAGE_BENCHMARK"] != nil),
    .serialized
)
struct RequestRecordAppendThroughputTests {
    @Test(arguments: StoreBackend.enabled, [IDShape.random, .timeOrdered])
    func batchesOf500RecordsAreAppendedAndTheRateIsReported(backend: StoreBackend, ids: IDShape) async throws {
        let batchSize = 500
        let batchCount = 200
        let start = 1_750_000_000_000_000 as Int64
        let batches = (0..<batchCount).map { batch in
            (0..<batchSize).map { index in
                let n = batch * batchSize + index
                return RequestRecord.fixture(
                    ids.id(n),
                    at: start + Int64(n) * 1_000,
                    keyID: KeyID("key-\(n % 50)"),
                    teamID: TeamID("team-\(n % 7)"),
                    projectID: n.isMultiple(of: 3) ? nil : ProjectID("project-\(n % 11)"),
                    userID: n.isMultiple(of: 2) ? nil : UserID("user-\(n % 101)"),
                    model: "model-\(n % 5)"
                )
            }
        }
        try await backend.withStores { stores async throws in
            let clock = ContinuousClock()
            let cpuBefore = Self.processCPUSeconds()
            let elapsed = try await clock.measure {
                for batch in batches {
                    try await stores.requests.append(batch)
                }
            }
            let cpu = Self.processCPUSeconds() - cpuBefore
            let total = batchSize * batchCount
            let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print(
                "\(backend), \(ids) ids: \(total) records in batches of \(batchSize): "
                    + "\(Int(Double(total) / wall)) records/s wall, \(Int(Double(total) / cpu)) records/s of CPU"
            )
            let stored = try await stores.requests.count(matching: RequestRecordQuery())
            #expect(stored == total)
        }
    }

    enum IDShape: String, Sendable, CustomStringConvertible {
        /// Random UUIDs: every insert lands at a random place in the primary-key index.
        case random
        /// Ids that grow with time (like UUIDv7 or ULID): inserts append to the index.
        case timeOrdered

        var description: String { self.rawValue }

        func id(_ n: Int) -> String {
            switch self {
            case .random: UUID().uuidString
            case .timeOrdered: String(format: "%016d-%@", n, "0000-7000-8000-000000000000")
            }
        }
    }

    private static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
