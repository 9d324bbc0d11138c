import KeelCore
import KeelOps
import KeelStorage
import Logging
import NIOCore
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
        /// Why it is paused or ended, as stored.
        var reason: String? = nil
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
    /// Where `agent_loop` alerts go.
    let alerts: AlertService?
    private let logger: Logger
    private let tasks = Mutex<[String: Live]>([:])
    private let actions = Mutex<[Action]>([])

    /// The loop detector of each task of a registered agent, by task id.
    struct LoopState: Sendable {
        var detector: LoopDetector
        var lastAt: Int64
        /// The loops already reported for the task (one alert each).
        var reported: Set<LoopDetector.Kind> = []
        /// The loop that paused or stopped it, while it is.
        var halted: LoopDetector.Kind?
    }

    private let loops = Mutex<[String: LoopState]>([:])
    /// Each agent's norm in steps per minute (its last 7 days), from the statistics monitor.
    private let norms = Mutex<[String: Double]>([:])
    /// The most tasks whose loop detectors are kept; the least recently active go first.
    static let maxLoopStates = 10_000
    /// How long tasks Keel ended stay in memory to be refused.
    static let endedMemory: Int64 = 3_600_000_000

    init(store: any AgentTaskStore, agents: AgentBook?, alerts: AlertService? = nil, logger: Logger) {
        self.store = store
        self.agents = agents
        self.alerts = alerts
        self.logger = logger
    }

    /// Replaces the agents' norms (steps per minute).
    func setNorms(_ norms: [String: Double]) {
        self.norms.withLock { $0 = norms }
    }

    /// Runs the loop detectors on one call of `taskID` of `agent` with `body`.
    ///
    /// - Throws: 409 `agent_loop_detected` when this call completes a loop and the agent's
    ///   `loops` is `pause` or `stop` (the task then waits for a human, or fails), or when the task
    ///   was halted for a loop before. With `warn`, an `agent_loop` alert fires once per task and
    ///   kind, and the call goes on.
    func checkLoop(taskID: String, agent: Agent, body: ByteBuffer, requestID: String, now: Int64) throws(KeelError) {
        let action = agent.loops ?? .warn
        guard action != .off else { return }
        try self.refuseIfHalted(taskID)
        let print = LoopFingerprint.of(body)
        let step = LoopDetector.Step(requestID: requestID, request: print.request, toolCall: print.toolCall, at: now)
        guard let kind = self.detect(step, key: taskID, taskID: taskID, agent: agent, action: action, now: now) else {
            return
        }
        guard action == .pause || action == .stop else { return }
        throw .agentLoopDetected(
            "Task '\(taskID)' goes round in circles (\(kind.rawValue)); "
                + (action == .pause ? "it is paused until a reviewer resumes it." : "it has been stopped.")
        )
    }

    /// Refuses a call of `taskID` while a loop (of its model calls or of its MCP tool calls)
    /// halts it.
    func refuseIfHalted(_ taskID: String) throws(KeelError) {
        let halted = self.loops.withLock { $0[taskID]?.halted ?? $0[Self.toolLoopKey(taskID)]?.halted }
        if let halted {
            throw .agentLoopDetected(
                "Task '\(taskID)' was halted for a loop (\(halted.rawValue)); a reviewer must resume it."
            )
        }
    }

    /// Runs the loop detectors on an MCP tool call of `taskID` once its result is in: the call's
    /// `fingerprint` covers the server, the tool, its arguments and its result, so the same call
    /// getting the same result again is a loop and a call whose result changed (a poll that made
    /// progress) is not. Tool calls have detectors of their own, apart from the task's model calls
    /// between them. A loop found here halts the task's next call (`pause`, `stop`); the call that
    /// completed it has its result.
    func observeToolCall(taskID: String, agent: Agent, fingerprint: UInt64, requestID: String, now: Int64) {
        let action = agent.loops ?? .warn
        guard action != .off else { return }
        let step = LoopDetector.Step(requestID: requestID, request: fingerprint, toolCall: nil, at: now)
        _ = self.detect(step, key: Self.toolLoopKey(taskID), taskID: taskID, agent: agent, action: action, now: now)
    }

    static func toolLoopKey(_ taskID: String) -> String { "tools:" + taskID }

    /// Feeds `step` to the detectors kept under `key`; reports a loop found (once per kind), and,
    /// with `pause` or `stop`, halts the task and queues its move. Returns the loop found.
    private func detect(
        _ step: LoopDetector.Step,
        key: String,
        taskID: String,
        agent: Agent,
        action: Agent.LoopAction,
        now: Int64
    ) -> LoopDetector.Kind? {
        let norm = self.norms.withLock { $0[agent.id] }
        let (kind, first, evidence) = self.loops.withLock {
            loops -> (LoopDetector.Kind?, Bool, [String]) in
            var state = loops[key] ?? LoopState(detector: LoopDetector(norm: norm), lastAt: now)
            state.detector.norm = norm
            state.lastAt = now
            let kind = state.detector.record(step)
            var first = false
            if let kind {
                first = state.reported.insert(kind).inserted
                if action != .warn { state.halted = kind }
            }
            if loops[key] == nil, loops.count >= Self.maxLoopStates,
                let oldest = loops.min(by: { $0.value.lastAt < $1.value.lastAt })?.key
            {
                loops[oldest] = nil
            }
            loops[key] = state
            return (kind, first, kind == nil ? [] : state.detector.recentRequestIDs)
        }
        guard let kind else { return nil }
        if first { self.report(kind, taskID: taskID, agent: agent, action: action, requestIDs: evidence, now: now) }
        if action == .pause || action == .stop {
            self.actions.withLock {
                $0.append(
                    Action(
                        taskID: taskID,
                        to: action == .pause ? .awaitingApproval : .failed,
                        reason: "agent_loop: \(kind.rawValue)",
                        at: now
                    )
                )
            }
        }
        return kind
    }

    /// Forgets the loop that halted `taskID` (a reviewer resumed it).
    func resumeLoops(_ taskID: String) {
        self.loops.withLock { loops in
            loops[taskID] = nil
            loops[Self.toolLoopKey(taskID)] = nil
        }
    }

    private func report(
        _ kind: LoopDetector.Kind,
        taskID: String,
        agent: Agent,
        action: Agent.LoopAction,
        requestIDs: [String],
        now: Int64
    ) {
        self.logger.warning(
            "An agent task goes round in circles",
            metadata: ["keel.agent.id": "\(agent.id)", "keel.task.id": "\(taskID)", "keel.loop": "\(kind.rawValue)"]
        )
        guard let alerts = self.alerts else { return }
        let notification = AlertNotification(
            rule: "agent_loop",
            severity: action == .warn ? .ticket : .page,
            status: .firing,
            labels: ["agent": agent.id, "task": taskID, "loop": kind.rawValue].merging(
                agent.teamID.map { ["team": $0.rawValue] } ?? [:]
            ) { first, _ in first },
            value: 1,
            threshold: 0,
            details: [:],
            summary:
                "Task '\(taskID)' of agent '\(agent.id)' goes round in circles (\(kind.rawValue)); action: \(action.rawValue).",
            startsAtMicros: now,
            requestIDs: requestIDs
        )
        Task { await alerts.deliver([notification]) }
    }

    /// Admits one call of `taskID` (of `agent`, when registered) at `now`, counting it as a step.
    ///
    /// - Throws: 429 `task_budget_exceeded` when the task has used a limit of its budget (the
    ///   first refusal also fails or pauses it) or waits for a human; 409 `conflict` when Keel
    ///   cancelled it or it timed out.
    func admit(taskID: String, agent: Agent?, now: Int64, call: TaskBudget.Call = .model) throws(KeelError) {
        enum Verdict {
            case admitted
            case ended(AgentTask.State)
            case paused(String?)
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
                        usage: call == .model ? TaskBudget.Usage(steps: 1) : TaskBudget.Usage(toolCalls: 1),
                        startedAt: now,
                        seenAt: now
                    )
                }
                return .admitted
            }
            switch live.state {
            case .cancelled, .timedOut: return .ended(live.state)
            case .awaitingApproval: return .paused(live.reason)
            case .queued, .running, .succeeded, .failed: break
            }
            if let limit = live.budget.exceeded(by: live.usage, startedAt: live.startedAt, now: now, call: call) {
                let first = live.state == .running || live.state == .queued
                if first {
                    live.state = live.onExceeded == .pause ? .awaitingApproval : .failed
                    live.decidedAt = now
                }
                tasks[taskID] = live
                return .exceeded(limit, first: first, live.onExceeded)
            }
            switch call {
            case .model: live.usage.steps += 1
            case .tool: live.usage.toolCalls += 1
            }
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
        case .paused(let reason):
            if let reason, reason.hasPrefix("approval: ") {
                throw .conflict(
                    "Task '\(taskID)' waits for a reviewer's decision (escalation '\(reason.dropFirst(10))').",
                    param: "x-keel-task"
                )
            }
            if let reason, reason.hasPrefix("agent_loop") {
                throw .agentLoopDetected(
                    "Task '\(taskID)' is paused for a loop (\(reason)) until a reviewer resumes it."
                )
            }
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

    /// Adds what `record`'s call used to its task (and tells its loop detector when it failed).
    func account(_ record: RequestRecord) {
        guard let taskID = record.taskID else { return }
        if record.outcome != .success {
            self.loops.withLock { loops in loops[taskID]?.detector.failed(record.id.rawValue) }
        }
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
        let stored = Set(rows.map(\.id))
        for row in rows {
            let agent = row.agentID.flatMap { agents[$0] }
            let budget = TaskBudget.effective(row.budget, agent: agent)
            guard !budget.isEmpty || row.state != .running else { continue }
            held[row.id] = Live(
                state: row.state,
                budget: budget,
                onExceeded: agent?.onBudgetExceeded ?? .fail,
                startedAt: row.startedAt ?? row.createdAt,
                seenAt: now,
                storedAt: row.updatedAt,
                reason: row.reason
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
                        costNanos: max(next.usage.costNanos, local.usage.costNanos),
                        toolCalls: max(next.usage.toolCalls, local.usage.toolCalls)
                    )
                    // A limit this instance acted on stays acted on until the store changes the
                    // task after it (the tracker storing the decision, a reviewer extending it).
                    if let decided = local.decidedAt, decided >= next.storedAt {
                        next.state = local.state
                        next.decidedAt = decided
                    }
                    held[id] = next
                } else if !stored.contains(id), now - local.seenAt < 10_000_000 {
                    // Seen here moments ago; the store has not caught up.
                    held[id] = local
                }
            }
            tasks = held
        }
    }
}
