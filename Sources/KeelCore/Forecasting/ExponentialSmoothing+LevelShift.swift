extension ExponentialSmoothing.Fit {
    /// A persistent step in the level near the end of a series: from day `day` on, spend sits `amount`
    /// (nano-dollars, signed) away from what the fitted model expected before that day.
    struct LevelShift: Sendable, Equatable {
        var day: Int
        var amount: Double
    }

    /// The most significant level step among the last `lookback` days, or `nil` when none is significant.
    ///
    /// For each candidate day `c` the model forecasts days `c…n−1` from its state before `c`, without
    /// learning from them; the mean of the actual minus forecast spend is the step, and it is significant
    /// when it exceeds `threshold` standard errors (σ/√k over k days). A smoothing model learns a step
    /// only at the rate α, so a step in the last days of the history would otherwise leak into the
    /// forecast for a week or more — the largest error in the backtest.
    func levelShift(in y: [Double], lookback: Int, minimumDays: Int, threshold: Double) -> LevelShift? {
        let n = y.count
        let seasonLength = self.model.seasonLength
        let earliest = max(2 * max(seasonLength, 1), n - lookback)
        let latest = n - minimumDays
        guard earliest <= latest, self.residualVariance > 0 else { return nil }
        let sigma = self.residualVariance.squareRoot()

        var states: [ExponentialSmoothing.State] = []
        states.reserveCapacity(n)
        var state = ExponentialSmoothing.initialState(of: y, seasonLength: seasonLength)
        for t in y.indices {
            states.append(state)
            _ = self.model.update(&state, day: t, observation: y[t])
        }

        var best: (shift: LevelShift, score: Double)? = nil
        for c in earliest...latest {
            let k = n - c
            let expected = self.model.forecast(from: states[c], dayCount: c, horizon: k)
            var sum = 0.0
            for h in 0..<k { sum += y[c + h] - expected[h] }
            let mean = sum / Double(k)
            let score = abs(mean) / (sigma / Double(k).squareRoot())
            if score > threshold && score > (best?.score ?? 0) {
                best = (LevelShift(day: c, amount: mean), score)
            }
        }
        return best?.shift
    }
}
