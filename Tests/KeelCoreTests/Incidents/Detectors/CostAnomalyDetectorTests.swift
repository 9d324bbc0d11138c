import KeelCore
import Testing

/// Behaviour of the cost detector beyond the statistical targets: gaps,
/// late data, episodes, tiny scopes, young scopes and memory bounds.
@Suite("Cost anomaly detector behaviour")
struct CostAnomalyDetectorTests {
    static let start = CostSeriesSimulator.monday

    @Test("A flat scope's first-day spike is found against the recent window")
    func firstDaySpike() {
        var detector = CostAnomalyDetector()
        var generator = SeededGenerator(seed: 3)
        var findings: [CostAnomaly] = []
        for offset in Int64(0)..<240 {
            let multiplier = offset >= 200 ? 4.0 : 1.0
            let cost = 0.5 * multiplier * generator.logNormalMultiplier(coefficientOfVariation: 0.2)
            if let finding = detector.observe(minute: Self.start + offset, cost: cost) { findings.append(finding) }
        }
        #expect(findings.count == 1)
        #expect(findings.first?.kind == .spike)
        #expect(findings.first?.baseline == .recentWindow)
        #expect((findings.first?.minute ?? 0) - Self.start < 205)
        #expect((findings.first?.ratio ?? 0) > 2)
    }

    @Test("A sustained step is one episode; a second step after recovery is another")
    func oneDetectionPerEpisode() {
        var detector = CostAnomalyDetector()
        var generator = SeededGenerator(seed: 4)
        var spikes: [Int64] = []
        for offset in Int64(0)..<1000 {
            let elevated = (200..<500).contains(offset) || (700..<760).contains(offset)
            let cost = (elevated ? 3.0 : 1.0) * generator.logNormalMultiplier(coefficientOfVariation: 0.2)
            if let finding = detector.observe(minute: Self.start + offset, cost: cost), finding.kind == .spike {
                spikes.append(offset)
            }
        }
        #expect(spikes.count == 2)
        #expect(spikes.first.map { (200...205).contains($0) } == true)
        #expect(spikes.last.map { (700...705).contains($0) } == true)
    }

    @Test("Gaps count as zero spend and late minutes are ignored")
    func gapsAndLateData() {
        var detector = CostAnomalyDetector()
        for offset in Int64(0)..<120 { _ = detector.observe(minute: Self.start + offset, cost: 1) }
        #expect(detector.expectedCost(atMinute: Self.start + 120) == 1)
        // 90 silent minutes: the recent window now holds mostly zeros.
        _ = detector.observe(minute: Self.start + 210, cost: 0)
        #expect(detector.lastObservedMinute == Self.start + 210)
        #expect(detector.expectedCost(atMinute: Self.start + 211) == 0)
        #expect(detector.observe(minute: Self.start + 100, cost: 1000) == nil)
        #expect(detector.lastObservedMinute == Self.start + 210)
    }

    @Test("Near-zero scopes do not alarm on cents")
    func minimumExcess() {
        var detector = CostAnomalyDetector()
        var generator = SeededGenerator(seed: 5)
        var findings = 0
        for offset in Int64(0)..<600 {
            let cost = (offset >= 300 ? 3.0 : 1.0) * 0.002 * generator.logNormalMultiplier(coefficientOfVariation: 0.3)
            if detector.observe(minute: Self.start + offset, cost: cost) != nil { findings += 1 }
        }
        #expect(findings == 0)
        // The same step at dollars per minute is an incident.
        var busy = CostAnomalyDetector()
        var found = false
        for offset in Int64(0)..<600 {
            let cost = (offset >= 300 ? 3.0 : 1.0) * 2 * generator.logNormalMultiplier(coefficientOfVariation: 0.3)
            if busy.observe(minute: Self.start + offset, cost: cost)?.kind == .spike { found = true }
        }
        #expect(found)
    }

    @Test("State per scope is fixed and within 32 KB")
    func boundedState() {
        let bytes = CostAnomalyDetector.stateBytes(for: CostAnomalyConfiguration())
        print("[cost state] \(bytes) bytes per scope with default configuration")
        #expect(bytes <= 32 * 1024)
        let clamped = CostAnomalyDetector(configuration: CostAnomalyConfiguration(seasonalHistoryWeeks: 50))
        #expect(clamped.configuration.seasonalHistoryWeeks == 4)
    }
}
