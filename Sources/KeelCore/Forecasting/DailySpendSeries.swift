/// The spend of one scope per calendar day, oldest day first: the input of ``SpendForecaster``.
///
/// Each amount is one whole local day of the scope's time zone. `firstWeekday` tells which weekday the
/// first amount is, numbered as Foundation's `Calendar` does (1 = Sunday … 7 = Saturday), so that the
/// fitted weekly pattern can be reported per weekday.
public struct DailySpendSeries: Sendable, Hashable {
    /// Spend per day, oldest first. Amounts are never negative.
    public var amounts: [USDNanos]
    /// The weekday of `amounts[0]`: 1 = Sunday … 7 = Saturday.
    public var firstWeekday: Int

    /// A series of `amounts`, the first of which falls on `firstWeekday` (1 = Sunday … 7 = Saturday).
    ///
    /// A weekday outside 1...7 or a negative amount is a programmer error.
    public init(amounts: [USDNanos], firstWeekday: Int) {
        precondition((1...7).contains(firstWeekday), "weekdays are numbered 1 (Sunday) to 7 (Saturday)")
        precondition(amounts.allSatisfy { $0 >= .zero }, "daily spend is never negative")
        self.amounts = amounts
        self.firstWeekday = firstWeekday
    }

    /// The number of days in the series.
    public var count: Int { self.amounts.count }

    /// The weekday (1 = Sunday … 7 = Saturday) of day `index`, counted from the first day; `index` may
    /// lie past the end, for forecast days.
    public func weekday(ofDay index: Int) -> Int {
        ((self.firstWeekday - 1 + index) % 7 + 7) % 7 + 1
    }
}
