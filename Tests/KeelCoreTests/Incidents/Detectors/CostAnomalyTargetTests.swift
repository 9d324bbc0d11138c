import Testing

@testable import KeelCore

/// The product targets of cost-incident detection, measured on simulated
/// seasonal traffic (CV 0.3 log-normal noise, 0.2 % of minutes 2–3× bursts,
/// 4× working-hours peak, weekends at 40 %). Each test prints its figures.
@Suite("Cost anomaly targets on simulated traffic")
struct CostAnomalyTargetTests {
    static let week: Int64 = 7 * 24 * 60
    static let trainingWeeks: Int64 = 2

    /// A detector trained on `trainingWeeks` of clean traffic starting on a
    /// Monday, and the simulator positioned right after the training.
    static func trainedDetector(seed: UInt64) -> (CostAnomalyDetector, CostSeriesSimulator, [CostAnomaly]) {
        var simulator = CostSeriesSimulator(seed: seed)
        var detector = CostAnomalyDetector()
        let findings = simulator.feed(&detector, from: CostSeriesSimulator.monday, count: trainingWeeks * week)
        return (detector, simulator, findings)
    }

    @Test("Clean seasonal traffic raises at most one alarm per simulated week")
    func falseAlarmRate() {
        let seeds: [UInt64] = [11, 12, 13, 14, 15, 16]
        let evaluationWeeks: Int64 = 8
        var total = 0
        var worstWeek = 0
        var trainingAlarms = 0
        var kinds: [CostAnomaly.Kind: Int] = [:]
        for seed in seeds {
            var (detector, simulator, training) = Self.trainedDetector(seed: seed)
            trainingAlarms += training.count
            let start = CostSeriesSimulator.monday + Self.trainingWeeks * Self.week
            for weekIndex in 0..<evaluationWeeks {
                let findings = simulator.feed(&detector, from: start + weekIndex * Self.week, count: Self.week)
                total += findings.count
                worstWeek = max(worstWeek, findings.count)
                for finding in findings { kinds[finding.kind, default: 0] += 1 }
            }
        }
        let weeks = Double(seeds.count) * Double(evaluationWeeks)
        let rate = Double(total) / weeks
        print(
            "[cost false alarms] \(total) detections in \(Int(weeks)) clean weeks (\(seeds.count) seeds × \(evaluationWeeks) weeks) = \(Measured.formatted(rate, digits: 3))/week; spike \(kinds[.spike] ?? 0), creep \(kinds[.creep] ?? 0); worst single week \(worstWeek); during the 2 training weeks \(trainingAlarms) in total"
        )
        #expect(rate <= 1.0)
        #expect(worstWeek <= 1)
    }

    @Test("A 3× step is reported as a spike within 5 minutes at any time of week")
    func stepDetection() {
        var delays: [Int64] = []
        var missed = 0
        var nightOrWeekend = 0
        let trials = 60
        let trainingSeeds = 6
        for trainingSeed in 0..<trainingSeeds {
            let (trained, trainedSimulator, _) = Self.trainedDetector(seed: 100 + UInt64(trainingSeed))
            for trial in 0..<(trials / trainingSeeds) {
                var detector = trained
                var simulator = trainedSimulator
                simulator.generator = SeededGenerator(seed: 10_000 + UInt64(trainingSeed * 100 + trial))
                let start = CostSeriesSimulator.monday + Self.trainingWeeks * Self.week
                let stepAt = start + simulator.generator.integer(in: 0...(Self.week - 1))
                if CostSeriesSimulator.seasonalLevel(minute: stepAt) < 1.5 { nightOrWeekend += 1 }
                _ = simulator.feed(&detector, from: start, count: stepAt - start)
                let findings = simulator.feed(&detector, from: stepAt, count: 30) { _ in 3 }
                if let spike = findings.first(where: { $0.kind == .spike }) {
                    delays.append(spike.minute - stepAt + 1)
                } else {
                    missed += 1
                }
            }
        }
        let within5 = delays.filter { $0 <= 5 }.count
        print(
            "[cost 3× step] \(trials) trials (\(nightOrWeekend) at night/weekend levels): detected within 5 min \(within5)/\(trials), missed \(missed); delay in minutes of stepped data median \(Measured.median(delays)), max \(delays.max() ?? -1)"
        )
        #expect(missed == 0)
        #expect(within5 == trials)
    }

    @Test("A +20 % creep over 24 hours is reported; delays measured")
    func creepDetection() {
        var fromStart: [Int64] = []
        var fromFull: [Int64] = []
        var asCreep = 0
        var missed = 0
        let trials = 30
        let ramp: Int64 = 24 * 60
        let trainingSeeds = 5
        for trainingSeed in 0..<trainingSeeds {
            let (trained, trainedSimulator, _) = Self.trainedDetector(seed: 200 + UInt64(trainingSeed))
            for trial in 0..<(trials / trainingSeeds) {
                var detector = trained
                var simulator = trainedSimulator
                simulator.generator = SeededGenerator(seed: 20_000 + UInt64(trainingSeed * 100 + trial))
                let start = CostSeriesSimulator.monday + Self.trainingWeeks * Self.week
                let rampAt = start + simulator.generator.integer(in: 0...(Self.week - 1))
                _ = simulator.feed(&detector, from: start, count: rampAt - start)
                let findings = simulator.feed(&detector, from: rampAt, count: 3 * ramp) { minute in
                    let progress: Double = Double(minute - rampAt) / Double(ramp)
                    return 1 + 0.2 * min(1, progress)
                }
                if let first = findings.first {
                    fromStart.append(first.minute - rampAt + 1)
                    fromFull.append(first.minute - (rampAt + ramp) + 1)
                    if first.kind == .creep { asCreep += 1 }
                } else {
                    missed += 1
                }
            }
        }
        let hours = { (minutes: Double) in Measured.formatted(minutes / 60, digits: 1) }
        let within6h = fromStart.filter { $0 <= 6 * 60 }.count
        let within24h = fromStart.filter { $0 <= 24 * 60 }.count
        print(
            "[cost +20 % creep] \(trials) trials: detected \(trials - missed) (as creep \(asCreep)), missed \(missed); from ramp start median \(hours(Measured.median(fromStart))) h, max \(hours(Double(fromStart.max() ?? -1))) h; from reaching +20 % median \(hours(Measured.median(fromFull))) h, max \(hours(Double(fromFull.max() ?? -1))) h; within 6 h \(within6h)/\(trials), within 24 h \(within24h)/\(trials)"
        )
        #expect(missed == 0)
    }
}
