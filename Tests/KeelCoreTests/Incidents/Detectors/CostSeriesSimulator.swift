import KeelCore

/// Simulated per-minute spend of one scope with the shape real LLM traffic
/// has: a weekly season (working-hours peak 4× the night level, weekends at
/// 40 % of weekdays), multiplicative log-normal noise and occasional
/// single-minute bursts.
struct CostSeriesSimulator {
    /// USD per minute on a weekday night (the seasonal floor).
    var nightCost = 0.10
    /// Coefficient of variation of the per-minute multiplicative noise.
    var noiseCV = 0.3
    /// Probability that a minute is a 2–3× burst.
    var burstProbability = 0.002
    /// Random source.
    var generator: SeededGenerator

    /// Unix minute of a Monday 00:00 UTC (2024-01-01), used as the start of
    /// every simulated history so that the season is aligned with weekdays.
    static let monday: Int64 = 1_704_067_200 / 60

    init(seed: UInt64) {
        generator = SeededGenerator(seed: seed)
    }

    /// Seasonal multiple of the night level at `minute` (no noise).
    static func seasonalLevel(minute: Int64) -> Double {
        let sinceMonday = minute - monday
        let day = ((sinceMonday / 1440) % 7 + 7) % 7
        let minuteOfDay = Double(((sinceMonday % 1440) + 1440) % 1440)
        let hour = minuteOfDay / 60
        let daily: Double
        switch hour {
        case ..<7: daily = 1
        case ..<9: daily = 1 + 3 * (hour - 7) / 2  // morning ramp to 4×
        case ..<17: daily = 4
        case ..<20: daily = 4 - 3 * (hour - 17) / 3  // evening decline
        default: daily = 1
        }
        return day >= 5 ? 0.4 * daily : daily
    }

    /// One minute of spend: seasonal level × `multiplier` × noise, sometimes
    /// a burst.
    mutating func cost(minute: Int64, multiplier: Double = 1) -> Double {
        var value = nightCost * Self.seasonalLevel(minute: minute) * multiplier
        value *= generator.logNormalMultiplier(coefficientOfVariation: noiseCV)
        if generator.chance(burstProbability) {
            value *= generator.uniform(in: 2...3)
        }
        return value
    }

    /// Feeds `count` clean minutes starting at `start` into `detector` and
    /// returns the findings.
    mutating func feed(
        _ detector: inout CostAnomalyDetector,
        from start: Int64,
        count: Int64,
        multiplier: (Int64) -> Double = { _ in 1 }
    ) -> [CostAnomaly] {
        var findings: [CostAnomaly] = []
        var minute = start
        while minute < start + count {
            if let finding = detector.observe(
                minute: minute,
                cost: cost(minute: minute, multiplier: multiplier(minute))
            ) {
                findings.append(finding)
            }
            minute += 1
        }
        return findings
    }
}

/// Small summary helpers for printing measured delays.
enum Measured {
    static func median(_ values: [Int64]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? Double(sorted[mid]) : Double(sorted[mid - 1] + sorted[mid]) / 2
    }

    static func formatted(_ value: Double, digits: Int = 2) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        return "\(rounded)"
    }
}
