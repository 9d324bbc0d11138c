import KeelCore

/// Fits a forecaster on the first days of synthetic series and scores it on the days after.
struct ForecastBacktest: Sendable {
    /// Figures over every series of a run.
    struct Summary: Sendable {
        var seriesCount: Int
        /// Mean absolute percentage error per series, in percent.
        var mapes: [Double]
        /// Share of held-out days inside their daily interval.
        var dailyCoverage: Double
        /// Share of series whose held-out total lies inside the interval of the total.
        var totalCoverage: Double

        var meanMAPE: Double { self.mapes.reduce(0, +) / Double(self.mapes.count) }
        var medianMAPE: Double {
            let sorted = self.mapes.sorted()
            let middle = sorted.count / 2
            return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        }
        var p90MAPE: Double {
            let sorted = self.mapes.sorted()
            return sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.9))]
        }
    }

    var fitDays = 46
    var testDays = 14
    /// Fit on only the last this many of the fit days (`nil`: all of them).
    var recentDays: Int? = nil

    func run(
        _ forecaster: SpendForecaster,
        seeds: ClosedRange<UInt64>,
        filter: (SyntheticSpendSeries) -> Bool = { _ in true }
    ) -> Summary {
        var mapes: [Double] = []
        var inside = 0
        var scored = 0
        var totalsInside = 0
        for seed in seeds {
            let shape = SyntheticSpendSeries.drawn(seed: seed, days: self.fitDays + self.testDays)
            guard filter(shape) else { continue }
            let series = shape.generate(seed: seed)
            let skipped = self.fitDays - min(self.recentDays ?? self.fitDays, self.fitDays)
            let history = DailySpendSeries(
                amounts: Array(series.amounts[skipped..<self.fitDays]),
                firstWeekday: series.weekday(ofDay: skipped)
            )
            let actual = Array(series.amounts.suffix(self.testDays))
            guard let forecast = forecaster.forecast(history, horizon: self.testDays) else { continue }
            var errorSum = 0.0
            var days = 0
            for (day, amount) in actual.enumerated() where amount > .zero {
                let predicted = forecast.days[day]
                errorSum += abs(Double(amount.rawValue - predicted.point.rawValue)) / Double(amount.rawValue)
                days += 1
                if predicted.lower <= amount && amount <= predicted.upper { inside += 1 }
                scored += 1
            }
            mapes.append(100 * errorSum / Double(max(days, 1)))
            let total = forecast.total(ofFirst: self.testDays)
            let actualTotal = actual.reduce(.zero, +)
            if total.lower <= actualTotal && actualTotal <= total.upper { totalsInside += 1 }
        }
        return Summary(
            seriesCount: mapes.count,
            mapes: mapes,
            dailyCoverage: Double(inside) / Double(max(scored, 1)),
            totalCoverage: Double(totalsInside) / Double(max(mapes.count, 1))
        )
    }
}
