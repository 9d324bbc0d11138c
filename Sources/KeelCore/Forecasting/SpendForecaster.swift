/// Forecasts the daily spend of one scope from its history: the next days with an 80 % prediction
/// interval per day and for any total, the method used and its fitted parameters.
///
/// The method follows the length of the history:
/// - no day: no forecast (`nil`);
/// - 1 or 2 days: their mean, flat (``SpendForecast/Method/historyMean(days:)``);
/// - 3 to 13 days: level and damped trend (``SpendForecast/Method/dampedTrend(_:)``);
/// - 14 days or more: additive Holt–Winters with damped trend and a weekly season
///   (``SpendForecast/Method/holtWinters(_:)``).
///
/// Smoothing parameters minimise the squared one-step errors over the last ``Configuration/lossWindow``
/// days (a grid, then a pattern search), so the same history always gives the same forecast. The
/// intervals are the model's analytical prediction intervals from the variance of its one-step errors.
/// A pure value: no I/O, no clock, safe to share.
///
/// ```swift
/// let history = DailySpendSeries(amounts: lastFiftyDays, firstWeekday: 2)  // the first day was a Monday
/// if let forecast = SpendForecaster().forecast(history, horizon: 14) {
///     let fortnight = forecast.total(ofFirst: 14)  // point, lower, upper
/// }
/// ```
public struct SpendForecaster: Sendable {
    /// Settings of the forecaster; every field has a default.
    public struct Configuration: Sendable, Hashable {
        /// The coverage of the prediction intervals, in (0, 1).
        public var intervalLevel: Double
        /// The range of the trend damping φ the fit may choose; `1...1` is an undamped trend.
        public var damping: ClosedRange<Double>
        /// The number of most recent days whose one-step errors the fit minimises, or `nil` for all days.
        ///
        /// A window lets the parameters follow the recent regime after a level shift. The default, 28 days,
        /// scored best in the backtest (`ForecastBacktestTests`): lower error than all days and intervals
        /// whose coverage is closest to their level.
        public var lossWindow: Int?
        /// With fewer than 3 days the history cannot show its own spread: the interval then uses at
        /// least this share of the mean as the standard deviation of a day.
        public var shortHistorySpread: Double
        /// How a recent level step is found, or `nil` to leave steps to the smoothing.
        public var levelShiftDetection: LevelShiftDetection?

        public init(
            intervalLevel: Double = 0.8,
            damping: ClosedRange<Double> = 0.8...0.98,
            lossWindow: Int? = 28,
            shortHistorySpread: Double = 0.5,
            levelShiftDetection: LevelShiftDetection? = LevelShiftDetection()
        ) {
            precondition(intervalLevel > 0 && intervalLevel < 1, "an interval level lies in (0, 1)")
            precondition(damping.lowerBound > 0 && damping.upperBound <= 1, "damping lies in (0, 1]")
            precondition(lossWindow.map { $0 > 0 } ?? true, "a loss window covers at least one day")
            precondition(shortHistorySpread >= 0, "a spread is never negative")
            self.intervalLevel = intervalLevel
            self.damping = damping
            self.lossWindow = lossWindow
            self.shortHistorySpread = shortHistorySpread
            self.levelShiftDetection = levelShiftDetection
        }
    }

    /// Settings of the search for a recent level step (a launch, a lost customer) in a seasonal history.
    ///
    /// When the days since some day `c` in the last `lookback` days sit, on average, more than `threshold`
    /// standard errors away from what the model forecast before `c`, the days before `c` are moved by
    /// that mean and the model is fitted again. Reported as ``SpendForecast/levelShift``.
    public struct LevelShiftDetection: Sendable, Hashable {
        /// How many of the last days may start a step.
        public var lookback: Int
        /// The fewest days after a step before it counts.
        public var minimumDays: Int
        /// Standard errors of the mean of the days after the step.
        public var threshold: Double

        public init(lookback: Int = 21, minimumDays: Int = 2, threshold: Double = 4) {
            precondition(lookback >= minimumDays && minimumDays >= 1, "a step needs at least one day after it")
            self.lookback = lookback
            self.minimumDays = minimumDays
            self.threshold = threshold
        }
    }

    /// The fewest days of history for a trend model.
    public static let minimumTrendHistory = 3
    /// The fewest days of history for a weekly season: two full weeks.
    public static let minimumSeasonalHistory = 14

    public var configuration: Configuration

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// The forecast of the `horizon` days after `history`, or `nil` when the history is empty: with no
    /// day of spend there is nothing to forecast from, and the caller must say so rather than assume zero.
    ///
    /// `horizon` must not be negative.
    public func forecast(_ history: DailySpendSeries, horizon: Int) -> SpendForecast? {
        precondition(horizon >= 0, "a horizon is never negative")
        guard !history.amounts.isEmpty else { return nil }
        let y = history.amounts.map { Double($0.rawValue) }
        let firstWeekday = history.weekday(ofDay: y.count)

        if y.count < Self.minimumTrendHistory {
            let mean = y.reduce(0, +) / Double(y.count)
            let sampleVariance =
                y.count > 1 ? y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(y.count - 1) : 0
            let floor = self.configuration.shortHistorySpread * mean
            let variance = max(sampleVariance, floor * floor)
            return SpendForecast(
                method: .historyMean(days: y.count),
                intervalLevel: self.configuration.intervalLevel,
                firstWeekday: firstWeekday,
                components: .init(level: USDNanos(signedEstimate: mean), trend: .zero, weekdayEffects: []),
                points: [Double](repeating: mean, count: horizon),
                errorWeights: [Double](repeating: 1, count: min(horizon, 1))
                    + [Double](repeating: 0, count: max(horizon - 1, 0)),
                innovationVariances: [Double](repeating: variance, count: horizon),
                oneStepVariance: variance,
                sharedVariance: variance / Double(y.count)
            )
        }

        let seasonLength = y.count >= Self.minimumSeasonalHistory ? 7 : 0
        let searchSpace = ExponentialSmoothing.SearchSpace(
            damping: self.configuration.damping,
            lossWindow: self.configuration.lossWindow
        )
        var fit = ExponentialSmoothing.fit(y, seasonLength: seasonLength, searchSpace: searchSpace)
        var levelShift: SpendForecast.LevelShift? = nil
        if let detection = self.configuration.levelShiftDetection,
            let shift = fit.levelShift(
                in: y,
                lookback: detection.lookback,
                minimumDays: detection.minimumDays,
                threshold: detection.threshold
            )
        {
            // Move the days before the step onto the new level and fit again: the model then starts the
            // forecast from the new level instead of learning it at the rate α.
            var adjusted = y
            for t in 0..<shift.day { adjusted[t] += shift.amount }
            fit = ExponentialSmoothing.fit(adjusted, seasonLength: seasonLength, searchSpace: searchSpace)
            levelShift = SpendForecast.LevelShift(dayIndex: shift.day, amount: USDNanos(signedEstimate: shift.amount))
        }
        var weekdayEffects: [USDNanos] = []
        if seasonLength > 0 {
            weekdayEffects = [USDNanos](repeating: .zero, count: 7)
            for position in 0..<7 {
                weekdayEffects[history.weekday(ofDay: position) - 1] = USDNanos(
                    signedEstimate: fit.finalState.season[position]
                )
            }
        }
        let parameters = fit.model.parameters
        let points = fit.model.forecast(from: fit.finalState, dayCount: y.count, horizon: horizon)
        let innovationVariances = points.map { point in
            fit.relativeResidualVariance.map { $0 * max(point, 0) * max(point, 0) } ?? fit.residualVariance
        }
        return SpendForecast(
            method: seasonLength > 0 ? .holtWinters(parameters) : .dampedTrend(parameters),
            intervalLevel: self.configuration.intervalLevel,
            firstWeekday: firstWeekday,
            components: .init(
                level: USDNanos(signedEstimate: fit.finalState.level),
                trend: USDNanos(signedEstimate: fit.finalState.trend),
                weekdayEffects: weekdayEffects
            ),
            points: points,
            errorWeights: fit.model.errorWeights(horizon: horizon),
            innovationVariances: innovationVariances,
            oneStepVariance: innovationVariances.first ?? fit.residualVariance,
            sharedVariance: 0,
            levelShift: levelShift
        )
    }
}

extension USDNanos {
    /// A signed model quantity in nano-dollars (a trend, a weekday effect), rounded to the nano-dollar.
    init(signedEstimate: Double) {
        guard signedEstimate.isFinite else {
            self.init(signedEstimate > 0 ? Int64.max : Int64.min)
            return
        }
        self.init(Int64(min(max(signedEstimate.rounded(), -9.2e18), 9.2e18)))
    }
}
