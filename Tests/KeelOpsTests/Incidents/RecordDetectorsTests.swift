import KeelCore
import KeelOps
import Synchronization
import Testing

/// The detectors over request records, fed records as the recorder hands them over, with the
/// records' own times as the clock.
@Suite("Record detectors")
struct RecordDetectorsTests {
    final class Collected: Sendable {
        let detections = Mutex<[Detection]>([])
        var all: [Detection] { self.detections.withLock { $0 } }
    }

    static func detectors(_ configuration: RecordDetectors.Configuration = .init()) -> (RecordDetectors, Collected) {
        let collected = Collected()
        return (
            RecordDetectors(configuration: configuration) { detection in
                collected.detections.withLock { $0.append(detection) }
            }, collected
        )
    }

    static let minute: Int64 = 60_000_000

    static func record(
        _ id: String,
        at time: Int64,
        cost: Int64 = 0,
        key: String = "k1",
        agent: String? = nil,
        model: String = "gpt-4o",
        outcome: RequestRecord.Outcome = .success,
        errorClass: String? = nil,
        output: Int64 = 300,
        finishReason: String? = nil,
        responseModel: String? = nil,
        verdict: GuardVerdict? = nil
    ) -> RequestRecord {
        var record = RequestRecord(
            id: RequestID(id),
            startedAt: time,
            operation: "chat.completions",
            keyID: KeyID(key),
            orgID: OrgID("acme"),
            requestedModel: model,
            model: model,
            provider: "openai",
            stream: true,
            status: outcome == .success ? 200 : 502,
            outcome: outcome,
            errorClass: errorClass,
            ttftMicros: 300_000,
            totalMicros: 5_300_000,
            usage: TokenUsage(inputTokens: 100, outputTokens: output),
            cost: USDNanos(cost),
            agentID: agent,
            guardVerdict: verdict
        )
        record.finishReason = finishReason
        record.responseModel = responseModel
        return record
    }

    @Test func aTripledCostPerMinuteIsASpikeWithTheMinutesCostliestRequestsAsEvidence() {
        let (detectors, collected) = Self.detectors()
        let start: Int64 = 1_800_000_000 * 1_000_000
        var generator = SystemRandomNumberGenerator()
        var index = 0
        // 90 minutes of about $0.10 a minute in ten requests, with noise.
        for minute in 0..<90 {
            let batch = (0..<10).map { _ -> RequestRecord in
                index += 1
                let cost = Int64(Double(10_000_000) * Double.random(in: 0.8...1.2, using: &generator))
                return Self.record(
                    "r\(index)",
                    at: start + Int64(minute) * Self.minute + Int64(index % 10) * 1_000_000,
                    cost: cost
                )
            }
            detectors.observe(batch)
        }
        #expect(collected.all.isEmpty, "\(collected.all.map(\.summary))")
        // Then three times as much, every minute.
        var detectedAt: Int?
        for minute in 90..<100 where detectedAt == nil {
            let batch = (0..<30).map { _ -> RequestRecord in
                index += 1
                return Self.record(
                    "r\(index)",
                    at: start + Int64(minute) * Self.minute + Int64(index % 30) * 1_000_000,
                    cost: 10_000_000
                )
            }
            detectors.observe(batch)
            detectors.tick(now: start + Int64(minute + 1) * Self.minute + 1)
            if !collected.all.isEmpty { detectedAt = minute - 90 + 1 }
        }
        let detection = collected.all.first { $0.scope.key == "k1" }
        #expect(detectedAt.map { $0 <= 5 } == true, "detected after \(detectedAt ?? -1) min")
        #expect(detection?.category == .costSpike)
        #expect(detection?.detector == "cost_spike")
        #expect(detection?.requestIDs.count == 10)
        #expect((detection?.values["ratio"] ?? 0) > 2)
        #expect(Set(collected.all.map(\.scope.groupingKey)).isSuperset(of: ["org=acme", "org=acme,key=k1"]))
    }

    @Test func aBurstOfInjectionsIsOneDetectionPerIntervalWithItsRequests() {
        let (detectors, collected) = Self.detectors()
        let flagged = GuardVerdict(
            action: .flagged,
            injection: .init(score: 0.9, flagged: true, action: .flag, role: .user, signals: [])
        )
        let batch = (0..<7).map { Self.record("i\($0)", at: Int64($0) * 1_000_000, agent: "triage", verdict: flagged) }
        detectors.observe(batch)
        let bursts = collected.all.filter { $0.detector == "injection_burst" }
        #expect(bursts.count == 1)
        #expect(bursts.first?.category == .promptInjection)
        #expect(bursts.first?.requestIDs == ["i0", "i1", "i2", "i3", "i4"])
        #expect(bursts.first?.scope == IncidentScope(org: "acme", agent: "triage"))
        // Four flagged and spread over more than the window: no burst.
        let (quiet, none) = Self.detectors()
        quiet.observe((0..<8).map { Self.record("q\($0)", at: Int64($0) * 120_000_000, verdict: flagged) })
        #expect(none.all.isEmpty)
    }

    @Test func secretsInAnswersScopeViolationsAndNewModelVersionsAreDetected() {
        let (detectors, collected) = Self.detectors()
        let leaked = GuardVerdict(
            action: .redacted,
            answerFindings: [.init(type: .openAIKey, count: 1, action: .redact)]
        )
        detectors.observe([
            Self.record("leak", at: 1_000, verdict: leaked),
            Self.record("scope", at: 2_000, agent: "bot", outcome: .error, errorClass: "agent_scope_violation"),
            Self.record("v1", at: 3_000, responseModel: "gpt-4o-2024-08-06"),
            Self.record("v1b", at: 4_000, responseModel: "gpt-4o-2024-08-06"),
            // Another model of the same provider: its first version is learned, not news.
            Self.record("mini", at: 4_500, model: "gpt-4o-mini", responseModel: "gpt-4o-mini-2024-07-18"),
            Self.record("v2", at: 5_000, responseModel: "gpt-4o-2024-11-20"),
        ])
        let byDetector = Dictionary(grouping: collected.all, by: \.detector)
        #expect(byDetector["sensitive_data_in_answer"]?.first?.severity == .high)
        #expect(byDetector["sensitive_data_in_answer"]?.first?.category == .dataExposure)
        #expect(byDetector["scope_violation"]?.first?.scope.agent == "bot")
        #expect(
            byDetector["new_model_version"]?.map(\.requestIDs) == [["v2"]],
            "the first version of each deployment is learned, the next is news"
        )
        #expect(byDetector["new_model_version"]?.first?.category == .supplyChain)
    }

    @Test func healthDataSentToAProviderWithoutABAAIsADataExposure() {
        var configuration = RecordDetectors.Configuration()
        configuration.providersWithBAA = ["azure-hipaa"]
        let (detectors, collected) = Self.detectors(configuration)
        func sent(_ id: String, to provider: String, _ action: ContentRule.Action, at time: Int64) -> RequestRecord {
            var record = Self.record(id, at: time, key: "k-\(id)")
            record.provider = provider
            record.guardVerdict = GuardVerdict(findings: [.init(type: .medicalRecordNumber, count: 2, action: action)])
            return record
        }
        var plain = Self.record("pii-only", at: 5, key: "k-pii")
        plain.guardVerdict = GuardVerdict(findings: [.init(type: .email, count: 1, action: .log)])
        detectors.observe([
            sent("leaked", to: "openai", .log, at: 1),
            sent("covered", to: "azure-hipaa", .log, at: 2),
            sent("redacted", to: "openai", .redact, at: 3),
            plain,
        ])
        let found = collected.all.filter { $0.detector == "phi_without_baa" }
        #expect(found.map(\.requestIDs) == [["leaked"]], "only health data that left, to a provider without a BAA")
        #expect(found.first?.category == .dataExposure && found.first?.severity == .high)
        #expect(found.first?.scope.provider == "openai" && found.first?.scope.key == "k-leaked")
    }

    @Test func answersTruncatedFarMoreOftenThanTheModelsBaselineAreDegradation() {
        let (detectors, collected) = Self.detectors()
        var generator = SystemRandomNumberGenerator()
        var time: Int64 = 0
        var index = 0
        func next(_ reason: String, output: Int64) -> RequestRecord {
            index += 1
            time += 1_000_000
            return Self.record("m\(index)", at: time, output: output, finishReason: reason)
        }
        detectors.observe(
            (0..<800).map { _ in
                next(
                    Int.random(in: 0..<50, using: &generator) == 0 ? "length" : "stop",
                    output: Int64.random(in: 200...400, using: &generator)
                )
            }
        )
        #expect(collected.all.isEmpty)
        var samples = 0
        while collected.all.isEmpty && samples < 300 {
            detectors.observe([
                next(Int.random(in: 0..<3, using: &generator) == 0 ? "max_tokens" : "end_turn", output: 256)
            ])
            samples += 1
        }
        let finding = collected.all.first
        #expect(finding?.category == .modelDegradation, "after \(samples) samples")
        #expect(finding?.scope.model == "gpt-4o")
        #expect(samples <= 200)
    }
}
