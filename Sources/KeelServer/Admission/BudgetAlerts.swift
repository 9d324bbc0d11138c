import KeelCore
import KeelOps
import KeelStorage
import Logging
import Synchronization

/// Budget alerts: `budget_soft_limit` when a budget's spend reaches its soft limit, and
/// `budget_projected_exhaustion` when its spend forecast runs out before the period ends. Each
/// fires once per budget period and resolves when its condition no longer holds (a new period,
/// a raised limit). Several instances agree through the setting store on which one sends.
final class BudgetAlerts: Sendable {
    enum Kind: String, Sendable, CaseIterable {
        case softLimit = "budget_soft_limit"
        case projectedExhaustion = "budget_projected_exhaustion"
        /// At the last hour's spend rate, the limit is reached within 24 hours.
        case imminentExhaustion = "budget_exhaustion_imminent"
    }

    private let limit: BudgetLimit
    private let stores: KeelStores
    private let alerts: AlertService
    private let logger: Logger
    /// The firing notification of each (budget, kind).
    private let firing = Mutex<[String: AlertNotification]>([:])

    init(limit: BudgetLimit, stores: KeelStores, alerts: AlertService, logger: Logger) {
        self.limit = limit
        self.stores = stores
        self.alerts = alerts
        self.logger = logger
    }

    func evaluate(now: Int64) async {
        var notifications: [AlertNotification] = []
        for rule in self.limit.currentRules {
            let report: BudgetReport
            do {
                report = try await BudgetReport.make(
                    rule,
                    stores: self.stores,
                    now: now,
                    leaseTTL: self.limit.settings.leaseTTL
                )
            } catch {
                self.logger.warning(
                    "Budget report failed",
                    metadata: ["budget": "\(rule.id)", LogKey.errorType: "\(type(of: error))"]
                )
                continue
            }
            for kind in Kind.allCases {
                let holds: Bool
                switch kind {
                case .softLimit: holds = report.softLimitReached
                case .projectedExhaustion: holds = report.projectedToExhaust
                case .imminentExhaustion: holds = !report.exhausted && report.exhaustsWithin(minutes: 24 * 60)
                }
                let key = rule.id.rawValue + "|" + kind.rawValue
                let current = self.firing.withLock { $0[key] }
                if holds, current == nil, let period = report.period {
                    // One instance sends per budget period and kind.
                    let claim = "budget-alert:\(rule.id.rawValue):\(period.start):\(kind.rawValue)"
                    let winner =
                        (try? await self.stores.settings.insertIfAbsent(self.limit.instanceID, for: claim))
                        ?? self.limit.instanceID
                    let notification = Self.notification(kind, report: report, now: now)
                    self.firing.withLock { $0[key] = notification }
                    if winner == self.limit.instanceID { notifications.append(notification) }
                } else if !holds, var resolved = current {
                    self.firing.withLock { $0[key] = nil }
                    resolved.status = .resolved
                    resolved.endsAtMicros = now
                    notifications.append(resolved)
                }
            }
        }
        await self.alerts.deliver(notifications)
    }

    static func notification(_ kind: Kind, report: BudgetReport, now: Int64) -> AlertNotification {
        let budget = report.budget
        var labels = ["budget": budget.id.rawValue, "scope": "\(budget.scopeKind.rawValue):\(budget.scopeValue)"]
        labels["budget_name"] = budget.name
        var details: [String: Double] = ["spent_usd": report.spent.dollars, "limit_usd": budget.limit.dollars]
        let summary: String
        switch kind {
        case .softLimit:
            let soft = budget.softLimit ?? budget.limit
            details["soft_limit_usd"] = soft.dollars
            summary =
                "Budget '\(budget.name)' spent \(report.spent) of \(budget.limit), past its soft limit of \(soft)."
        case .projectedExhaustion:
            if let projected = report.projection?.projectedSpend {
                details["projected_spend_usd"] = projected.point.dollars
                details["projected_spend_upper_usd"] = projected.upper.dollars
            }
            let day = report.projection?.exhaustionDay.map { "\($0)".prefix(10) } ?? "?"
            summary =
                "Budget '\(budget.name)' is projected to reach its limit of \(budget.limit) on \(day), before its period ends."
        case .imminentExhaustion:
            let minutes = report.minutesUntilExhaustion ?? 0
            details["minutes_until_exhaustion"] = minutes
            let hours = (minutes / 6).rounded() / 10
            summary =
                "Budget '\(budget.name)' spent \(report.spent) of \(budget.limit) and runs out in about \(hours) h at the last hour's rate."
        }
        return AlertNotification(
            rule: kind.rawValue,
            severity: kind == .softLimit ? .ticket : .page,
            status: .firing,
            labels: labels,
            value: report.spent.dollars,
            threshold: (kind == .softLimit ? budget.softLimit ?? budget.limit : budget.limit).dollars,
            details: details,
            summary: summary,
            startsAtMicros: now
        )
    }
}

extension USDNanos {
    /// Dollars as a floating-point number, for alert values (never for accounting).
    var dollars: Double { Double(self.rawValue) / 1_000_000_000 }
}
