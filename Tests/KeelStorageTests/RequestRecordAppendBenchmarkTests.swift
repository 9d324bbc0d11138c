import Foundation
import KeelCore
import KeelStorage
import Testing

/// How many request records a second the recorder's write path stores: 50,000 records appended
/// in batches of 64 (the recorder's usual batch when it keeps up), one batch after another, on a
/// fresh database each run; the median of 5 runs. Not a timed test: it prints the figures, and
/// runs only with `KEEL_RECORDER_BENCH=1` (never in CI):
///
///     KEEL_RECORDER_BENCH=1 KEEL_TEST_POSTGRES_URL=… swift test --filter RequestRecordAppendBenchmarkTests
///
/// The records vary as a busy gateway's do (200 keys, 20 teams, 5 models, 3 providers, two tags,
/// one request in eight with an attempt log), 20 ms apart, so each batch also upserts a few
/// hundred rollup rows. Besides the wall-clock rate it prints the rate per second of this
/// process's CPU time, which stays comparable on a machine busy with other work (for PostgreSQL it
/// leaves out the server's share). Run it in release:
///
///     KEEL_RECORDER_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter RequestRecordAppendBenchmarkTests
@Suite(
    "Request record append benchmark",
    .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["KEEL_RECORDER_BENCH"] == "1")
)
struct RequestRecordAppendBenchmarkTests {
    static let total = 50_000
    static let batchSize = 64
    static let runs = 5

    static func records(run: Int) -> [RequestRecord] {
        let t0: Int64 = 1_793_491_200_000_000
        return (0..<Self.total).map { index in
            let key = index % 200
            let model = "model-\(index % 5)"
            let failed = index % 8 == 0
            return RequestRecord(
                id: RequestID("bench-\(run)-\(index)"),
                startedAt: t0 + Int64(index) * 20_000,
                operation: "chat.completions",
                keyID: KeyID("key-\(key)"),
                orgID: OrgID("org-\(key % 4)"),
                teamID: TeamID("team-\(key % 20)"),
                projectID: ProjectID("project-\(key % 40)"),
                userID: UserID("user-\(index % 500)"),
                requestedModel: model,
                model: model,
                provider: "provider-\(index % 3)",
                deployment: "\(model)-2025-01-01",
                stream: index % 2 == 0,
                status: 200,
                outcome: .success,
                attempts: failed ? 2 : 1,
                attemptLog: failed
                    ? [
                        .init(
                            provider: "provider-9",
                            deployment: "other",
                            errorClass: "upstream_unavailable",
                            upstreamStatus: 503,
                            durationMicros: 1_200
                        ),
                        .init(
                            provider: "provider-\(index % 3)",
                            deployment: "\(model)-2025-01-01",
                            durationMicros: 250_000
                        ),
                    ] : [],
                ttftMicros: 120_000,
                upstreamMicros: 250_000,
                totalMicros: 251_000,
                usage: TokenUsage(inputTokens: 900 + Int64(index % 100), outputTokens: 120, cachedInputTokens: 256),
                cost: USDNanos(1_000 + Int64(index % 977)),
                tags: ["env": index % 3 == 0 ? "dev" : "prod", "feature": "f\(index % 10)"],
                promptPrefixHash: Int64(index % 50)
            )
        }
    }

    /// Appends every record of `records` in batches, one after another; returns the wall-clock
    /// and process CPU seconds taken.
    ///
    /// With `audit`, each record's audit entry is made as the recorder makes it — the request
    /// entry with both content digests, encoded and hashed (``AuditLeaf/init(recordedWith:)``) —
    /// and appended with its batch: the whole cost of the audit log's write path.
    static func append(
        _ records: [RequestRecord],
        to stores: KeelStores,
        audit: Bool = false
    ) async throws -> (wall: Double, cpu: Double) {
        let start = ContinuousClock.now
        let cpuStart = Self.processCPUSeconds()
        var offset = 0
        let digest = String(repeating: "ab", count: 32)
        while offset < records.count {
            let end = min(offset + Self.batchSize, records.count)
            let batch = Array(records[offset..<end])
            if audit {
                let leaves = batch.enumerated().map { index, record in
                    let digests = AuditEntry.ContentDigests(saltID: "salt-1", prompt: digest, answer: digest)
                    return AuditLeaf(
                        recordedWith: AuditEntry(
                            instanceID: "keel-bench",
                            seq: UInt64(offset + index + 1),
                            time: record.startedAt,
                            payload: .request(.init(record, contentDigests: digests))
                        )
                    )
                }
                _ = try await stores.requests.append(batch, audit: leaves)
            } else {
                try await stores.requests.append(batch)
            }
            offset = end
        }
        let elapsed = ContinuousClock.now - start
        let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (wall, Self.processCPUSeconds() - cpuStart)
    }

    private static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func measure(_ backend: StoreBackend, audit: Bool = false) async throws {
        var rates: [Double] = []
        var cpuRates: [Double] = []
        let label = "recorder bench (\(backend)\(audit ? ", with audit entries" : ""))"
        for run in 0..<Self.runs {
            let records = Self.records(run: run)
            let (wall, cpu) = try await backend.withStores { stores in
                let taken = try await Self.append(records, to: stores, audit: audit)
                #expect(try await stores.requests.count(matching: .init()) == records.count)
                return taken
            }
            rates.append(Double(records.count) / wall)
            cpuRates.append(Double(records.count) / cpu)
            print(
                "\(label): run \(run + 1): \(Int(rates.last!)) records/s wall, \(Int(cpuRates.last!)) records/s of CPU"
            )
        }
        func median(_ values: [Double]) -> Int { Int(values.sorted()[values.count / 2]) }
        print(
            "\(label): median of \(Self.runs) runs: \(median(rates)) records/s wall "
                + "(min \(Int(rates.min()!)), max \(Int(rates.max()!))), \(median(cpuRates)) records/s of CPU; "
                + "\(Self.total) records in batches of \(Self.batchSize)"
        )
    }

    @Test func appendingOnSQLite() async throws {
        try await Self.measure(.sqlite)
    }

    @Test(.enabled(if: PostgresTestDatabase.url != nil))
    func appendingOnPostgreSQL() async throws {
        try await Self.measure(.postgres)
    }

    @Test func appendingWithAuditEntriesOnSQLite() async throws {
        try await Self.measure(.sqlite, audit: true)
    }

    @Test(.enabled(if: PostgresTestDatabase.url != nil))
    func appendingWithAuditEntriesOnPostgreSQL() async throws {
        try await Self.measure(.postgres, audit: true)
    }
}
