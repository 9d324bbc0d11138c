public import KeelCore
public import KeelStorage
public import Logging
import NIOPosix
public import ServiceLifecycle
import Synchronization

/// Writes request records, and the audit log's entry of each, to the store in batches, off the
/// request path, and never drops one.
///
/// `record(_:)` appends to a bounded in-memory buffer and returns at once; when the buffer is full
/// the request waits for space (backpressure) instead of losing its record. `run()` drains the
/// buffer in batches of up to `batchSize`; a failed write is retried with backoff, keeping the
/// batch. On graceful shutdown it stops when every record accepted so far is written. Run it in
/// the application's `ServiceGroup` *before* the HTTP server, so that it shuts down after the
/// server has finished its last request.
///
/// Each batch is written with its audit entries in one transaction: one `request` entry per
/// record, and the entries queued with ``append(_:time:)`` (admin changes, the configuration
/// loaded). The recorder numbers its instance's entries 1, 2, 3… as they are written, so a batch
/// that fails and is retried keeps its numbers and the sequence has no gap. Entries are encoded and
/// hashed on a thread of the recorder's own at low priority, not on the threads serving requests.
public final class RequestRecorder: Service, Sendable {
    /// What the buffer holds: a request's record, or an audit entry of its own.
    ///
    /// Indirect: a record is about 2 KB inline, and the buffer (4,096 slots reserved) and each
    /// batch would otherwise hold and copy that much per slot. Removing a batch from the front
    /// of the buffer reallocated it whole, so two 8.7 MB buffers were live at a time under load.
    indirect enum Item: Sendable {
        case record(RequestRecord)
        case entry(AuditEntry.Payload, time: Int64, written: DurableWrite?)

        /// An entry someone waits for (strict mode).
        var isAwaited: Bool {
            if case .entry(_, _, .some) = self { return true }
            return false
        }
    }

    /// Someone waiting until an entry is durably stored (strict mode), told once.
    final class DurableWrite: Sendable {
        private let state = Mutex<(result: Bool?, waiter: CheckedContinuation<Bool, Never>?)>((nil, nil))

        func finish(_ stored: Bool) {
            let waiter = self.state.withLock { state -> CheckedContinuation<Bool, Never>? in
                guard state.result == nil else { return nil }
                state.result = stored
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: stored)
        }

        func wait() async -> Bool {
            await withCheckedContinuation { continuation in
                let done = self.state.withLock { state -> Bool? in
                    if let result = state.result { return result }
                    state.waiter = continuation
                    return nil
                }
                if let done { continuation.resume(returning: done) }
            }
        }
    }

    private struct State: ~Copyable {
        var buffer: [Item] = []
        var waitingProducers: [CheckedContinuation<Void, Never>] = []
        var waitingConsumer: CheckedContinuation<Void, Never>?
        var shuttingDown = false
        var written = 0
        /// The partial batch in the buffer has already waited its flush interval.
        var collected = false
        /// An item in the buffer waits to be durable: write without waiting for more.
        var urgent = false
        /// The last write failed and is being retried.
        var storeFailing = false
        /// The next entry's `seq`.
        var nextSeq: UInt64 = 1
        var counts = AuditCounts()
    }

    /// What this instance has handed to and written into the audit log (the completeness
    /// monitor reconciles them).
    public struct AuditCounts: Sendable, Equatable {
        /// Records accepted by ``record(_:)``.
        public var recordsAccepted = 0
        /// `request` entries written (one per record stored).
        public var requestEntriesWritten = 0
        /// Entries written, every kind.
        public var entriesWritten = 0
        /// Records the store refused for good, so without an entry.
        public var recordsSetAside = 0
        /// The last `seq` written.
        public var lastSeq: UInt64 = 0
        /// Records and entries in the buffer, not written yet.
        public var buffered = 0
    }

    /// The largest batch written while the recorder is behind (see `drainLoop`).
    static let catchUpBatch = 128

    private let state = Mutex(State())
    /// The drain loop's wait for a partial batch to fill up.
    private let collecting = WakeableSleep()
    private let store: any RequestRecordStore
    private let capacity: Int
    private let batchSize: Int
    private let flushInterval: Duration
    private let logger: Logger
    private let observe: (@Sendable ([RequestRecord]) -> Void)?
    private let appended: (@Sendable (AuditAppendResult) -> Void)?
    private let encoder: NIOThreadPool
    /// This process in the audit log (`instance_id`).
    public let instanceID: String

    /// - Parameter flushInterval: how long a partial batch may wait for more records. Each write
    ///   is a database transaction; at low traffic, waiting a little turns one transaction per
    ///   request into one per interval. Records reach the store at most this late plus one write.
    /// - Parameter observe: called with each batch before it is written, on the recorder's task
    ///   (off the request path) — the live monitoring engine reads every record here.
    /// - Parameter appended: called after each write with where its audit entries went.
    public init(
        store: any RequestRecordStore,
        capacity: Int,
        batchSize: Int,
        flushInterval: Duration = .milliseconds(20),
        instanceID: String = "keel-" + String(UInt64.random(in: .min ... .max), radix: 16),
        logger: Logger,
        observe: (@Sendable ([RequestRecord]) -> Void)? = nil,
        appended: (@Sendable (AuditAppendResult) -> Void)? = nil
    ) {
        self.observe = observe
        self.appended = appended
        self.store = store
        self.capacity = max(1, capacity)
        self.batchSize = max(1, batchSize)
        self.flushInterval = flushInterval
        self.instanceID = instanceID
        self.logger = logger
        self.encoder = NIOThreadPool(numberOfThreads: 1)
        self.encoder.start()
        self.state.withLock { $0.buffer.reserveCapacity(min(capacity, 4_096)) }
    }

    deinit {
        self.encoder.shutdownGracefully { _ in }
    }

    /// Queues `record` for writing. Suspends only while the buffer is full.
    public func record(_ record: RequestRecord) async {
        await self.enqueue(.record(record))
    }

    /// Queues an audit entry that has no record (an admin change, the configuration loaded),
    /// written with the next batch. Suspends only while the buffer is full.
    public func append(_ payload: AuditEntry.Payload, time: Int64) async {
        await self.enqueue(.entry(payload, time: time, written: nil))
    }

    /// Queues an audit entry and returns once it is durably stored (`true`), or `false` when the
    /// store is failing or `timeout` passes first: strict mode answers nothing it could not log.
    public func appendDurably(_ payload: AuditEntry.Payload, time: Int64, timeout: Duration) async -> Bool {
        if self.state.withLock({ $0.storeFailing }) { return false }
        let written = DurableWrite()
        await self.enqueue(.entry(payload, time: time, written: written))
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { await written.wait() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                written.finish(false)
                return false
            }
            let stored = await group.next() ?? false
            group.cancelAll()
            return stored
        }
    }

    private func enqueue(_ item: Item) async {
        while true {
            enum Next {
                case done(CheckedContinuation<Void, Never>?, urgent: Bool)
                case wait
            }
            let next = self.state.withLock { state -> Next in
                guard state.buffer.count < self.capacity else { return .wait }
                state.buffer.append(item)
                var urgent = false
                switch item {
                case .record: state.counts.recordsAccepted += 1
                case .entry(_, _, let written):
                    if written != nil {
                        state.urgent = true
                        urgent = true
                    }
                }
                let consumer = state.waitingConsumer
                state.waitingConsumer = nil
                return .done(consumer, urgent: urgent)
            }
            switch next {
            case .done(let consumer, let urgent):
                consumer?.resume()
                if urgent { self.collecting.wake() }
                return
            case .wait:
                await withCheckedContinuation { continuation in
                    let resumeNow = self.state.withLock { state -> Bool in
                        if state.buffer.count < self.capacity { return true }
                        state.waitingProducers.append(continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
    }

    /// Records written so far (for tests and `/readyz` diagnostics).
    public var writtenCount: Int { self.state.withLock { $0.written } }

    /// What this instance has handed to and written into the audit log so far.
    public var auditCounts: AuditCounts {
        self.state.withLock { state in
            var counts = state.counts
            counts.buffered = state.buffer.count
            return counts
        }
    }

    /// Whether the last write failed (and is being retried).
    public var storeFailing: Bool { self.state.withLock { $0.storeFailing } }

    public func run() async throws {
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await self.drainLoop()
            } onGracefulShutdown: {
                self.beginShutdown()
            }
        } onCancel: {
            self.beginShutdown()
        }
    }

    private func beginShutdown() {
        let consumer = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.shuttingDown = true
            defer { state.waitingConsumer = nil }
            return state.waitingConsumer
        }
        consumer?.resume()
        self.collecting.wake()
    }

    private func drainLoop() async {
        while true {
            enum Next {
                case write([Item], urgent: Bool, [CheckedContinuation<Void, Never>])
                case collect, wait, stop
            }
            let next = self.state.withLock { state -> Next in
                if !state.buffer.isEmpty && state.buffer.count < self.batchSize && !state.shuttingDown
                    && !state.collected && !state.urgent
                {
                    state.collected = true
                    return .collect
                }
                if !state.buffer.isEmpty {
                    state.collected = false
                    state.urgent = false
                    // Behind (two batches or more waiting), the store writes at normal priority
                    // to catch up, in batches of at most `catchUpBatch` records: each such write
                    // holds the core the requests are served on, so a short one bounds their wait.
                    let behind = state.buffer.count >= 2 * self.batchSize
                    let count = min(behind ? Self.catchUpBatch : self.batchSize, state.buffer.count)
                    let batch = Array(state.buffer.prefix(count))
                    state.buffer.removeFirst(count)
                    let producers = state.waitingProducers
                    state.waitingProducers = []
                    return .write(batch, urgent: behind || batch.contains(where: \.isAwaited), producers)
                }
                return state.shuttingDown ? .stop : .wait
            }
            switch next {
            case .stop:
                self.logger.debug(
                    "Request recorder drained",
                    metadata: ["keel.records.written": "\(self.writtenCount)"]
                )
                return
            case .wait:
                await withCheckedContinuation { continuation in
                    let resumeNow = self.state.withLock { state -> Bool in
                        if !state.buffer.isEmpty || state.shuttingDown { return true }
                        state.waitingConsumer = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            case .collect:
                // A partial batch waits its flush interval to fill up, cut short by shutdown or by
                // an entry someone waits for (strict mode). One sleep per interval: waking the
                // drain loop more often took the serving core from requests.
                await self.collecting.sleep(until: .now + self.flushInterval)
            case .write(let batch, let urgent, let producers):
                for producer in producers { producer.resume() }
                if let observe = self.observe {
                    let records = batch.compactMap { item -> RequestRecord? in
                        if case .record(let record) = item { return record }
                        return nil
                    }
                    if !records.isEmpty { observe(records) }
                }
                await self.write(batch, urgent: urgent)
            }
        }
    }

    /// Writes one batch with its audit entries, retrying until it is stored. Records are never
    /// dropped for a failing store: while it fails, the buffer fills and requests wait; entries
    /// someone waits for are given up at once (strict mode refuses that request). A batch the
    /// store refuses for good (a duplicate id, a value the schema forbids) is written item by
    /// item, so only the refused record is set aside — logged by id, never retried forever.
    private func write(_ batch: [Item], urgent: Bool) async {
        var batch = batch
        var delay: Duration = .milliseconds(50)
        while !batch.isEmpty {
            let firstSeq = self.state.withLock { $0.nextSeq }
            let (records, leaves) = await self.encode(batch, firstSeq: firstSeq)
            do {
                let result = try await self.store.append(records, audit: leaves, urgent: urgent)
                self.state.withLock { state in
                    state.written += records.count
                    state.nextSeq = firstSeq + UInt64(leaves.count)
                    state.storeFailing = false
                    state.counts.requestEntriesWritten += records.count
                    state.counts.entriesWritten += leaves.count
                    state.counts.lastSeq = state.nextSeq - 1
                }
                for case .entry(_, _, let written?) in batch { written.finish(true) }
                if let result { self.appended?(result) }
                return
            } catch let error as StorageError where error.code == .conflict || error.code == .invalidValue {
                if batch.count > 1 {
                    for item in batch { await self.write([item], urgent: urgent) }
                } else {
                    if case .entry(_, _, let written?) = batch.first { written.finish(false) }
                    if case .record = batch.first { self.state.withLock { $0.counts.recordsSetAside += 1 } }
                    self.logger.critical(
                        "A request record or audit entry was refused by the store and set aside",
                        metadata: [
                            "keel.request_id": "\(records.first?.id.rawValue ?? "")",
                            "error.message": "\(error.message)",
                        ]
                    )
                }
                return
            } catch {
                self.state.withLock { $0.storeFailing = true }
                self.logger.error(
                    "Request records could not be written; retrying",
                    metadata: ["keel.records.count": "\(records.count)", "error.type": "\(type(of: error))"]
                )
                // Whoever waits for an entry is told now; the entry is not written later.
                batch.removeAll { item in
                    guard case .entry(_, _, let written?) = item else { return false }
                    written.finish(false)
                    return true
                }
                if Task.isCancelled {
                    self.logger.critical(
                        "Request records lost: the recorder was cancelled while the store failed",
                        metadata: ["keel.records.count": "\(records.count)"]
                    )
                    return
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    /// The batch's records, and its audit entries numbered from `firstSeq`, encoded and hashed on
    /// the recorder's own thread at low priority — except a batch with an entry someone waits for
    /// (strict mode), encoded right here: on a busy core the low-priority thread could keep that
    /// request waiting for seconds.
    private func encode(_ batch: [Item], firstSeq: UInt64) async -> ([RequestRecord], [AuditLeaf]) {
        let instanceID = self.instanceID
        let work: @Sendable () -> ([RequestRecord], [AuditLeaf]) = {
            var records: [RequestRecord] = []
            var leaves: [AuditLeaf] = []
            records.reserveCapacity(batch.count)
            leaves.reserveCapacity(batch.count)
            var seq = firstSeq
            for item in batch {
                switch item {
                case .record(let record):
                    records.append(record)
                    let entry = AuditEntry(
                        instanceID: instanceID,
                        seq: seq,
                        time: record.startedAt,
                        payload: .request(AuditEntry.Request(record, contentDigests: record.contentDigests))
                    )
                    leaves.append(AuditLeaf(recordedWith: entry))
                case .entry(let payload, let time, _):
                    leaves.append(AuditLeaf(AuditEntry(instanceID: instanceID, seq: seq, time: time, payload: payload)))
                }
                seq += 1
            }
            return (records, leaves)
        }
        if batch.contains(where: \.isAwaited) { return work() }
        do {
            return try await self.encoder.runIfActive {
                LowPriorityThread.lowerCurrent()
                return work()
            }
        } catch {
            // The thread pool has stopped (the process is ending): encode here.
            return work()
        }
    }
}
