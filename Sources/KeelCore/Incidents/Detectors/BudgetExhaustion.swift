/// Projection of when a spending budget (an org's, team's or key's monthly
/// limit) will run out at the current spend rate, so Keel can warn
/// "budget projected to run out within 24 hours" before requests start being
/// refused.
///
/// A pure value: construct it from what was spent so far in the budget
/// period, the limit and a recent spend rate, and read the projection. It
/// holds four Doubles (32 bytes) and reads no clock.
public struct BudgetExhaustion: Sendable, Equatable {
    /// USD spent so far in the current budget period.
    public let spent: Double
    /// USD limit of the budget period.
    public let limit: Double
    /// Recent spend rate in USD per minute (ideally robust, see
    /// `robustRate(recentMinuteCosts:)`).
    public let ratePerMinute: Double
    /// Minutes until the budget period resets, if known; exhaustion projected
    /// after the reset is not reported.
    public let minutesLeftInPeriod: Double?

    /// Creates a projection.
    /// - Parameters:
    ///   - spent: USD spent so far in the period.
    ///   - limit: USD limit of the period.
    ///   - ratePerMinute: recent spend rate, USD per minute.
    ///   - minutesLeftInPeriod: minutes until the budget resets, or nil when
    ///     the budget never resets (a prepaid balance).
    public init(spent: Double, limit: Double, ratePerMinute: Double, minutesLeftInPeriod: Double? = nil) {
        self.spent = spent
        self.limit = limit
        self.ratePerMinute = ratePerMinute
        self.minutesLeftInPeriod = minutesLeftInPeriod
    }

    /// Projected minutes until the limit is reached: 0 when it already is,
    /// nil when it never will be at this rate (no spend, an invalid input,
    /// or not before the period resets).
    public var minutesUntilExhaustion: Double? {
        guard spent.isFinite, limit.isFinite, ratePerMinute.isFinite else { return nil }
        let remaining = limit - spent
        if remaining <= 0 { return 0 }
        guard ratePerMinute > 0 else { return nil }
        let minutes = remaining / ratePerMinute
        if let left = minutesLeftInPeriod, minutes > left { return nil }
        return minutes
    }

    /// Whether the budget is projected to run out within `minutes`
    /// (e.g. 1440 for the "within 24 hours" warning).
    public func isProjectedToRunOut(withinMinutes minutes: Double) -> Bool {
        guard let projected = minutesUntilExhaustion else { return false }
        return projected <= minutes
    }

    /// A spend rate in USD per minute from recent per-minute costs that one
    /// burst or one idle minute cannot swing: the mean after dropping the
    /// highest and lowest 10 % of minutes. 0 for no input; negative or
    /// non-finite costs count as 0.
    public static func robustRate(recentMinuteCosts: [Double]) -> Double {
        let cleaned = recentMinuteCosts.map { $0.isFinite ? max(0, $0) : 0 }.sorted()
        guard !cleaned.isEmpty else { return 0 }
        let trim = cleaned.count / 10
        let kept = cleaned[trim..<(cleaned.count - trim)]
        return kept.reduce(0, +) / Double(kept.count)
    }
}
