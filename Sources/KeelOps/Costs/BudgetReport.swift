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

    public var softLimitReached: Bool { self.budget.softLimit.map { self.spent >= $0 } ?? false }
    public var exhausted: Bool { self.spent >= self.budget.limit }

    /// Whether the point forecast runs out before the period ends.
    public var projectedToExhaust: Bool {
        guard let projection = self.projection, let day = projection.exhaustionDay, let period = self.period else { return false }
        return Int64(day.timeIntervalSince1970) < period.end
    }

    /// Builds the report of `rule` at `now` (Unix microseconds) from the ledger and, for the
    /// projection, the hourly cost rollups of the budget's scope over the last four weeks.
    public static func make(_ rule: BudgetRule, stores: KeelStores, now: Int64, leaseTTL: Duration) async throws -> BudgetReport {
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
        return BudgetReport(budget: budget, period: period, spent: spent, held: max(held, .zero), projection: projection)
    }

    /// Spend of the budget's scope per whole local day for the 28 days before today (oldest
    /// first), and today's so far; `nil` when the scope had no traffic at all.
    private static func dailyHistory(_ rule: BudgetRule, stores: KeelStores, now: Int64) async throws -> (days: [USDNanos], today: USDNanos)? {
        let budget = rule.budget
        let dimension: CostDimension
        var value = budget.scopeValue
        switch budget.scopeKind {
        case .org: dimension = .org
        case .team: dimension = .team
        case .project: dimension = .project
        case .user: dimension = .user
        case .key: dimension = .key
        case .tag:
            guard let equals = value.firstIndex(of: "=") else { return nil }
            dimension = .tag(String(value[..<equals]))
            value = String(value[value.index(after: equals)...])
        }
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
            } else if let index = calendar.dateComponents([.day], from: first, to: day).day, days.indices.contains(index) {
                days[index] += row.totals.cost
            }
        }
        return (days, todaySpend)
    }
}
