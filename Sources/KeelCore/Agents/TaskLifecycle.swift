extension AgentTask {
    /// Where a task is in its life: `queued → running → awaiting_approval → succeeded | failed |
    /// cancelled | timed_out`. The last four are terminal: a task ends once.
    public enum State: String, Sendable, Codable, CaseIterable {
        case queued
        case running
        /// Paused for a human: its budget ran out under `on_budget_exceeded: pause`, or a gated
        /// call waits for approval.
        case awaitingApproval = "awaiting_approval"
        case succeeded
        case failed
        case cancelled
        case timedOut = "timed_out"

        public var isTerminal: Bool {
            switch self {
            case .succeeded, .failed, .cancelled, .timedOut: true
            case .queued, .running, .awaitingApproval: false
            }
        }

        public static let terminal: [State] = Self.allCases.filter(\.isTerminal)
    }
}

/// The limits of one task: its model calls (`steps`), their tokens and cost, its wall-clock time
/// and its depth of sub-tasks. `nil` is no limit. Exceeding one refuses the task's next call
/// with 429 `task_budget_exceeded`, then fails the task or pauses it for a human to extend the
/// budget (the agent's `on_budget_exceeded`).
public struct TaskBudget: Sendable, Equatable, Codable {
    /// Input and output tokens of its model calls together.
    public var tokens: Int64?
    /// Nano-dollars (`cost_usd` in JSON).
    public var costNanos: Int64?
    /// Model calls.
    public var steps: Int?
    /// Tool calls through the MCP gateway.
    public var toolCalls: Int?
    public var seconds: Int?
    /// How deep its sub-tasks may nest (a task without a parent has depth 0).
    public var depth: Int?

    public init(
        tokens: Int64? = nil,
        costNanos: Int64? = nil,
        steps: Int? = nil,
        toolCalls: Int? = nil,
        seconds: Int? = nil,
        depth: Int? = nil
    ) {
        self.tokens = tokens
        self.costNanos = costNanos
        self.steps = steps
        self.toolCalls = toolCalls
        self.seconds = seconds
        self.depth = depth
    }

    enum CodingKeys: String, CodingKey {
        case tokens, steps, seconds, depth
        case costNanos = "cost_nanos"
        case toolCalls = "tool_calls"
    }

    public var isEmpty: Bool { self == TaskBudget() }

    /// The budget a task with `own` limits has under `agent`: its own limits, and its agent's
    /// `task_budget` for those it does not set.
    public static func effective(_ own: TaskBudget, agent: Agent?) -> TaskBudget {
        (agent?.taskBudget ?? TaskBudget()).overlaid(by: own)
    }

    /// Each limit of `override` where it sets one, else this budget's.
    public func overlaid(by override: TaskBudget) -> TaskBudget {
        TaskBudget(
            tokens: override.tokens ?? self.tokens,
            costNanos: override.costNanos ?? self.costNanos,
            steps: override.steps ?? self.steps,
            toolCalls: override.toolCalls ?? self.toolCalls,
            seconds: override.seconds ?? self.seconds,
            depth: override.depth ?? self.depth
        )
    }

    /// What a task has used so far.
    public struct Usage: Sendable, Equatable {
        /// Model calls.
        public var steps: Int
        public var tokens: Int64
        public var costNanos: Int64
        /// Tool calls through the MCP gateway.
        public var toolCalls: Int

        public init(steps: Int = 0, tokens: Int64 = 0, costNanos: Int64 = 0, toolCalls: Int = 0) {
            self.steps = steps
            self.tokens = tokens
            self.costNanos = costNanos
            self.toolCalls = toolCalls
        }
    }

    /// What a task asks its budget for: a model call (a step) or a tool call.
    public enum Call: Sendable {
        case model
        case tool
    }

    /// The first limit a task that has used `usage`, started at `startedAt` (Unix µs), breaks
    /// when it asks for one more `call` at `now`: `steps` (a model call) or `tool_calls` (a tool
    /// call), `tokens`, `cost` or `seconds`; `nil` when it may go on. A limit is broken once it
    /// is reached, so the overshoot is at most the call that reached it.
    public func exceeded(by usage: Usage, startedAt: Int64?, now: Int64, call: Call = .model) -> String? {
        switch call {
        case .model: if let steps = self.steps, usage.steps >= steps { return "steps" }
        case .tool: if let calls = self.toolCalls, usage.toolCalls >= calls { return "tool_calls" }
        }
        if let tokens = self.tokens, usage.tokens >= tokens { return "tokens" }
        if let cost = self.costNanos, usage.costNanos >= cost { return "cost" }
        if let seconds = self.seconds, let startedAt, now - startedAt >= Int64(seconds) * 1_000_000 { return "seconds" }
        return nil
    }
}
