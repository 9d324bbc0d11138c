import KeelCore
import KeelStorage
import Logging
import Synchronization

/// The agent tasks the data plane holds in memory: those with a budget, those paused for a human,
/// and those Keel ended (cancelled, timed out), so a task's next call is refused without a
/// database read.
///
/// Usage is counted here as calls are admitted (a step) and as their records arrive (tokens,
/// cost), and read back from the request log every `agents.sync_interval_ms`, keeping the larger
/// of the two: on one instance the overshoot of a limit is at most the call that reached it;
/// across instances, also what the others admitted since the last read.
final class TaskBook: Sendable {
    struct Live: Sendable {
        var state: AgentTask.State
        /// The task's own limits over its agent's.
        var budget: TaskBudget
        var onExceeded: Agent.BudgetAction
        var usage = TaskBudget.Usage()
        var startedAt: Int64?
        /// When this instance first saw it (entries the store does not have yet are kept a while).
        var seenAt: Int64
        /// When this instance changed its state (a budget exceeded), until the store has a newer
        /// change of its own.
        var decidedAt: Int64? = nil
        /// When the store last changed the task, as last read.
        var storedAt: Int64 = 0
    }

    /// A change of a task's state the data plane decided, for ``TaskTracker`` to store.
    struct Action: Sendable, Equatable {
        var taskID: String
        var to: AgentTask.State
        var reason: String
        /// When it was decided (Unix µs).
        var at: Int64
    }

    let store: any AgentTaskStore
    let agents: AgentBook?
    private let logger: Logger
    private let tasks = Mutex<[String: Live]>([:])
    private let actions = Mutex<[Action]>([])
    /// How long tasks Keel ended stay in memory to be refused.
    static let endedMemory: Int64 = 3_600_000_000

    init(store: any AgentTaskStore, agents: AgentBook?, logger: Logger) {
        self.store = store
        self.agents = agents
        self.logger = logger
    }

    /// Admits one call of `taskID` (of `agent`, when registered) at `now`, counting it as a step.
    ///
    /// - Throws: 429 `task_budget_exceeded` when the task has used a limit of its budget (the
    ///   first refusal also fails or pauses it) or waits for a human; 409 `conflict` when Keel
    ///   cancelled it or it timed out.
    func admit(taskID: String, agent: Agent?, now: Int64) throws(KeelError) {
        enum Verdict {
            case admitted
            case ended(AgentTask.State)
            case paused
            case exceeded(String, first: Bool, Agent.BudgetAction)
        }
        let verdict = self.tasks.withLock { tasks -> Verdict in
            guard var live = tasks[taskID] else {
                // A task this instance does not hold: held from its first call when its agent
                // gives every task a budget.
                if let budget = agent?.taskBudget, !budget.isEmpty {
                    tasks[taskID] = Live(
                        state: .running,
                        budget: budget,
                        onExceeded: agent?.onBudgetExceeded ?? .fail,
                        usage: TaskBudget.Usage(steps: 1),
                        startedAt: now,
                        seenAt: now
                    )
                }
                return .admitted
            }
            switch live.state {
            case .cancelled, .timedOut: return .ended(live.state)
            case .awaitingApproval: return .paused
            case .queued, .running, .succeeded, .failed: break
            }
            if let limit = live.budget.exceeded(by: live.usage, startedAt: live.startedAt, now: now) {
                let first = live.state == .running || live.state == .queued
                if first {
                    live.state = live.onExceeded == .pause ? .awaitingApproval : .failed
                    live.decidedAt = now
                }
                tasks[taskID] = live
                return .exceeded(limit, first: first, live.onExceeded)
            }
            live.usage.steps += 1
            tasks[taskID] = live
            return .admitted
        }
        switch verdict {
        case .admitted:
            return
        case .ended(let state):
            throw .conflict(
                "Task '\(taskID)' has ended (\(state == .cancelled ? "cancelled" : "timed out")); it makes no more calls.",
                param: "x-keel-task"
            )
        case .paused:
            throw .taskBudgetExceeded("Task '\(taskID)' is paused until a reviewer extends its budget.")
        case .exceeded(let limit, let first, let action):
            if first {
                self.actions.withLock {
                    $0.append(
                        Action(
                            taskID: taskID,
                            to: action == .pause ? .awaitingApproval : .failed,
                            reason: "task_budget_exceeded: \(limit)",
                            at: now
                        )
                    )
                }
            }
            throw .taskBudgetExceeded(
                "Task '\(taskID)' has used its budget of \(limit)"
                    + (action == .pause ? "; it is paused until a reviewer extends it." : "; it has failed.")
            )
        }
    }

    /// Adds what `record`'s call used to its task.
    func account(_ record: RequestRecord) {
        guard let taskID = record.taskID else { return }
        self.tasks.withLock { tasks in
            guard var live = tasks[taskID] else { return }
            live.usage.tokens += record.usage.inputTokens + record.usage.outputTokens
            live.usage.costNanos += record.cost.rawValue
            tasks[taskID] = live
        }
    }

    /// The state changes decided since the last call.
    func takeActions() -> [Action] {
        self.actions.withLock { actions in
            defer { actions = [] }
            return actions
        }
    }

    /// Puts back an action the store could not apply yet (its task is not stored yet).
    func retry(_ action: Action) {
        self.actions.withLock { $0.append(action) }
    }

    /// What this instance holds of `taskID`, if anything.
    func live(_ taskID: String) -> Live? {
        self.tasks.withLock { $0[taskID] }
    }

    /// Reads the active tasks and their usage from the store and replaces what is held, keeping
    /// this instance's larger counts and the tasks it saw that the store does not have yet.
    func reload(now: Int64) async throws {
        try await self.reload(rows: try await self.store.activeRows(endedSince: now - Self.endedMemory), now: now)
    }

    /// ``reload(now:)`` from `rows`, the store's active tasks read at `now`.
    func reload(rows: [AgentTaskRow], now: Int64) async throws {
        let agents = self.agents?.snapshot.agents ?? [:]
        var held: [String: Live] = [:]
        for row in rows {
            let agent = row.agentID.flatMap { agents[$0] }
            let budget = (agent?.taskBudget ?? TaskBudget()).overlaid(by: row.budget)
            guard !budget.isEmpty || row.state != .running else { continue }
            held[row.id] = Live(
                state: row.state,
                budget: budget,
                onExceeded: agent?.onBudgetExceeded ?? .fail,
                startedAt: row.startedAt ?? row.createdAt,
                seenAt: now,
                storedAt: row.updatedAt
            )
        }
        let running = held.filter { $0.value.state == .running }.map(\.key)
        let usage = running.isEmpty ? [:] : try await self.store.usage(ofTasks: running)
        self.tasks.withLock { tasks in
            for (id, stored) in usage {
                held[id]?.usage = stored
            }
            for (id, local) in tasks {
                if var next = held[id] {
                    next.usage = TaskBudget.Usage(
                        steps: max(next.usage.steps, local.usage.steps),
                        tokens: max(next.usage.tokens, local.usage.tokens),
                        costNanos: max(next.usage.costNanos, local.usage.costNanos)
                    )
                    // A limit this instance acted on stays acted on until the store changes the
                    // task after it (the tracker storing the decision, a reviewer extending it).
                    if let decided = local.decidedAt, decided >= next.storedAt {
                        next.state = local.state
                        next.decidedAt = decided
                    }
                    held[id] = next
                } else if now - local.seenAt < 10_000_000 {
                    // Seen here moments ago; the store has not caught up.
                    held[id] = local
                }
            }
            tasks = held
        }
    }
}
