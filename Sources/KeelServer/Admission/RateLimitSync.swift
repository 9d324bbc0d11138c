import KeelCore
import KeelStorage
import Logging
import ServiceLifecycle

/// Keeps the rate limiter in step with the shared database, off the request path: every
/// `interval` it reloads the stored rules (so a rule made on another instance applies here
/// within one interval), renews this instance's concurrency leases (trimmed to what is in flight
/// plus a slice) and gives unused window capacity back; now and then it deletes old windows and
/// expired leases. On graceful shutdown it gives its concurrency leases back.
struct RateLimitSync: Service {
    let limiter: RateLimiter
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var rounds = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: self.interval)
                guard !Task.isCancelled else { break }
                await self.synchronise(purge: rounds % 120 == 0)
                rounds += 1
            }
        }
        await self.limiter.releaseLeases()
    }

    /// One round: rules, leases, surplus, and (when `purge`) windows older than two days.
    func synchronise(purge: Bool = false) async {
        do {
            try await self.limiter.reload()
        } catch {
            self.logger.warning("Rate limit rules could not be reloaded", metadata: [LogKey.errorType: "\(type(of: error))"])
        }
        await self.limiter.renewLeases()
        if purge {
            let now = WallClock.unixMicros()
            try? await self.limiter.store.purge(windowsBefore: now / 1_000_000 - 2 * 86_400, now: now)
        }
    }
}
