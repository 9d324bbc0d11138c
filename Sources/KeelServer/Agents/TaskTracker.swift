import KeelCore
import KeelStorage
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps the `task` table in step with the data plane, off the request path: it stores the tasks
/// that requests start (the first request carrying a new `x-keel-task`), marks their activity
/// (renewing a claimed task's lease), stores the state changes the task budgets decided, hands
/// the tasks of expired leases to other workers, times out tasks past their wall-clock limit,
/// and reloads the ``TaskBook``, every `interval`.
///
/// Fed by the recorder with each batch of records before it is written (`observe`).
final class TaskTracker: Service, Sendable {
    /// Where a task paused on its budget waits for a reviewer.
    let escalations: EscalationDesk?
    let store: any AgentTaskStore
    let book: TaskBook
    let agents: AgentBook?
    let interval: Duration
    /// How long a claimed task's lease lasts after its last activity (µs).
    let lease: Int64
    private let logger: Logger

    private struct Pending {
        /// The tasks first seen in records, as they would be stored.
        var started: [String: AgentTaskRow] = [:]
        /// The latest activity of each task.
        var activity: [String: Int64] = [:]
        /// Tasks this instance has stored or found stored (emptied when large).
        var known: Set<String> = []
    }

    private let pending = Mutex(Pending())

    init(
        store: any AgentTaskStore,
        book: TaskBook,
        agents: AgentBook?,
        interval: Duration,
        lease: Int64,
        escalations: EscalationDesk? = nil,
        logger: Logger
    ) {
        self.escalations = escalations
        self.store = store
        self.book = book
        self.agents = agents
        self.interval = interval
        self.lease = lease
        self.logger = logger
    }

    /// Takes note of the records of a batch that belong to tasks. Quick and without I/O: the
    /// recorder calls it on its drain loop.
    func observe(_ batch: [RequestRecord]) {
        var started: [(String, RequestRecord)] = []
        for record in batch {
            guard let taskID = record.taskID else { continue }
            self.book.account(record)
            started.append((taskID, record))
        }
        guard !started.isEmpty else { return }
        let agents = self.agents?.snapshot.agents ?? [:]
        self.pending.withLock { pending in
            for (taskID, record) in started {
                let end = record.startedAt + record.totalMicros
                pending.activity[taskID] = max(pending.activity[taskID] ?? 0, end)
                guard !pending.known.contains(taskID), pending.started[taskID] == nil else { continue }
                pending.started[taskID] = AgentTaskRow(
                    id: taskID,
                    agentID: record.agentID,
                    agentVersion: record.agentID.flatMap { agents[$0]?.version },
                    orgID: record.orgID,
                    teamID: record.teamID,
                    keyID: record.keyID,
                    state: .running,
                    createdAt: record.startedAt,
                    startedAt: record.startedAt,
                    lastActivityAt: end
                )
            }
        }
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.interval)
                guard !Task.isCancelled else { break }
                await self.flush(now: WallClock.unixMicros())
            }
        }
        await self.flush(now: WallClock.unixMicros())
    }

    /// One round: what was observed and decided is stored, leases and wall-clock limits are
    /// enforced, and the book is reloaded.
    func flush(now: Int64) async {
        let (started, activity) = self.pending.withLock { pending in
            defer {
                pending.started = [:]
                pending.activity = [:]
            }
            return (pending.started, pending.activity)
        }
        do {
            for row in started.values.sorted(by: { $0.id < $1.id }) {
                _ = try await self.store.insertIfAbsent(row)
            }
            self.pending.withLock { pending in
                if pending.known.count > 100_000 { pending.known = [] }
                pending.known.formUnion(started.keys)
            }
            try await self.store.touch(activity, lease: self.lease)
            for action in self.book.takeActions() {
                let applied = try await self.store.transition(
                    action.taskID,
                    from: [.queued, .running],
                    to: action.to,
                    reason: action.reason,
                    now: now
                )
                // A task started by requests is stored once their records arrive: until then
                // (a minute at most) the decision waits.
                if !applied, now - action.at < 60_000_000, try await self.store.row(action.taskID) == nil {
                    self.book.retry(action)
                }
                // Paused on its budget: a reviewer decides, like any other approval.
                let budgetPrefix = "task_budget_exceeded: "
                if applied, action.to == .awaitingApproval, action.reason.hasPrefix(budgetPrefix),
                    let desk = self.escalations
                {
                    // The pause is stored: a failure here costs the reviewers' notice, not the round.
                    do {
                        if let row = try await self.store.row(action.taskID) {
                            let agent = row.agentID.flatMap { self.agents?.snapshot.agents[$0] }
                            try await desk.openBudget(
                                task: row,
                                limit: String(action.reason.dropFirst(budgetPrefix.count)),
                                agent: agent
                            )
                        }
                    } catch {
                        self.logger.warning(
                            "A task paused on its budget could not be put to reviewers",
                            metadata: ["keel.task.id": "\(action.taskID)", "error.type": "\(type(of: error))"]
                        )
                    }
                }
            }
            for task in try await self.store.expireLeases(now: now) {
                self.logger.notice(
                    "A task's lease expired",
                    metadata: ["keel.task.id": "\(task.id)", "keel.task.state": "\(task.state.rawValue)"]
                )
            }
            let active = try await self.store.activeRows(endedSince: now - TaskBook.endedMemory)
            if try await self.timeOut(active, now: now) {
                try await self.book.reload(now: now)
            } else {
                try await self.book.reload(rows: active, now: now)
            }
        } catch {
            // What was taken is retried with the next round's; lost activity is renewed by the next call.
            self.pending.withLock { pending in
                for (id, row) in started where pending.started[id] == nil { pending.started[id] = row }
            }
            if !(error is CancellationError) {
                self.logger.warning("Tasks could not be updated", metadata: [LogKey.errorType: "\(type(of: error))"])
            }
        }
    }

    /// Times out the running tasks of `active` past their `seconds` limit; `true` when it did.
    private func timeOut(_ active: [AgentTaskRow], now: Int64) async throws -> Bool {
        let agents = self.agents?.snapshot.agents ?? [:]
        var changed = false
        for row in active where row.state == .running {
            let agent = row.agentID.flatMap { agents[$0] }
            let budget = TaskBudget.effective(row.budget, agent: agent)
            guard let seconds = budget.seconds, let started = row.startedAt, now - started >= Int64(seconds) * 1_000_000
            else {
                continue
            }
            changed =
                try await self.store.transition(
                    row.id,
                    from: [.running],
                    to: .timedOut,
                    reason: "wall-clock limit of \(seconds) s",
                    now: now
                ) || changed
        }
        return changed
    }
}
