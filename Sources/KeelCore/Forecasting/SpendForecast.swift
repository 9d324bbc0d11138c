/// Projected spend of one scope for the days after its history: a point forecast and a prediction
/// interval per day, and for any total over those days.
///
/// Made by ``SpendForecaster``. Amounts are never negative: a forecast or a bound below zero is reported
/// as zero. The interval is the model's central interval at ``intervalLevel`` (80 % by default).
public struct SpendForecast: Sendable {
    /// How the forecast was made.
    public enum Method: Sendable, Hashable {
        /// Fewer than ``SpendForecaster/minimumTrendHistory`` days: the mean of the days there are, flat.
        case historyMean(days: Int)
        /// Fewer than ``SpendForecaster/minimumSeasonalHistory`` days: level and damped trend, no weekly
        /// pattern (`gamma` is 0).
        case dampedTrend(SmoothingParameters)
        /// Additive Holt–Winters: level, damped trend and a weekly pattern.
        case holtWinters(SmoothingParameters)
    }

    /// A point forecast with its prediction interval; `lower <= point <= upper`.
    public struct Interval: Sendable, Hashable {
        public var point: USDNanos
        public var lower: USDNanos
        public var upper: USDNanos

        public init(point: USDNanos, lower: USDNanos, upper: USDNanos) {
            self.point = point
            self.lower = lower
            self.upper = upper
        }
    }

    /// The fitted state after the last day of history.
    public struct Components: Sendable, Hashable {
        /// Spend per day without the weekly effect.
        public var level: USDNanos
        /// Change of the level per day before damping; may be negative.
        public var trend: USDNanos
        /// The additive effect of each weekday, Sunday first (index = weekday − 1); empty without a season.
        public var weekdayEffects: [USDNanos]
    }

    /// A level step found near the end of the history and taken into account.
    public struct LevelShift: Sendable, Hashable {
        /// The index, in the history, of the first day at the new level.
        public var dayIndex: Int
        /// The size of the step per day; negative for a drop.
        public var amount: USDNanos
    }

    /// The method and, for smoothing models, its fitted parameters.
    public let method: Method
    /// The coverage of every interval, e.g. 0.8.
    public let intervalLevel: Double
    /// The weekday of `days[0]`, the day after the history (1 = Sunday … 7 = Saturday).
    public let firstWeekday: Int
    /// One interval per forecast day, the day after the history first.
    public let days: [Interval]
    /// Level, trend and weekly effects after the last day of history.
    public let components: Components
    /// The standard deviation of the error of the first forecast day (σ of one-step errors).
    public let residualStandardDeviation: USDNanos
    /// The level step found near the end of the history, if any; the fit saw the days before it moved by
    /// its amount.
    public let levelShift: LevelShift?

    /// Unclipped point forecasts in nano-dollars.
    let points: [Double]
    /// ψ_j: the weight of a future one-step error j days after it in a day's forecast error.
    let errorWeights: [Double]
    /// The variance of the one-step error of each forecast day (σ², or (σ_rel·forecast)² when spread
    /// grows with the level).
    let innovationVariances: [Double]
    /// Variance shared by every day in full (the error of an estimated mean); 0 for smoothing models.
    let sharedVariance: Double
    /// The standard normal quantile of the interval's upper end.
    let z: Double

    init(
        method: Method,
        intervalLevel: Double,
        firstWeekday: Int,
        components: Components,
        points: [Double],
        errorWeights: [Double],
        innovationVariances: [Double],
        oneStepVariance: Double,
        sharedVariance: Double,
        levelShift: LevelShift? = nil
    ) {
        precondition(innovationVariances.count == points.count && errorWeights.count == points.count)
        self.levelShift = levelShift
        self.method = method
        self.intervalLevel = intervalLevel
        self.firstWeekday = firstWeekday
        self.components = components
        self.points = points
        self.errorWeights = errorWeights
        self.innovationVariances = innovationVariances
        self.sharedVariance = sharedVariance
        self.z = StandardNormal.quantile((1 + intervalLevel) / 2)
        self.residualStandardDeviation = USDNanos(estimate: oneStepVariance.squareRoot())
        var days: [Interval] = []
        days.reserveCapacity(points.count)
        for h in points.indices {
            var variance = sharedVariance
            for k in 0...h { variance += innovationVariances[k] * errorWeights[h - k] * errorWeights[h - k] }
            days.append(Self.interval(point: points[h], variance: variance, z: self.z))
        }
        self.days = days
    }

    /// The number of forecast days.
    public var horizon: Int { self.days.count }

    /// The total of the first `count` forecast days, with its interval. The interval of a total is
    /// narrower than the sum of the days' intervals, since errors of different days partly cancel.
    ///
    /// `count` must lie in `0...horizon`.
    public func total(ofFirst count: Int) -> Interval {
        precondition((0...self.horizon).contains(count), "a total covers at most the forecast horizon")
        return self.total(weights: [Double](repeating: 1, count: count))
    }

    /// The total of `weights[i]` × day `i`, with its interval: a weight below 1 counts a part of a day
    /// (the rest of today). Weights are in 0...1; there are at most `horizon` of them.
    public func total(weights: [Double]) -> Interval {
        precondition(weights.count <= self.horizon, "a total covers at most the forecast horizon")
        precondition(weights.allSatisfy { (0...1).contains($0) }, "a day counts with a weight in 0...1")
        var point = 0.0
        for i in weights.indices { point += weights[i] * max(self.points[i], 0) }
        // Σ_i w_i·error_i = Σ_k e_k·Σ_{i≥k} w_i·ψ_{i−k}: a future one-step error e_k reaches every later day.
        var variance = 0.0
        for k in weights.indices {
            var loading = 0.0
            for i in k..<weights.count { loading += weights[i] * self.errorWeights[i - k] }
            variance += self.innovationVariances[k] * loading * loading
        }
        let weightSum = weights.reduce(0, +)
        variance += self.sharedVariance * weightSum * weightSum
        return Self.interval(point: point, variance: variance, z: self.z)
    }

    static func interval(point: Double, variance: Double, z: Double) -> Interval {
        let spread = z * max(variance, 0).squareRoot()
        let centre = max(point, 0)
        return Interval(
            point: USDNanos(estimate: centre),
            lower: USDNanos(estimate: point - spread),
            upper: USDNanos(estimate: max(point + spread, centre))
        )
    }
}

extension USDNanos {
    /// A model estimate in nano-dollars, rounded to the nano-dollar and clamped to `0...Int64.max`: spend
    /// is never negative. Estimates are not charges, so they do not go through the charge rounding rule.
    init(estimate: Double) {
        guard estimate.isFinite else {
            self.init(estimate > 0 ? Int64.max : 0)
            return
        }
        self.init(Int64(min(max(estimate.rounded(), 0), 9.2e18)))
    }
}
