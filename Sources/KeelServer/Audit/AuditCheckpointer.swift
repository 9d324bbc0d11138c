import KeelCore
import KeelStorage
import Logging
import ServiceLifecycle
import Synchronization

/// Signs the audit log's checkpoints: at first start (size 0), at least every
/// `checkpoint_interval_ms` while entries arrive, whenever `checkpoint_entries` arrived since the
/// last one, and a final one at graceful shutdown, after the recorder has written everything.
///
/// Instances sharing a database sign one at a time: each tick, an instance takes or renews the
/// signer lease, and only the holder signs. Any instance may sign its final checkpoint: the log is
/// append-only, so checkpoints of one tree are always consistent. Run it in the service group
/// *before* the recorder, so it stops after it.
final class AuditCheckpointer: Service, Sendable {
    private let store: any AuditLogStore
    let signer: NoteSigner
    private let instanceID: String
    private let interval: Duration
    private let intervalMicros: Int64
    private let entriesPerCheckpoint: UInt64
    private let logger: Logger
    private let monitor = Mutex<AuditCompletenessMonitor?>(nil)
    private let state = Mutex<State>(State())

    private struct State {
        /// The size of the last checkpoint this instance signed or saw stored.
        var signedSize: UInt64 = 0
        var appendedSize: UInt64 = 0
    }

    /// The tick's sleep, ended early when enough entries arrived or at shutdown.
    private let sleeper = WakeableSleep()

    init(
        store: any AuditLogStore,
        signer: NoteSigner,
        instanceID: String,
        configuration: KeelConfiguration.Compliance.Audit,
        logger: Logger
    ) {
        self.store = store
        self.signer = signer
        self.instanceID = instanceID
        self.interval = .milliseconds(configuration.checkpointIntervalMs)
        self.intervalMicros = Int64(configuration.checkpointIntervalMs) * 1_000
        self.entriesPerCheckpoint = UInt64(configuration.checkpointEntries)
        self.logger = logger
    }

    /// Runs `monitor` on every tick.
    func watch(with monitor: AuditCompletenessMonitor) {
        self.monitor.withLock { $0 = monitor }
    }

    /// At start, before any entry of this process: signs the first checkpoint of a new log (size
    /// 0), and returns the `checkpoint` entry to append when this key has signed no stored
    /// checkpoint yet, so the log itself records the key that vouches for it.
    func start() async throws -> AuditEntry.CheckpointSigned? {
        let latest = try await self.store.latestCheckpoint()
        if latest == nil { try await self.sign(force: true) }
        let key = self.signer.verifierKey
        let signedBefore = latest.map { (try? AuditCheckpoint.verified($0.note, by: key)) != nil } ?? false
        guard !signedBefore else { return nil }
        let stored = try await self.store.latestCheckpoint()
        guard let stored else { return nil }
        return AuditEntry.CheckpointSigned(
            treeSize: stored.treeSize,
            rootHash: stored.rootHash,
            verifierKey: key.description
        )
    }

    /// The recorder wrote entries: sign early once `checkpoint_entries` have arrived.
    func appended(_ result: AuditAppendResult) {
        let due = self.state.withLock { state -> Bool in
            state.appendedSize = max(state.appendedSize, result.treeSize)
            return state.appendedSize >= state.signedSize + self.entriesPerCheckpoint
        }
        if due { self.sleeper.wake() }
    }

    func run() async throws {
        let tick = min(self.interval / 4, .seconds(5))
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                await self.sleeper.sleep(until: .now + tick)
                if Task.isShuttingDownGracefully { break }
                await self.tick()
            }
        } onGracefulShutdown: {
            self.sleeper.wake()
        }
        // The recorder has stopped (it is stopped first): what it wrote is in the final checkpoint.
        do {
            try await self.sign(force: false)
        } catch {
            self.logger.error("The final audit checkpoint could not be signed", metadata: ["error.message": "\(error)"])
        }
    }

    /// One tick: renew the lease; the holder signs when the interval has passed or enough entries
    /// arrived; the completeness monitor runs on every instance.
    func tick() async {
        do {
            let now = WallClock.unixMicros()
            // Half an interval, renewed every quarter: a successor signs within about 1.5 intervals.
            let lease = max(self.intervalMicros / 2, 1_000_000)
            if try await self.store.acquireSignerLease(instanceID: self.instanceID, now: now, expiresAt: now + lease) {
                try await self.sign(force: false, dueAfter: now)
            }
        } catch {
            self.logger.error(
                "Audit checkpoint failed; retrying at the next tick",
                metadata: ["error.message": "\(error)"]
            )
        }
        await self.monitor.withLock { $0 }?.check()
    }

    /// Signs the tree as stored now, when it has grown since the latest checkpoint and (unless
    /// `dueAfter` is nil) the interval has passed or `checkpoint_entries` arrived; `force` signs
    /// even an unchanged tree (the first checkpoint of a new log).
    func sign(force: Bool, dueAfter now: Int64? = nil) async throws {
        let head = try await self.store.head()
        let latest = try await self.store.latestCheckpoint()
        if let latest {
            self.state.withLock { $0.signedSize = max($0.signedSize, latest.treeSize) }
        }
        if !force {
            guard let latest, head.size > latest.treeSize else { return }
            if let now {
                let due =
                    now - latest.signedAt >= self.intervalMicros
                    || head.size - latest.treeSize >= self.entriesPerCheckpoint
                guard due else { return }
            }
        }
        let checkpoint = AuditCheckpoint(origin: self.signer.name, size: head.size, rootHash: head.rootHash)
        let note = try checkpoint.signedNote(by: self.signer)
        try await self.store.addCheckpoint(
            StoredAuditCheckpoint(
                treeSize: head.size,
                rootHash: head.rootHash,
                note: note,
                signedAt: WallClock.unixMicros(),
                instanceID: self.instanceID
            )
        )
        self.state.withLock { $0.signedSize = max($0.signedSize, head.size) }
    }
}
