import KeelCore
import Testing

@Suite("Spend forecasting: method by history length, known series, intervals")
struct SpendForecasterTests {
    private static let dollar: Int64 = 1_000_000_000

    private func series(_ dollars: [Double], firstWeekday: Int = 2) -> DailySpendSeries {
        DailySpendSeries(amounts: dollars.map { USDNanos(Int64(($0 * 1e9).rounded())) }, firstWeekday: firstWeekday)
    }

    @Test func emptyHistoryGivesNoForecastRatherThanZero() {
        #expect(SpendForecaster().forecast(self.series([]), horizon: 7) == nil)
    }

    @Test func oneOrTwoDaysForecastTheirMeanWithAnInterval() throws {
        let forecast = try #require(SpendForecaster().forecast(self.series([10, 20]), horizon: 3))
        #expect(forecast.method == .historyMean(days: 2))
        #expect(forecast.days.map(\.point) == [USDNanos](repeating: USDNanos(15 * Self.dollar), count: 3))
        for day in forecast.days {
            #expect(day.lower < day.point && day.point < day.upper)
        }
        let single = try #require(SpendForecaster().forecast(self.series([8]), horizon: 1))
        #expect(single.method == .historyMean(days: 1))
        #expect(single.days[0].point == USDNanos(8 * Self.dollar))
        #expect(single.days[0].upper > single.days[0].point)
    }

    @Test func shortHistoryUsesADampedTrendWithoutSeason() throws {
        let forecast = try #require(
            SpendForecaster().forecast(self.series([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]), horizon: 4)
        )
        guard case .dampedTrend(let parameters) = forecast.method else {
            Issue.record("expected a damped trend, got \(forecast.method)")
            return
        }
        #expect(parameters.gamma == 0)
        #expect(forecast.components.weekdayEffects.isEmpty)
        // A rising series keeps rising, damped: above the last day, below the straight line.
        let points = forecast.days.map { Double($0.point.rawValue) / 1e9 }
        #expect(points[0] > 19 && points[3] <= 23 + 1e-6)
        #expect(zip(points, points.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func aLinearSeriesContinuesExactlyWithAnUndampedTrend() throws {
        let line = (0..<28).map { 100 + 2 * Double($0) }
        let forecaster = SpendForecaster(configuration: .init(damping: 1...1))
        let forecast = try #require(forecaster.forecast(self.series(line), horizon: 14))
        guard case .holtWinters(let parameters) = forecast.method else {
            Issue.record("expected Holt–Winters, got \(forecast.method)")
            return
        }
        #expect(parameters.phi == 1)
        for (h, day) in forecast.days.enumerated() {
            let expected = (100 + 2 * Double(28 + h)) * 1e9
            #expect(abs(Double(day.point.rawValue) - expected) <= 1, "day \(h)")
            #expect(day.lower == day.point && day.upper == day.point, "a perfect fit has no spread")
        }
        #expect(forecast.components.trend == USDNanos(2 * Self.dollar))
    }

    @Test func theDefaultDampedTrendBendsALineBelowItsContinuation() throws {
        let line = (0..<28).map { 100 + 2 * Double($0) }
        let forecast = try #require(SpendForecaster().forecast(self.series(line), horizon: 14))
        let points = forecast.days.map { Double($0.point.rawValue) / 1e9 }
        #expect(points[0] > 155 && points[0] <= 156 + 1e-6)
        #expect(points[13] < 100 + 2 * 41)
        #expect(zip(points, points.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test func aPureWeeklyPatternIsReproducedByWeekday() throws {
        // Sunday … Saturday.
        let pattern: [Double] = [30, 120, 100, 100, 100, 90, 40]
        let firstWeekday = 3  // Tuesday
        let history = (0..<35).map { pattern[(firstWeekday - 1 + $0) % 7] }
        let forecast = try #require(
            SpendForecaster().forecast(self.series(history, firstWeekday: firstWeekday), horizon: 14)
        )
        #expect(forecast.firstWeekday == 3)  // 35 days later is a Tuesday again
        for (h, day) in forecast.days.enumerated() {
            let expected = pattern[(forecast.firstWeekday - 1 + h) % 7] * 1e9
            #expect(abs(Double(day.point.rawValue) - expected) <= 1, "day \(h)")
        }
        let mean = pattern.reduce(0, +) / 7
        for weekday in 1...7 {
            let effect = Double(forecast.components.weekdayEffects[weekday - 1].rawValue) / 1e9
            #expect(abs(effect - (pattern[weekday - 1] - mean)) < 1e-6, "weekday \(weekday)")
        }
    }

    @Test func intervalsWidenWithTheHorizon() throws {
        let shape = SyntheticSpendSeries(
            days: 42,
            base: 500,
            trend: 0.002,
            weekendFactor: 0.6,
            noise: 0.08,
            levelShift: nil,
            firstWeekday: 2
        )
        let forecast = try #require(SpendForecaster().forecast(shape.generate(seed: 7), horizon: 28))
        func width(_ interval: SpendForecast.Interval) -> Int64 { interval.upper.rawValue - interval.lower.rawValue }
        // Compare days of the same weekday, whose spread does not depend on the weekly pattern.
        for h in 0..<21 {
            #expect(width(forecast.days[h + 7]) > width(forecast.days[h]), "day \(h)")
        }
        for count in 1..<28 {
            #expect(width(forecast.total(ofFirst: count + 1)) > width(forecast.total(ofFirst: count)))
        }
        #expect(width(forecast.days[0]) > 0)
    }

    @Test func aTotalSumsTheDaysAndIsNarrowerThanTheSumOfTheirIntervals() throws {
        let shape = SyntheticSpendSeries(
            days: 50,
            base: 80,
            trend: 0.01,
            weekendFactor: 0.4,
            noise: 0.1,
            levelShift: nil,
            firstWeekday: 5
        )
        let forecast = try #require(SpendForecaster().forecast(shape.generate(seed: 3), horizon: 10))
        let total = forecast.total(ofFirst: 10)
        let pointSum = forecast.days.reduce(Int64(0)) { $0 + $1.point.rawValue }
        #expect(abs(total.point.rawValue - pointSum) <= 10)
        let widthSum = forecast.days.reduce(Int64(0)) { $0 + $1.upper.rawValue - $1.lower.rawValue }
        #expect(total.upper.rawValue - total.lower.rawValue < widthSum)
        #expect(forecast.total(ofFirst: 0) == SpendForecast.Interval(point: .zero, lower: .zero, upper: .zero))
        // Half of the first day counts half of its point forecast.
        let half = forecast.total(weights: [0.5])
        #expect(abs(half.point.rawValue - forecast.days[0].point.rawValue / 2) <= 1)
    }

    @Test func aFallingSeriesNeverForecastsNegativeSpend() throws {
        let falling = (0..<30).map { max(300 - 12 * Double($0), 0) + Double($0 % 3) }
        let forecast = try #require(SpendForecaster().forecast(self.series(falling), horizon: 30))
        for day in forecast.days {
            #expect(day.lower >= .zero && day.lower <= day.point && day.point <= day.upper)
        }
        #expect(forecast.total(ofFirst: 30).lower >= .zero)
    }

    @Test func aRecentLevelStepIsFoundAndTheForecastStartsFromTheNewLevel() throws {
        // A weekly pattern around $100 with a fixed wobble, then +40 % from day 40 on (a launch).
        let wobble: [Double] = [1.5, -2, 0.5, 2, -1, -0.5, 1, -1.5, 0, 2.5, -2.5]
        let pattern: [Double] = [60, 110, 105, 100, 100, 95, 50]
        let history = (0..<46).map { t in (pattern[t % 7] + wobble[t % wobble.count]) * (t >= 40 ? 1.4 : 1) }
        let forecast = try #require(SpendForecaster().forecast(self.series(history, firstWeekday: 1), horizon: 7))
        let shift = try #require(forecast.levelShift)
        #expect((39...41).contains(shift.dayIndex))
        #expect(shift.amount > USDNanos(20 * Self.dollar))
        let week = Double(forecast.total(ofFirst: 7).point.rawValue) / 1e9
        #expect(abs(week - 1.4 * pattern.reduce(0, +)) < 0.1 * 1.4 * pattern.reduce(0, +))

        let without = try #require(
            SpendForecaster(configuration: .init(levelShiftDetection: nil)).forecast(
                self.series(history, firstWeekday: 1),
                horizon: 7
            )
        )
        #expect(without.levelShift == nil)
        let weekWithout = Double(without.total(ofFirst: 7).point.rawValue) / 1e9
        #expect(abs(week - 1.4 * pattern.reduce(0, +)) < abs(weekWithout - 1.4 * pattern.reduce(0, +)))
    }

    @Test func theSameHistoryAlwaysGivesTheSameForecast() throws {
        let history = SyntheticSpendSeries.drawn(seed: 11).generate(seed: 11)
        let first = try #require(SpendForecaster().forecast(history, horizon: 14))
        let second = try #require(SpendForecaster().forecast(history, horizon: 14))
        #expect(first.days == second.days)
        #expect(first.method == second.method)
    }
}
