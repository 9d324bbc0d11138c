public import KeelCore
public import KeelStorage
public import Logging
public import ServiceLifecycle
import Synchronization

/// Writes request records to the store in batches, off the request path, and never drops one.
///
/// `record(_:)` appends to a bounded in-memory buffer and returns at once; when the buffer is full
/// the request waits for space (backpressure) instead of losing its record. `run()` drains the
/// buffer in batches of up to `batchSize`; a failed write is retried with backoff, keeping the
/// batch. On graceful shutdown it stops when every record accepted so far is written. Run it in
/// the application's `ServiceGroup` *before* the HTTP server, so that it shuts down after the
/// server has finished its last request.
public final class RequestRecorder: Service, Sendable {
    private struct State: ~Copyable {
        var buffer: [RequestRecord] = []
        var waitingProducers: [CheckedContinuation<Void, Never>] = []
        var waitingConsumer: CheckedContinuation<Void, Never>?
        var shuttingDown = false
        var written = 0
        /// The partial batch in the buffer has already waited its flush interval.
        var collected = false
    }

    private let state = Mutex(State())
    private let store: any RequestRecordStore
    private let capacity: Int
    private let batchSize: Int
    private let flushInterval: Duration
    private let logger: Logger
    private let observe: (@Sendable ([RequestRecord]) -> Void)?

    /// - Parameter flushInterval: how long a partial batch may wait for more records. Each write
    ///   is a database transaction; at low traffic, waiting a little turns one transaction per
    ///   request into one per interval. Records reach the store at most this late plus one write.
    /// - Parameter observe: called with each batch before it is written, on the recorder's task
    ///   (off the request path) — the live monitoring engine reads every record here.
    public init(
        store: any RequestRecordStore,
        capacity: Int,
        batchSize: Int,
        flushInterval: Duration = .milliseconds(20),
        logger: Logger,
        observe: (@Sendable ([RequestRecord]) -> Void)? = nil
    ) {
        self.observe = observe
        self.store = store
        self.capacity = max(1, capacity)
        self.batchSize = max(1, batchSize)
        self.flushInterval = flushInterval
        self.logger = logger
        self.state.withLock { $0.buffer.reserveCapacity(min(capacity, 4_096)) }
    }

    /// Queues `record` for writing. Suspends only while the buffer is full.
    public func record(_ record: RequestRecord) async {
        while true {
            enum Next { case done(CheckedContinuation<Void, Never>?), wait }
            let next = self.state.withLock { state -> Next in
                guard state.buffer.count < self.capacity else { return .wait }
                state.buffer.append(record)
                let consumer = state.waitingConsumer
                state.waitingConsumer = nil
                return .done(consumer)
            }
            switch next {
            case .done(let consumer):
                consumer?.resume()
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
    }

    private func drainLoop() async {
        while true {
            enum Next { case write([RequestRecord], [CheckedContinuation<Void, Never>]), collect, wait, stop }
            let next = self.state.withLock { state -> Next in
                if !state.buffer.isEmpty && state.buffer.count < self.batchSize && !state.shuttingDown && !state.collected {
                    state.collected = true
                    return .collect
                }
                if !state.buffer.isEmpty {
                    state.collected = false
                    let count = min(self.batchSize, state.buffer.count)
                    let batch = Array(state.buffer.prefix(count))
                    state.buffer.removeFirst(count)
                    let producers = state.waitingProducers
                    state.waitingProducers = []
                    return .write(batch, producers)
                }
                return state.shuttingDown ? .stop : .wait
            }
            switch next {
            case .stop:
                self.logger.debug("Request recorder drained", metadata: ["keel.records.written": "\(self.writtenCount)"])
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
                // A partial batch: give it the flush interval to fill up (cut short by shutdown).
                try? await Task.sleep(for: self.flushInterval)
            case .write(let batch, let producers):
                for producer in producers { producer.resume() }
                self.observe?(batch)
                await self.write(batch)
            }
        }
    }

    /// Writes one batch, retrying until it is stored. Records are never dropped for a failing
    /// store: while it fails, the buffer fills and requests wait. A batch the store refuses for
    /// good (a duplicate id, a value the schema forbids) is written record by record, so only the
    /// refused record is set aside — logged by id, never retried forever.
    private func write(_ batch: [RequestRecord]) async {
        var delay: Duration = .milliseconds(50)
        while true {
            do {
                try await self.store.append(batch)
                self.state.withLock { $0.written += batch.count }
                return
            } catch let error as StorageError where error.code == .conflict || error.code == .invalidValue {
                if batch.count > 1 {
                    for record in batch { await self.write([record]) }
                } else {
                    self.logger.critical(
                        "A request record was refused by the store and set aside",
                        metadata: ["keel.request_id": "\(batch.first?.id.rawValue ?? "")", "error.message": "\(error.message)"]
                    )
                }
                return
            } catch {
                self.logger.error(
                    "Request records could not be written; retrying",
                    metadata: ["keel.records.count": "\(batch.count)", "error.type": "\(type(of: error))"]
                )
                if Task.isCancelled {
                    self.logger.critical("Request records lost: the recorder was cancelled while the store failed", metadata: ["keel.records.count": "\(batch.count)"])
                    return
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }
}
