import KeelCore
import Logging
import ServiceLifecycle

/// Reloads an in-memory snapshot of shared state (policies, agents) from the database every
/// `interval`, so that a change made on another instance applies here within one interval.
struct PeriodicReload: Service {
    /// What is reloaded, for the log (`policies`, `agents`).
    let name: String
    let interval: Duration
    let logger: Logger
    let reload: @Sendable () async throws -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.interval)
                guard !Task.isCancelled else { break }
                do {
                    try await self.reload()
                } catch is CancellationError {
                    break
                } catch {
                    self.logger.warning(
                        "Shared state could not be reloaded",
                        metadata: ["keel.reload": "\(self.name)", LogKey.errorType: "\(type(of: error))"]
                    )
                }
            }
        }
    }
}
