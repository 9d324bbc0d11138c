/// The fitted parameters of the additive damped-trend exponential smoothing model (Holt–Winters in
/// error-correction form) that ``SpendForecaster`` uses.
///
/// With one-step error `e` the state moves as
/// `level += phi·trend + alpha·e`, `trend = phi·trend + beta·e`, `season[weekday] += gamma·e`.
/// `beta` never exceeds `alpha` and `gamma` never exceeds `1 − alpha`, so the model is forecastable.
public struct SmoothingParameters: Sendable, Hashable {
    /// How fast the level follows new days, in 0...1.
    public var alpha: Double
    /// How fast the trend follows new days, in 0...alpha.
    public var beta: Double
    /// How fast the weekly pattern follows new days, in 0...(1 − alpha); 0 when the model has no season.
    public var gamma: Double
    /// Trend damping: the trend of day `h` ahead is `(phi + … + phi^h)·trend`; 1 is an undamped trend.
    public var phi: Double

    /// Parameters as given; see the type's documentation for the allowed ranges.
    public init(alpha: Double, beta: Double, gamma: Double, phi: Double) {
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.phi = phi
    }
}
