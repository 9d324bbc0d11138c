public import KeelCore

/// The end of one agent task, as the agent reported it.
public struct AgentTaskEnd: Sendable, Equatable {
    public var taskID: String
    public var agentID: String?
    public var outcome: AgentTask.Outcome
    /// When it was reported, in µs since the Unix epoch.
    public var endedAt: Int64
    /// The key that reported it, and that key's team.
    public var keyID: KeyID?
    public var teamID: TeamID?
    /// The version its registered agent runs, for a task stored only at its end.
    public var agentVersion: String?

    public init(
        taskID: String,
        agentID: String? = nil,
        outcome: AgentTask.Outcome,
        endedAt: Int64,
        keyID: KeyID? = nil,
        teamID: TeamID? = nil,
        agentVersion: String? = nil
    ) {
        self.taskID = taskID
        self.agentID = agentID
        self.outcome = outcome
        self.endedAt = endedAt
        self.keyID = keyID
        self.teamID = teamID
        self.agentVersion = agentVersion
    }
}

/// What the records of one task add up to.
public struct AgentTaskTotals: Sendable, Equatable {
    public var requests: Int
    public var cost: USDNanos

    public init(requests: Int, cost: USDNanos) {
        self.requests = requests
        self.cost = cost
    }
}

/// One agent task as stored (`task`).
public struct AgentTaskRow: Sendable, Equatable {
    public var id: String
    public var agentID: String?
    /// The pool of agents it was queued for, when it was not queued for one agent.
    public var pool: String?
    /// The agent's version when the task started.
    public var agentVersion: String?
    public var orgID: OrgID?
    public var teamID: TeamID?
    /// The key that created it (or whose request started it).
    public var keyID: KeyID?
    public var state: AgentTask.State
    /// How the agent said it ended, when it did.
    public var outcome: AgentTask.Outcome?
    /// Why it ended or paused, when Keel ended or paused it (`lease expired 3 times`,
    /// `task_budget_exceeded: cost`…).
    public var reason: String?
    /// Higher first.
    public var priority: Int
    /// Its input, JSON text.
    public var input: String?
    /// JSON object text.
    public var metadata: String
    public var budget: TaskBudget
    /// How many times a worker claimed it.
    public var attempts: Int
    public var maxAttempts: Int
    /// The worker that holds it, and until when (Unix µs); renewed by its requests.
    public var worker: String?
    public var leaseUntil: Int64?
    public var parentID: String?
    public var depth: Int
    /// Unix µs.
    public var createdAt: Int64
    public var startedAt: Int64?
    public var endedAt: Int64?
    public var lastActivityAt: Int64?
    public var updatedAt: Int64

    public init(
        id: String,
        agentID: String? = nil,
        pool: String? = nil,
        agentVersion: String? = nil,
        orgID: OrgID? = nil,
        teamID: TeamID? = nil,
        keyID: KeyID? = nil,
        state: AgentTask.State,
        outcome: AgentTask.Outcome? = nil,
        reason: String? = nil,
        priority: Int = 0,
        input: String? = nil,
        metadata: String = "{}",
        budget: TaskBudget = TaskBudget(),
        attempts: Int = 0,
        maxAttempts: Int = 1,
        worker: String? = nil,
        leaseUntil: Int64? = nil,
        parentID: String? = nil,
        depth: Int = 0,
        createdAt: Int64,
        startedAt: Int64? = nil,
        endedAt: Int64? = nil,
        lastActivityAt: Int64? = nil,
        updatedAt: Int64? = nil
    ) {
        self.id = id
        self.agentID = agentID
        self.pool = pool
        self.agentVersion = agentVersion
        self.orgID = orgID
        self.teamID = teamID
        self.keyID = keyID
        self.state = state
        self.outcome = outcome
        self.reason = reason
        self.priority = priority
        self.input = input
        self.metadata = metadata
        self.budget = budget
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.worker = worker
        self.leaseUntil = leaseUntil
        self.parentID = parentID
        self.depth = depth
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.lastActivityAt = lastActivityAt
        self.updatedAt = updatedAt ?? createdAt
    }
}

/// The tasks of an agent that ended in a period, by the version they ran and how they ended.
public struct AgentTaskOutcomeStats: Sendable, Equatable {
    public var agentID: String
    /// `nil` for tasks that started before their agent was registered.
    public var version: String?
    /// `succeeded`, `failed` or `timed_out` (cancelled tasks are left out: a person stopped them).
    public var state: AgentTask.State
    public var tasks: Int
    /// Of them, how many waited for a human at least once.
    public var escalated: Int
    /// Their time from start to end, together (µs).
    public var micros: Int64
    /// Their steps (request records) and the steps' cost, together.
    public var steps: Int
    public var costNanos: Int64

    public init(
        agentID: String,
        version: String?,
        state: AgentTask.State,
        tasks: Int,
        escalated: Int = 0,
        micros: Int64 = 0,
        steps: Int = 0,
        costNanos: Int64 = 0
    ) {
        self.agentID = agentID
        self.version = version
        self.state = state
        self.tasks = tasks
        self.escalated = escalated
        self.micros = micros
        self.steps = steps
        self.costNanos = costNanos
    }
}

/// Which tasks a list returns, newest first.
public struct AgentTaskQuery: Sendable, Equatable {
    public var agentID: String?
    public var state: AgentTask.State?
    public var teamIDs: [TeamID]?
    /// Only tasks created before this (Unix µs): the page cursor.
    public var createdBefore: Int64?
    public var limit: Int

    public init(
        agentID: String? = nil,
        state: AgentTask.State? = nil,
        teamIDs: [TeamID]? = nil,
        createdBefore: Int64? = nil,
        limit: Int = 100
    ) {
        self.agentID = agentID
        self.state = state
        self.teamIDs = teamIDs
        self.createdBefore = createdBefore
        self.limit = limit
    }
}

/// Agent tasks (`task`): queued, claimed under leases, started by requests, ended once, across
/// every instance that shares the database.
public protocol AgentTaskStore: Sendable {
    /// Ends `task` unless it has already ended (a task not stored yet is stored ended): `true`
    /// when it ended now, `false` when it had ended before (left as it was). Atomic: of
    /// concurrent calls for one task, on any instance, exactly one returns `true`.
    func end(_ task: AgentTaskEnd) async throws -> Bool

    /// How `taskID` ended as its agent reported it; `nil` while it has not (or when Keel ended
    /// it: cancelled, timed out).
    func task(_ taskID: String) async throws -> AgentTaskEnd?

    /// The number and total cost of the request records of `taskID` stored so far, only those
    /// `within` the scope when one is given (a record is in it when its team or its key is).
    func totals(ofTask taskID: String, within: RequestRecordQuery.Scope?) async throws -> AgentTaskTotals

    /// Queues a new task; an id that exists throws ``StorageError`` `.conflict`.
    func insert(_ task: AgentTaskRow) async throws
    /// Stores `task` (a task started by a request) unless a task with its id exists; `true` when
    /// stored.
    func insertIfAbsent(_ task: AgentTaskRow) async throws -> Bool
    func row(_ taskID: String) async throws -> AgentTaskRow?
    func rows(matching query: AgentTaskQuery) async throws -> [AgentTaskRow]

    /// Hands the queued task of the highest priority, oldest first, of one of `agentIDs` or of
    /// `pool`, to `worker`: running, one more attempt, leased until `leaseUntil`. `nil` when none
    /// is queued. Atomic across instances: a task is handed to one worker.
    func claim(
        agentIDs: [String],
        pool: String?,
        worker: String,
        agentVersion: String?,
        now: Int64,
        leaseUntil: Int64
    )
        async throws -> AgentTaskRow?

    /// Marks activity of running tasks: `last_activity_at` (the later one kept) and, for a task
    /// a worker holds, its lease renewed for as long as it was claimed for (`lease` when that is
    /// not known).
    func touch(_ activity: [String: Int64], lease: Int64) async throws

    /// Moves `taskID` from one of `from` to `to`, with `reason` (a terminal `to` sets `ended_at`
    /// and drops the lease; `awaiting_approval` counts an escalation); `false` when it was in none
    /// of them.
    func transition(
        _ taskID: String,
        from: [AgentTask.State],
        to: AgentTask.State,
        reason: String?,
        now: Int64
    ) async throws
        -> Bool

    /// Replaces the budget and the priority of `taskID`, those given; `false` when there is no
    /// such task.
    func change(_ taskID: String, budget: TaskBudget?, priority: Int?, now: Int64) async throws -> Bool

    /// Running tasks whose lease ended before `now`: queued again when attempts remain, else
    /// `timed_out`. Returns the tasks as they became.
    func expireLeases(now: Int64) async throws -> [AgentTaskRow]

    /// Running or paused tasks, and those that failed or Keel ended (cancelled, timed out) since `endedSince`
    /// (Unix µs): what the data plane holds in memory to enforce budgets and refuse ended tasks.
    func activeRows(endedSince: Int64) async throws -> [AgentTaskRow]

    /// The tasks of `agentID` (`nil`: of every agent) that ended in `[from, to)` (Unix µs),
    /// succeeded, failed or timed out, by agent, version and state.
    func outcomeStats(agentID: String?, from: Int64, to: Int64) async throws -> [AgentTaskOutcomeStats]

    /// What the request records of each of `taskIDs` stored so far add up to: steps (model
    /// calls: records without a tool), tool calls (records with one), input and output tokens
    /// together, cost. Tasks without records are left out.
    func usage(ofTasks taskIDs: [String]) async throws -> [String: TaskBudget.Usage]
}
