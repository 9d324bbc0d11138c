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
        var projection: BudgetProjection?
        if budget.period != .fixed, let history = try await Self.dailyHistory(rule, stores: stores, now: seconds) {
            let calendar = rule.zoneCalendar
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
        if let rate = try await Self.recentRate(rule, stores: stores, now: seconds) {
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

    /// USD per minute the budget's scope spent since the start of the previous hour (hourly
    /// rollups), `nil` for a scope without rollups.
    private static func recentRate(_ rule: BudgetRule, stores: KeelStores, now: Int64) async throws -> Double? {
        guard let (dimension, value) = Self.filter(of: rule.budget) else { return nil }
        let from = (now / 3_600 - 1) * 3_600
        // Reports cover whole minutes: up to the end of this one, so the spend of its seconds so
        // far counts at once.
        let rows = try await stores.costs.costReport(
            CostReportQuery(interval: .hour, from: from, to: (now / 60 + 1) * 60, filters: [dimension: value])
        )
        let total = rows.reduce(USDNanos.zero) { $0 + $1.totals.cost }
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

    /// Spend of the budget's scope per whole local day for the 28 days before today (oldest
    /// first), and today's so far; `nil` when the scope had no traffic at all.
    private static func dailyHistory(
        _ rule: BudgetRule,
        stores: KeelStores,
        now: Int64
    ) async throws -> (days: [USDNanos], today: USDNanos)? {
        guard let (dimension, value) = Self.filter(of: rule.budget) else { return nil }
        let calendar = rule.zoneCalendar
        let today = calendar.startOfDay(for: Date(timeIntervalSince1970: Double(now)))
        guard let first = calendar.date(byAdding: .day, value: -28, to: today) else { return nil }
        let from = Int64(first.timeIntervalSince1970)
        let rows = try await stores.costs.costReport(
            CostReportQuery(interval: .hour, from: from, to: now + 1, filters: [dimension: value])
        )
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
