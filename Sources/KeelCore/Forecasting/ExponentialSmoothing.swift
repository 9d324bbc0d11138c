/// The additive damped-trend exponential smoothing model, with or without a season: ETS(A,Ad,A) and
/// ETS(A,Ad,N) in the notation of Hyndman et al., *Forecasting with Exponential Smoothing* (2008).
///
/// A pure value: it filters a series, forecasts from a state, and gives the weights of future
/// one-step errors in an h-step error, from which the prediction variance follows.
struct ExponentialSmoothing: Sendable {
    /// The state after some day: level, trend, and the seasonal effect per day position (index `t % m`).
    struct State: Sendable, Equatable {
        var level: Double
        var trend: Double
        var season: [Double]
    }

    var parameters: SmoothingParameters
    /// 7 for the weekly season; 0 for a model without season.
    var seasonLength: Int

    /// The state before day 0, estimated from the first days by the classical decomposition heuristic.
    ///
    /// With a season of `m` days it needs `2m` days: the level and trend come from the means of the first
    /// two seasons, the seasonal effects from each day's distance to that line, centred to sum to zero.
    /// Without a season (a history shorter than two weeks) they come from a least-squares line through all
    /// the days.
    static func initialState(of y: [Double], seasonLength m: Int) -> State {
        precondition(!y.isEmpty)
        guard m > 0 else {
            // Least-squares line through the days; the state before day 0 forecasts its value at day 0.
            let count = Double(y.count)
            let meanT = (count - 1) / 2
            let meanY = y.reduce(0, +) / count
            var covariance = 0.0
            var spread = 0.0
            for t in y.indices {
                covariance += (Double(t) - meanT) * (y[t] - meanY)
                spread += (Double(t) - meanT) * (Double(t) - meanT)
            }
            let trend = spread > 0 ? covariance / spread : 0
            return State(level: meanY - trend * (meanT + 1), trend: trend, season: [])
        }
        precondition(y.count >= 2 * m, "a seasonal start needs two full seasons")
        let mean1 = y[0..<m].reduce(0, +) / Double(m)
        let mean2 = y[m..<(2 * m)].reduce(0, +) / Double(m)
        let trend = (mean2 - mean1) / Double(m)
        // Forecast of day t from the state before day 0 is level + (t + 1)·trend; the first season's mean sits
        // at t = (m − 1) / 2, so level = mean1 − trend·(m + 1) / 2.
        let level = mean1 - trend * Double(m + 1) / 2
        let seasons = min(y.count / m, 4)
        var season = [Double](repeating: 0, count: m)
        for i in 0..<m {
            var sum = 0.0
            for j in 0..<seasons {
                let t = j * m + i
                sum += y[t] - (level + Double(t + 1) * trend)
            }
            season[i] = sum / Double(seasons)
        }
        let centre = season.reduce(0, +) / Double(m)
        for i in 0..<m { season[i] -= centre }
        return State(level: level, trend: trend, season: season)
    }

    /// The one-step forecast of day `t` from the state before it.
    func oneStepForecast(from state: State, day t: Int) -> Double {
        let seasonal = self.seasonLength > 0 ? state.season[t % self.seasonLength] : 0
        return state.level + self.parameters.phi * state.trend + seasonal
    }

    /// Moves `state` over day `t` with observation `y`; returns that day's one-step error.
    func update(_ state: inout State, day t: Int, observation y: Double) -> Double {
        let p = self.parameters
        let error = y - self.oneStepForecast(from: state, day: t)
        state.level += p.phi * state.trend + p.alpha * error
        state.trend = p.phi * state.trend + p.beta * error
        if self.seasonLength > 0 {
            state.season[t % self.seasonLength] += p.gamma * error
        }
        return error
    }

    /// Point forecasts of days `n + 1 … n + horizon` (0-based `n … n + horizon − 1`) from the state after
    /// day `n − 1`.
    func forecast(from state: State, dayCount n: Int, horizon: Int) -> [Double] {
        var damping = 0.0
        var power = 1.0
        var points: [Double] = []
        points.reserveCapacity(horizon)
        for h in stride(from: 1, through: horizon, by: 1) {
            power *= self.parameters.phi
            damping += power
            let seasonal = self.seasonLength > 0 ? state.season[(n + h - 1) % self.seasonLength] : 0
            points.append(state.level + damping * state.trend + seasonal)
        }
        return points
    }

    /// ψ₀ … ψ_{horizon−1}: the error of the forecast `h` days ahead is `Σ_{j<h} ψ_j · e_{n+h−j}`, where
    /// `e` are the future one-step errors, independent with variance σ².
    ///
    /// ψ₀ = 1 and ψ_j = α + β(φ + … + φ^j) + γ·[j is a multiple of m].
    func errorWeights(horizon: Int) -> [Double] {
        let p = self.parameters
        var weights: [Double] = []
        weights.reserveCapacity(horizon)
        var damping = 0.0
        var power = 1.0
        for j in 0..<horizon {
            if j == 0 {
                weights.append(1)
                continue
            }
            power *= p.phi
            damping += power
            let seasonal = self.seasonLength > 0 && j % self.seasonLength == 0 ? p.gamma : 0
            weights.append(p.alpha + p.beta * damping + seasonal)
        }
        return weights
    }
}
