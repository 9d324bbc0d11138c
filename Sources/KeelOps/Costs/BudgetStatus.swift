public import KeelCore

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// What a budget allows and what has been spent against it in its current period: the input of
/// ``BudgetProjector``.
public struct BudgetStatus: Sendable, Hashable {
    /// The most the scope may spend in one period.
    public var limit: USDNanos
    /// The current period, from local midnight to local midnight (end excluded), as
    /// ``BudgetCycle/period(containing:in:)`` gives it.
    public var period: DateInterval
    /// Spend from the start of the period until now, today's spend included.
    public var spentInPeriod: USDNanos
    /// The part of `spentInPeriod` spent since the start of today.
    public var spentToday: USDNanos

    /// A status; `spentToday` larger than `spentInPeriod`, or a negative amount, is a programmer error.
    public init(limit: USDNanos, period: DateInterval, spentInPeriod: USDNanos, spentToday: USDNanos) {
        precondition(spentToday >= .zero && spentToday <= spentInPeriod, "today's spend is part of the period's")
        precondition(limit >= .zero, "a budget limit is never negative")
        self.limit = limit
        self.period = period
        self.spentInPeriod = spentInPeriod
        self.spentToday = spentToday
    }
}
