public import KeelCore

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Where a budget is heading: projected spend at the end of its period and the day it runs out.
///
/// Made by ``BudgetProjector``. Days are given as the `Date` of their local midnight in the budget's time
/// zone.
public struct BudgetProjection: Sendable {
    /// The budget's limit for the period.
    public var limit: USDNanos
    /// Spend from the start of the period until now.
    public var spentInPeriod: USDNanos
    /// The number of local days from today (counted whole) to the end of the period.
    public var remainingDays: Int
    /// Spend at the end of the period: spend so far plus the forecast of the rest of today and the days
    /// after, with the forecast's interval (80 % by default). `nil` when there is no history to forecast
    /// from, which is not the same as a forecast of zero.
    public var projectedSpend: SpendForecast.Interval?
    /// The first day on which the cumulative point forecast reaches the limit; today when the budget is
    /// already exhausted; `nil` when it does not run out within the period (or there is no forecast).
    public var exhaustionDay: Date?
    /// The first day on which the upper bound of the cumulative forecast reaches the limit: the earliest
    /// plausible exhaustion day. Never later than ``exhaustionDay``.
    public var earliestExhaustionDay: Date?
    /// The forecast of the days from today to the end of the period (today first), with its method and
    /// fitted parameters; `nil` when there is no history.
    public var forecast: SpendForecast?

    /// Whether spend has already reached the limit.
    public var isExhausted: Bool { self.spentInPeriod >= self.limit }
}
