import KeelCore
import KeelStorage
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Writes the bodies policies keep, off the request path and after their records: the recorder
/// hands over each batch's records (``keep(_:)``); this service seals their bodies with the
/// organisations' keys and stores them, in batches.
///
/// Memory is bounded: bodies waiting to be written take at most `maximumPendingBytes`; past it a
/// body is dropped and counted (`keel_bodies_dropped_total`), never the record. A write that
/// fails is retried a few times, then its bodies are dropped and counted. On graceful shutdown
/// (after the recorder's last batch) it writes what is left.
final class BodyKeeper: Service, Sendable {
    private struct State {
        var pending: [RequestRecord] = []
        var pendingBytes = 0
        var kept = 0
        var dropped = 0
    }

    private let vault: BodyVault
    private let maximumPendingBytes: Int
    private let logger: Logger
    private let state = Mutex(State())
    private let wakeUp = WakeableSleep()

    init(vault: BodyVault, maximumPendingBytes: Int = 64 << 20, logger: Logger) {
        self.vault = vault
        self.maximumPendingBytes = maximumPendingBytes
        self.logger = logger
    }

    /// Queues the kept bodies of `records` (records without any are passed over).
    func keep(_ records: [RequestRecord]) {
        var queued = false
        var dropped = 0
        self.state.withLock { state in
            for record in records {
                guard let bodies = record.keptBodies else { continue }
                let size = bodies.byteCount
                guard state.pendingBytes + size <= self.maximumPendingBytes else {
                    state.dropped += 1
                    dropped += 1
                    continue
                }
                state.pending.append(record)
                state.pendingBytes += size
                queued = true
            }
        }
        if dropped > 0 {
            self.logger.error(
                "Kept bodies dropped: too many waiting to be written",
                metadata: ["keel.bodies.dropped": "\(dropped)"]
            )
        }
        if queued { self.wakeUp.wake() }
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.wakeUp.sleep(until: .now + .seconds(60))
                await self.writePending()
            }
        }
        await self.writePending()
    }

    /// Seals and stores everything queued.
    func writePending() async {
        while true {
            let batch = self.state.withLock { state -> [RequestRecord] in
                let batch = Array(state.pending.prefix(256))
                state.pending.removeFirst(batch.count)
                state.pendingBytes -= batch.reduce(0) {
                    $0 + $1.keptBodies!.byteCount
                }
                return batch
            }
            guard !batch.isEmpty else { return }
            await self.write(batch)
        }
    }

    private func write(_ batch: [RequestRecord]) async {
        var delay: Duration = .milliseconds(100)
        for attempt in 1...5 {
            do {
                var sealed: [SealedBody] = []
                for record in batch { sealed.append(try await self.vault.seal(record, record.keptBodies!)) }
                let result = try await self.vault.store.insert(sealed)
                // Sealed with a key erased meanwhile: erased with it. Its organisation gets a new
                // key for what comes next.
                for org in Set(sealed.filter { result.erasedKeys.contains($0.keyID) }.map(\.org)) {
                    self.vault.forget(org: org)
                }
                self.state.withLock { $0.kept += result.stored.count }
                return
            } catch {
                self.logger.warning(
                    "Kept bodies could not be written; retrying",
                    metadata: [
                        "error.message": "\(error)", "keel.bodies.count": "\(batch.count)",
                        "keel.attempt": "\(attempt)",
                    ]
                )
                try? await Task.sleep(for: delay)
                delay *= 2
            }
        }
        self.state.withLock { $0.dropped += batch.count }
        self.logger.error("Kept bodies dropped: the store failed", metadata: ["keel.bodies.dropped": "\(batch.count)"])
    }

    /// Bodies written and bodies dropped so far.
    var counts: (kept: Int, dropped: Int) { self.state.withLock { ($0.kept, $0.dropped) } }

    /// `/metrics` lines.
    func prometheusText() -> String {
        let counts = self.counts
        return """
            # HELP keel_bodies_kept_total Request and answer bodies sealed and stored (policies' keep_bodies).
            # TYPE keel_bodies_kept_total counter
            keel_bodies_kept_total \(counts.kept)
            # HELP keel_bodies_dropped_total Kept bodies not stored (too many waiting, the store failing).
            # TYPE keel_bodies_dropped_total counter
            keel_bodies_dropped_total \(counts.dropped)

            """
    }
}
