import KeelCore
import Logging
import ServiceLifecycle

/// Runs the control-plane side of budgets: flushes the ledger and reloads the budgets every
/// flush interval, checks soft limits and forecasts every alert interval, and flushes a last
/// time at shutdown (after the server has stopped, so every settled request is written).
final class BudgetService: Service, Sendable {
    let limit: BudgetLimit
    let alerts: BudgetAlerts?
    let alertInterval: Duration
    private let logger: Logger

    init(limit: BudgetLimit, alerts: BudgetAlerts?, alertInterval: Duration, logger: Logger) {
        self.limit = limit
        self.alerts = alerts
        self.alertInterval = alertInterval
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var sinceAlerts = Duration.zero
            while !Task.isCancelled {
                try? await Task.sleep(for: self.limit.settings.flushInterval)
                guard !Task.isCancelled else { break }
                await self.limit.flush()
                do {
                    try await self.limit.reload()
                } catch {
                    self.logger.warning("Budgets could not be reloaded", metadata: [LogKey.errorType: "\(type(of: error))"])
                }
                sinceAlerts += self.limit.settings.flushInterval
                if sinceAlerts >= self.alertInterval, let alerts = self.alerts {
                    sinceAlerts = .zero
                    await alerts.evaluate(now: WallClock.unixMicros())
                }
            }
        }
        await self.limit.flush()
    }
}
