public import KeelCore
public import KeelStorage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
public import Foundation
#endif

/// Where a budget stands in its current period, across every instance, with the projection of
/// its spend to the period's end.
public struct BudgetReport: Sendable {
    public let budget: Budget
    /// The current period as Unix seconds, `nil` outside a fixed budget's window.
    public let period: (start: Int64, end: Int64)?
    /// Settled spend of every instance in the period.
    public let spent: USDNanos
    /// What live instances hold beyond their spend: reservations of requests in flight and slices.
    public let held: USDNanos
    /// The projection to the period's end (calendar budgets with spend history only).
    public let projection: BudgetProjection?
    /// Minutes until the limit is reached at the scope's spend rate of the last one to two
    /// hours (whole hours of the cost rollups), `nil` when it is not reached before the period
    /// ends at that rate; 0 when already reached.
    public var minutesUntilExhaustion: Double? = nil

    /// Whether the limit is reached within `minutes` at the recent spend rate (a budget projected
    /// to run out within 24 hours is a cost incident, not only a notice).
    public func exhaustsWithin(minutes: Double) -> Bool {
        guard let left = self.minutesUntilExhaustion else { return false }
        return left <= minutes
    }

    public var softLimitReached: Bool { self.budget.softLimit.map { self.spent >= $0 } ?? false }
    public var exhausted: Bool { self.spent >= self.budget.limit }

    /// Whether the point forecast runs out before the period ends.
    public var projectedToExhaust: Bool {
        guard let projection = self.projection, let day = projection.exhaustionDay, let period = self.period else {
            return false
        }
        return Int64(day.timeIntervalSince1970) < period.end
    }

    /// Builds the report of `rule` at `now` (Unix microseconds) from the ledger and, for the
    /// projection, the hourly cost rollups of the budget's scope over the last four weeks.
    public static func make(
        _ rule: BudgetRule,
        stores: KeelStores,
        now: Int64,
        leaseTTL: Duration
    ) async throws -> BudgetReport {
        let budget = rule.budget
        let seconds = now / 1_000_000
        guard let period = rule.period(at: seconds) else {
            return BudgetReport(budget: budget, period: nil, spent: .zero, held: .zero, projection: nil)
        }
        let entries = try await stores.budgets.ledger(budgetID: budget.id, periodStart: period.start)
        let liveSince = now - leaseTTL.microseconds
        let spent = entries.reduce(USDNanos.zero) { $0 + $1.spent }
        let held = entries.reduce(USDNanos.zero) { $0 + $1.held(liveSince: liveSince) } - spent
        // One read of the scope's hourly rollups serves the projection (the last four weeks,
        // calendar budgets) and the recent spend rate (since the previous hour began).
        let recentFrom = (seconds / 3_600 - 1) * 3_600
        let calendar = rule.zoneCalendar
        let today = calendar.startOfDay(for: Date(timeIntervalSince1970: Double(seconds)))
        let historyFrom =
            budget.period == .fixed ? nil : calendar.date(byAdding: .day, value: -28, to: today)
        var rows: [CostReportRow] = []
        if let (dimension, value) = Self.filter(of: budget) {
            // Reports cover whole minutes: up to the end of this one, so the spend of its seconds
            // so far counts at once.
            rows = try await stores.costs.costReport(
                CostReportQuery(
                    interval: .hour,
                    from: historyFrom.map { min(recentFrom, Int64($0.timeIntervalSince1970)) } ?? recentFrom,
                    to: (seconds / 60 + 1) * 60,
                    filters: [dimension: value]
                )
            )
        }
        var projection: BudgetProjection?
        if let historyFrom, let history = Self.dailyHistory(rows, calendar: calendar, from: historyFrom, today: today) {
            let date = Date(timeIntervalSince1970: Double(now) / 1_000_000)
            let status = BudgetStatus(
                limit: budget.limit,
                period: DateInterval(
                    start: Date(timeIntervalSince1970: Double(period.start)),
                    end: Date(timeIntervalSince1970: Double(period.end))
                ),
                spentInPeriod: spent,
                spentToday: min(history.today, spent)
            )
            projection = BudgetProjector(calendar: calendar).project(status, dailyHistory: history.days, now: date)
        }
        var report = BudgetReport(
            budget: budget,
            period: period,
            spent: spent,
            held: max(held, .zero),
            projection: projection
        )
        if !rows.isEmpty {
            let rate = Self.recentRate(rows, from: recentFrom, now: seconds)
            report.minutesUntilExhaustion =
                BudgetExhaustion(
                    spent: Double(spent.rawValue) / 1e9,
                    limit: Double(budget.limit.rawValue) / 1e9,
                    ratePerMinute: rate,
                    minutesLeftInPeriod: Double(period.end - seconds) / 60
                ).minutesUntilExhaustion
        }
        return report
    }

    /// USD per minute `rows` (hourly rollups) spent from `from` (Unix seconds, an hour's start)
    /// to `now`.
    private static func recentRate(_ rows: [CostReportRow], from: Int64, now: Int64) -> Double {
        let total = rows.reduce(USDNanos.zero) { total, row in
            guard let bucket = row.bucket, bucket >= from else { return total }
            return total + row.totals.cost
        }
        let minutes = max(1, Double(now - from) / 60)
        return Double(total.rawValue) / 1e9 / minutes
    }

    /// The cost dimension and value a budget's scope filters the rollups by.
    private static func filter(of budget: Budget) -> (CostDimension, String)? {
        let value = budget.scopeValue
        switch budget.scopeKind {
        case .org: return (.org, value)
        case .team: return (.team, value)
        case .project: return (.project, value)
        case .user: return (.user, value)
        case .key: return (.key, value)
        case .tag:
            guard let equals = value.firstIndex(of: "=") else { return nil }
            return (.tag(String(value[..<equals])), String(value[value.index(after: equals)...]))
        }
    }

    /// Spend per whole local day for the 28 days from `first` (oldest first), and today's so
    /// far, from hourly `rows`; `nil` when the scope had no traffic at all.
    private static func dailyHistory(
        _ rows: [CostReportRow],
        calendar: Calendar,
        from first: Date,
        today: Date
    ) -> (days: [USDNanos], today: USDNanos)? {
        guard !rows.isEmpty else { return nil }
        var days = [USDNanos](repeating: .zero, count: 28)
        var todaySpend = USDNanos.zero
        for row in rows {
            guard let bucket = row.bucket else { continue }
            let day = calendar.startOfDay(for: Date(timeIntervalSince1970: Double(bucket)))
            if day >= today {
                todaySpend += row.totals.cost
            } else if let index = calendar.dateComponents([.day], from: first, to: day).day,
                days.indices.contains(index)
            {
                days[index] += row.totals.cost
            }
        }
        return (days, todaySpend)
    }
}
