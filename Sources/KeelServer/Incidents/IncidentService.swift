import KeelCore
import KeelOps
import Logging
import ServiceLifecycle

/// Runs the incident engine: handles the detections it is given, and every
/// `incidents.tick_interval_ms` checks regulatory clocks and what playbooks wait for. On
/// graceful shutdown it handles the detections already queued, then stops.
final class IncidentService: Service, Sendable {
    let engine: IncidentEngine
    private let interval: Duration
    private let webhooks: IncidentWebhooks
    private let ticks: [@Sendable (Int64) async -> Void]

    init(
        engine: IncidentEngine,
        interval: Duration,
        webhooks: IncidentWebhooks,
        ticks: [@Sendable (Int64) async -> Void] = []
    ) {
        self.engine = engine
        self.interval = interval
        self.webhooks = webhooks
        self.ticks = ticks
    }

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.engine.run() }
            group.addTask {
                await cancelWhenGracefulShutdown {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: self.interval)
                        guard !Task.isCancelled else { break }
                        await self.tick(now: WallClock.unixMicros())
                    }
                }
                self.engine.finish()
            }
        }
        await self.webhooks.shutdown()
    }

    /// One round of the timed work.
    func tick(now: Int64) async {
        await self.engine.tick(now: now)
        for tick in self.ticks { await tick(now) }
    }
}
