import Foundation
import KeelCore
import KeelServer
import KeelStorage
import KeelTesting
import Testing

/// How long an evidence pack takes for a period of one million requests (the target is 60 s),
/// and the memory it takes. Not a timed test: it prints the figures, and runs only with
/// `KEEL_EVIDENCE_BENCH=1` (never in CI), in release:
///
///     KEEL_EVIDENCE_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter EvidencePackBenchmarkTests
///
/// `KEEL_EVIDENCE_RECORDS` sets the number of requests (default 1,000,000). The store is seeded
/// as the recorder fills it — records with their audit entries, in batches — then a gateway
/// starts on it and stops, signing a checkpoint over them, and the pack is built for the day
/// that holds them all, as `keel compliance evidence` builds it.
@Suite(
    "Evidence pack benchmark",
    .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["KEEL_EVIDENCE_BENCH"] == "1")
)
struct EvidencePackBenchmarkTests {
    static var total: Int { Int(ProcessInfo.processInfo.environment["KEEL_EVIDENCE_RECORDS"] ?? "") ?? 1_000_000 }

    static func peakRSSMebibytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
    }

    static func record(at index: Int, midnight: Int64, spacing: Int64) -> RequestRecord {
        let model = "model-\(index % 5)"
        let startedAt: Int64 = midnight + Int64(index) * spacing
        let usage = TokenUsage(inputTokens: Int64(400 + index % 300), outputTokens: Int64(150 + index % 200))
        return RequestRecord(
            id: RequestID("ev-\(index)"),
            startedAt: startedAt,
            operation: "chat.completions",
            keyID: KeyID("key-\(index % 200)"),
            orgID: OrgID("org-\(index % 4)"),
            teamID: TeamID("team-\(index % 20)"),
            requestedModel: model,
            model: model,
            provider: "provider-\(index % 3)",
            deployment: model,
            status: 200,
            outcome: .success,
            attempts: 1,
            totalMicros: 250_000,
            usage: usage,
            cost: USDNanos(Int64(1_000 + index % 977))
        )
    }

    @Test(arguments: TestDatabase.enabled)
    func anEvidencePackForAMillionRequests(database: TestDatabase) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "keel-evidence-bench-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = KeelConfiguration()
        configuration.storage.url = "sqlite://" + directory.appendingPathComponent("keel.sqlite").path
        if database == .postgres, let url = TestKeel.postgresURL {
            configuration.storage = .init(url: url, schema: TestKeel.uniquePostgresSchema(), maxConnections: 4)
        }
        // A day of traffic: the requests spread over the 20 hours after midnight UTC.
        let midnight = (Int64(Date().timeIntervalSince1970) / 86_400 - 1) * 86_400_000_000
        let total = Self.total
        let spacing = 72_000_000_000 / Int64(total)
        let digest = String(repeating: "cd", count: 32)
        let seeding = ContinuousClock.now
        try await AuditLogCheck.withStores(configuration, logger: AuditLogTests.logger, creating: true) { stores in
            var offset = 0
            while offset < total {
                let end = min(offset + 1_000, total)
                let records = (offset..<end).map { Self.record(at: $0, midnight: midnight, spacing: spacing) }
                let leaves = records.enumerated().map { position, record in
                    AuditLeaf(
                        recordedWith: AuditEntry(
                            instanceID: "keel-seed",
                            seq: UInt64(offset + position + 1),
                            time: record.startedAt,
                            payload: .request(
                                .init(record, contentDigests: .init(saltID: "salt-1", prompt: digest, answer: digest))
                            )
                        )
                    )
                }
                _ = try await stores.requests.append(records, audit: leaves)
                offset = end
            }
        }
        print("evidence bench (\(database)): seeded \(total) requests in \(ContinuousClock.now - seeding)")
        // A gateway on the store signs the log and stops.
        let storage = configuration.storage
        try await TestKeel.run(configure: { configuration in configuration.storage = storage }) { keel in
            await keel.shutdown()
        }
        configuration.compliance = KeelConfiguration.Compliance()
        let rssBefore = Self.peakRSSMebibytes()
        let started = ContinuousClock.now
        let out = directory.appendingPathComponent("pack").path
        let pack = try await EvidencePack(framework: "soc2", from: midnight, to: midnight + 86_400_000_000)
            .build(configuration, logger: AuditLogTests.logger, into: out)
        let written = ContinuousClock.now - started
        #expect(pack.records == total)
        let bytes = try pack.digests.keys.reduce(0) { sum, path in
            sum + ((try FileManager.default.attributesOfItem(atPath: out + "/" + path)[.size] as? Int) ?? 0)
        }
        print(
            "evidence bench (\(database)): \(total) requests: written in \(written); "
                + "\(bytes / 1_048_576) MiB of files; peak RSS \(Self.peakRSSMebibytes()) MiB (\(rssBefore) MiB before)"
        )
    }
}
