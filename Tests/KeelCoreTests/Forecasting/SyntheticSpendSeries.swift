import Foundation
import KeelCore

/// SplitMix64: a tiny seeded generator, so that every synthetic series is the same on every run and
/// machine (tests never use `SystemRandomNumberGenerator`).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A standard normal draw (Box–Muller).
    mutating func nextGaussian() -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let u2 = Double.random(in: 0..<1, using: &self)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

/// A synthetic daily spend series: base level, linear trend, a weekday/weekend pattern, multiplicative
/// noise and an optional level shift (a launch, or a lost customer).
///
/// Day `t` (0-based) spends `base · (1 + trend·t) · weekdayFactor · shift(t) · (1 + noise·N(0,1))`,
/// floored at zero.
struct SyntheticSpendSeries: Sendable, CustomStringConvertible {
    /// A step of the level by `factor` (1.4 = +40 %) from day `day` on.
    struct LevelShift: Sendable {
        var day: Int
        var factor: Double
    }

    var days: Int
    /// Dollars per weekday at day 0.
    var base: Double
    /// Growth per day as a share of `base` (0.01 = +1 % of the base per day).
    var trend: Double
    /// Saturday and Sunday spend relative to a weekday; Monday is 5 % above the other weekdays.
    var weekendFactor: Double
    /// Standard deviation of the multiplicative noise.
    var noise: Double
    var levelShift: LevelShift?
    /// The weekday of day 0 (1 = Sunday … 7 = Saturday).
    var firstWeekday: Int

    /// The parameter ranges of the backtest, drawn from `seed`:
    /// base $20–$2,000 a day (log-uniform), trend −0.5 %…+1.5 % of the base per day, weekend 30–90 % of a
    /// weekday, noise 2–12 %, and in half the series a level shift on a day in 8…57 — +40 % (seven times
    /// in ten) or −30 % — which may fall inside the forecast window, where no method can foresee it.
    static func drawn(seed: UInt64, days: Int = 60) -> SyntheticSpendSeries {
        var random = SplitMix64(seed: seed)
        let base = exp(Double.random(in: log(20.0)...log(2_000.0), using: &random))
        let trend = Double.random(in: -0.005...0.015, using: &random)
        let weekendFactor = Double.random(in: 0.3...0.9, using: &random)
        let noise = Double.random(in: 0.02...0.12, using: &random)
        let hasShift = Double.random(in: 0..<1, using: &random) < 0.5
        let shiftDay = Int.random(in: 8...min(57, days - 1), using: &random)
        let shiftFactor = Double.random(in: 0..<1, using: &random) < 0.7 ? 1.4 : 0.7
        let firstWeekday = Int.random(in: 1...7, using: &random)
        return SyntheticSpendSeries(
            days: days,
            base: base,
            trend: trend,
            weekendFactor: weekendFactor,
            noise: noise,
            levelShift: hasShift ? LevelShift(day: shiftDay, factor: shiftFactor) : nil,
            firstWeekday: firstWeekday
        )
    }

    /// The expected spend of day `t` in dollars, before noise.
    func expected(day t: Int) -> Double {
        let weekday = (self.firstWeekday - 1 + t) % 7 + 1
        let weekdayFactor =
            switch weekday {
            case 1, 7: self.weekendFactor
            case 2: 1.05
            default: 1.0
            }
        let shift = self.levelShift.map { t >= $0.day ? $0.factor : 1 } ?? 1
        return self.base * (1 + self.trend * Double(t)) * weekdayFactor * shift
    }

    /// The series with noise drawn from `seed`.
    func generate(seed: UInt64) -> DailySpendSeries {
        var random = SplitMix64(seed: seed ^ 0x5EED_5EED)
        let amounts = (0..<self.days).map { t in
            let dollars = max(self.expected(day: t) * (1 + self.noise * random.nextGaussian()), 0)
            return USDNanos(Int64((dollars * 1e9).rounded()))
        }
        return DailySpendSeries(amounts: amounts, firstWeekday: self.firstWeekday)
    }

    var description: String {
        let shift = self.levelShift.map { " shift ×\($0.factor) at day \($0.day)" } ?? ""
        return "base \(Int(self.base)) trend \(self.trend) weekend \(self.weekendFactor) noise \(self.noise)\(shift)"
    }
}
