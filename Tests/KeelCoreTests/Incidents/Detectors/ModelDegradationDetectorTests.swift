import Testing

@testable import KeelCore

/// Model-degradation targets on simulated traffic: silence on stationary
/// traffic, and each degradation found within a bounded number of requests.
@Suite("Model degradation detection")
struct ModelDegradationDetectorTests {
    static let warmUp = 2000
    static let seeds: [UInt64] = [1, 2, 3, 4, 5, 6, 7, 8]

    /// Trains on `warmUp` healthy requests, applies `change`, then returns the
    /// number of requests after the change until the first finding matching
    /// `matching` (nil if none within `horizon`), plus all findings.
    static func requestsToDetection(
        seed: UInt64,
        horizon: Int = 1000,
        change: (inout ModelTrafficSimulator) -> Void,
        matching: (ModelDegradationFinding) -> Bool
    ) -> (Int?, [ModelDegradationFinding]) {
        var simulator = ModelTrafficSimulator(seed: seed)
        var detector = ModelDegradationDetector()
        let before = simulator.feed(&detector, count: warmUp)
        #expect(before.isEmpty, "healthy warm-up produced \(before.map(\.1.kind))")
        change(&simulator)
        let after = simulator.feed(&detector, count: horizon)
        return (after.first(where: { matching($0.1) })?.0, after.map(\.1))
    }

    static func report(_ label: String, _ delays: [Int?]) -> [Int] {
        let found = delays.compactMap { $0 }
        print(
            "[model \(label)] found \(found.count)/\(delays.count); requests to detection median \(Measured.median(found.map(Int64.init))), max \(found.max() ?? -1)"
        )
        return found
    }

    @Test("Stationary traffic produces no finding in 20 000 requests")
    func stationaryTraffic() {
        var total = 0
        for seed in Self.seeds.prefix(4) {
            var simulator = ModelTrafficSimulator(seed: 500 + seed)
            var detector = ModelDegradationDetector()
            let findings = simulator.feed(&detector, count: 20_000)
            total += findings.count
            #expect(findings.isEmpty, "seed \(seed): \(findings.map { ($0.0, $0.1.kind, $0.1.subject) })")
        }
        print("[model stationary] \(total) findings in 4 × 20 000 requests")
    }

    @Test("Truncated answers (finish length 2 % → 30 %, lengths capped) are found within 200 requests")
    func truncation() {
        var delays: [Int?] = []
        var kindsFirst: [String] = []
        for seed in Self.seeds {
            let (delay, findings) = Self.requestsToDetection(
                seed: seed,
                change: {
                    $0.lengthShare = 0.30
                    $0.lengthCap = 256
                },
                matching: { $0.kind == .finishReasonShift && $0.subject == "length" }
            )
            delays.append(delay)
            if let first = findings.first { kindsFirst.append(first.kind.rawValue) }
        }
        let found = Self.report("truncation (finish=length share)", delays)
        print("[model truncation] first finding kinds: \(kindsFirst)")
        #expect(found.count == Self.seeds.count)
        #expect(found.allSatisfy { $0 <= 200 })
    }

    @Test("Refusals rising from 1 % to 20 % are found within 200 requests")
    func refusals() {
        let delays = Self.seeds.map { seed in
            Self.requestsToDetection(
                seed: seed,
                change: { $0.refusalShare = 0.20 },
                matching: { $0.kind == .finishReasonShift && $0.subject == "refusal" }
            ).0
        }
        let found = Self.report("refusals 1 % → 20 %", delays)
        #expect(found.count == Self.seeds.count)
        #expect(found.allSatisfy { $0 <= 200 })
    }

    @Test("An error class rising from 0.5 % to 10 % is found within 200 requests")
    func errorSurge() {
        let delays = Self.seeds.map { seed in
            Self.requestsToDetection(
                seed: seed,
                change: {
                    $0.errorShares = [("timeout", 0.003), ("rate_limited", 0.005), ("upstream_5xx", 0.10)]
                },
                matching: { $0.kind == .errorClassShift && $0.subject == "upstream_5xx" }
            ).0
        }
        let found = Self.report("upstream_5xx 0.5 % → 10 %", delays)
        #expect(found.count == Self.seeds.count)
        #expect(found.allSatisfy { $0 <= 200 })
    }

    @Test("Time to first token doubling is found")
    func firstTokenDoubling() {
        let delays = Self.seeds.map { seed in
            Self.requestsToDetection(
                seed: seed,
                change: { $0.firstTokenMedianMicros *= 2 },
                matching: { $0.kind == .timeToFirstTokenShift }
            ).0
        }
        let found = Self.report("TTFT ×2", delays)
        #expect(found.count == Self.seeds.count)
        #expect(found.allSatisfy { $0 <= 200 })
    }

    @Test("Throughput halving is found")
    func throughputHalving() {
        let delays = Self.seeds.map { seed in
            Self.requestsToDetection(
                seed: seed,
                change: { $0.throughputMedian /= 2 },
                matching: { $0.kind == .tokensPerSecondShift }
            ).0
        }
        let found = Self.report("tokens/s ×0.5", delays)
        #expect(found.count == Self.seeds.count)
        #expect(found.allSatisfy { $0 <= 200 })
    }

    @Test("Much shorter answers (median 300 → 100 tokens) shift the length distribution")
    func shorterAnswers() {
        let delays = Self.seeds.map { seed in
            Self.requestsToDetection(
                seed: seed,
                change: { $0.lengthMedian = 100 },
                matching: { $0.kind == .outputLengthShift }
            ).0
        }
        let found = Self.report("output length median 300 → 100", delays)
        #expect(found.count == Self.seeds.count)
        #expect(found.allSatisfy { $0 <= 200 })
    }

    @Test("A new reported version is found at its first request, once")
    func silentUpgrade() {
        for seed in Self.seeds.prefix(3) {
            let (delay, findings) = Self.requestsToDetection(
                seed: seed,
                horizon: 500,
                change: { $0.version = "gpt-4o-2024-11-20" },
                matching: { $0.kind == .versionChange }
            )
            #expect(delay == 1)
            let versionFindings = findings.filter { $0.kind == .versionChange }
            #expect(versionFindings.count == 1)
            #expect(versionFindings.first?.subject == "gpt-4o-2024-11-20")
            #expect(versionFindings.first?.baselineLabel == "gpt-4o-2024-08-06")
        }
        print("[model version change] found at request 1 after the switch (3/3 seeds), reported once")
    }

    @Test("A sustained degradation is reported once per episode and re-armed after recovery")
    func oneFindingPerEpisode() {
        var simulator = ModelTrafficSimulator(seed: 77)
        var detector = ModelDegradationDetector()
        _ = simulator.feed(&detector, count: Self.warmUp)
        simulator.refusalShare = 0.20
        let first = simulator.feed(&detector, count: 3000).filter { $0.1.subject == "refusal" }
        #expect(first.count == 1)
        simulator.refusalShare = 0.01
        let recovery = simulator.feed(&detector, count: 1000).filter { $0.1.subject == "refusal" }
        #expect(recovery.isEmpty)
        simulator.refusalShare = 0.20
        let second = simulator.feed(&detector, count: 1000).filter { $0.1.subject == "refusal" }
        #expect(second.count == 1)
    }

    @Test("The baseline refreshes from healthy traffic and follows slow drift")
    func baselineRefresh() {
        var simulator = ModelTrafficSimulator(seed: 91)
        var detector = ModelDegradationDetector()
        _ = simulator.feed(&detector, count: Self.warmUp)
        // Two healthy steps of +30 % each: 1.69× the original baseline in
        // total, but each step is below the 1.5× alert factor.
        simulator.firstTokenMedianMicros *= 1.3
        let afterFirst = simulator.feed(&detector, count: 20_000)
        simulator.firstTokenMedianMicros *= 1.3
        let afterSecond = simulator.feed(&detector, count: 2000)
        #expect(afterFirst.isEmpty)
        #expect(afterSecond.isEmpty)
        // A frozen baseline would now see the 1.69× shift.
        var frozen = ModelTrafficSimulator(seed: 92)
        frozen.firstTokenMedianMicros *= 1.69
        var fresh = ModelDegradationDetector()
        var healthy = ModelTrafficSimulator(seed: 93)
        _ = healthy.feed(&fresh, count: Self.warmUp)
        #expect(frozen.feed(&fresh, count: 500).contains { $0.1.kind == .timeToFirstTokenShift })
    }

    @Test("State per model stays within 64 KB")
    func boundedState() {
        let bytes = ModelDegradationDetector.stateBytes(for: ModelDegradationConfiguration())
        print("[model state] ≤ \(bytes) bytes per model with default configuration")
        #expect(bytes <= 64 * 1024)
        #expect(!ModelDegradationDetector().isBaselineLearned)
    }
}
