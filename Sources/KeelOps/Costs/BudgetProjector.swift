public import KeelCore

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Projects a budget to the end of its period from the scope's daily spend.
///
/// Today counts in part: the forecast of today is scaled by the share of the local day still to come
/// (23 or 25 hours on a daylight-saving day), on top of what was spent today so far. A pure value: no
/// I/O, no clock (the caller passes `now`), safe to share.
///
/// ```swift
/// var calendar = Calendar(identifier: .gregorian)
/// calendar.timeZone = TimeZone(identifier: "Europe/Berlin")!
/// let period = BudgetCycle.monthly.period(containing: now, in: calendar)
/// let status = BudgetStatus(limit: limit, period: period, spentInPeriod: spent, spentToday: today)
/// let projection = BudgetProjector(calendar: calendar).project(status, dailyHistory: lastDays, now: now)
/// ```
public struct BudgetProjector: Sendable {
    /// The budget's calendar: its time zone defines the days.
    public var calendar: Calendar
    public var forecaster: SpendForecaster

    public init(calendar: Calendar, forecaster: SpendForecaster = SpendForecaster()) {
        self.calendar = calendar
        self.forecaster = forecaster
    }

    /// The projection of `status` at `now`.
    ///
    /// - Parameters:
    ///   - dailyHistory: spend per whole local day, oldest first, ending with yesterday; it may reach back
    ///     before the period (a longer history gives the weekly pattern). Empty means no forecast.
    ///   - now: an instant inside `status.period`; outside it is a programmer error.
    public func project(_ status: BudgetStatus, dailyHistory: [USDNanos], now: Date) -> BudgetProjection {
        precondition(status.period.start <= now && now < status.period.end, "now lies inside the budget period")
        let calendar = self.calendar
        let today = calendar.startOfDay(for: now)
        let tomorrow = self.day(1, after: today)
        let elapsed = now.timeIntervalSince(today) / tomorrow.timeIntervalSince(today)
        guard let remainingDays = calendar.dateComponents([.day], from: today, to: status.period.end).day,
            remainingDays >= 1
        else {
            preconditionFailure("a period ends at a local midnight after today")
        }

        var projection = BudgetProjection(
            limit: status.limit,
            spentInPeriod: status.spentInPeriod,
            remainingDays: remainingDays,
            projectedSpend: nil,
            exhaustionDay: nil,
            earliestExhaustionDay: nil,
            forecast: nil
        )
        if projection.isExhausted {
            projection.exhaustionDay = today
            projection.earliestExhaustionDay = today
        }
        guard !dailyHistory.isEmpty else { return projection }

        let firstDay = self.day(-dailyHistory.count, after: today)
        let history = DailySpendSeries(
            amounts: dailyHistory,
            firstWeekday: calendar.component(.weekday, from: firstDay)
        )
        guard let forecast = self.forecaster.forecast(history, horizon: remainingDays) else { return projection }
        projection.forecast = forecast

        var weights = [Double](repeating: 1, count: remainingDays)
        weights[0] = 1 - elapsed
        let rest = forecast.total(weights: weights)
        projection.projectedSpend = SpendForecast.Interval(
            point: status.spentInPeriod + rest.point,
            lower: status.spentInPeriod + rest.lower,
            upper: status.spentInPeriod + rest.upper
        )

        guard !projection.isExhausted else { return projection }
        for offset in 0..<remainingDays {
            let total = forecast.total(weights: Array(weights[...offset]))
            if projection.earliestExhaustionDay == nil && status.spentInPeriod + total.upper >= status.limit {
                projection.earliestExhaustionDay = self.day(offset, after: today)
            }
            if status.spentInPeriod + total.point >= status.limit {
                projection.exhaustionDay = self.day(offset, after: today)
                break
            }
        }
        return projection
    }

    /// The local midnight `count` days after the local midnight `day` (before it when negative).
    private func day(_ count: Int, after day: Date) -> Date {
        guard let date = self.calendar.date(byAdding: .day, value: count, to: day) else {
            preconditionFailure("the Gregorian calendar adds days to any date")
        }
        return date
    }
}
