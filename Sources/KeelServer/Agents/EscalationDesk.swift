import KeelCore
import KeelOps
import KeelStorage
import Logging
import Synchronization

/// Where calls wait for humans: an agent's call of a gated tool is held until reviewers decide
/// (``holdToolCall(agent:server:tool:arguments:taskID:orgID:teamID:flight:)``), and an agent's own
/// question waits for an answer (``ask(agentID:taskID:question:principal:agent:)``).
///
/// Escalations live in the store, so a reviewer may decide through any instance: a held call
/// reads its escalation again every 200 ms. Each new one goes to the alert receivers (webhooks,
/// Slack) as `approval_requested`, resolved when decided. While one waits, its task is
/// `awaiting_approval` (and counts as one that needed a human).
final class EscalationDesk: Sendable {
    let store: any EscalationStore
    let taskStore: any AgentTaskStore
    let tasks: TaskBook?
    let alerts: AlertService?
    let logger: Logger
    /// How often a held call reads its escalation again.
    let pollInterval: Duration
    private let counters = Mutex(Counters())

    struct Counters: Sendable {
        /// Escalations opened, by kind.
        var opened: [Escalation.Kind: Int] = [:]
        /// Decided ones, by final state, and the seconds from opening to decision.
        var decided: [Escalation.State: Int] = [:]
        var decisionSeconds: [Escalation.State: Double] = [:]
    }

    /// The longest question and arguments kept for reviewers.
    static let maxText = 16 << 10

    init(
        store: any EscalationStore,
        taskStore: any AgentTaskStore,
        tasks: TaskBook?,
        alerts: AlertService?,
        pollInterval: Duration = .milliseconds(200),
        logger: Logger
    ) {
        self.store = store
        self.taskStore = taskStore
        self.tasks = tasks
        self.alerts = alerts
        self.pollInterval = pollInterval
        self.logger = logger
    }

    /// Holds a call of a tool `agent`'s approvals gate until it is decided, and returns once it is
    /// approved (the approval then used). The same call asked again while it waits joins the
    /// same escalation.
    ///
    /// - Throws: 403 `approval_denied` when a reviewer denied it or nobody decided within the
    ///   agent's `approvals.timeout_seconds`; the kill switch's halt, or 499, when the wait was
    ///   cut (the caller checks its flight).
    func holdToolCall(
        agent: Agent,
        server: String?,
        tool: String,
        arguments: JSONValue?,
        taskID: String?,
        orgID: OrgID?,
        teamID: TeamID?,
        flight: AgentFlight?
    ) async throws -> Escalation {
        let policy = agent.approvals ?? ApprovalPolicy()
        let now = WallClock.unixMicros()
        let fingerprint = Escalation.fingerprint(of: arguments) ?? (SHA256Hex.of(Array("{}".utf8)), "{}")
        let named = (server.map { $0 + "/" } ?? "") + tool
        var escalation: Escalation
        if let open = try await self.store.openCall(
            agentID: agent.id,
            server: server,
            tool: tool,
            argumentsSHA256: fingerprint.sha256,
            taskID: taskID,
            now: now
        ) {
            escalation = open
        } else {
            escalation = Escalation(
                id: "esc_" + WallClock.newRequestID(startedAt: now).dropFirst(4),
                kind: .toolCall,
                agentID: agent.id,
                orgID: agent.orgID ?? orgID,
                teamID: agent.teamID ?? teamID,
                taskID: taskID,
                server: server,
                tool: tool,
                argumentsSHA256: fingerprint.sha256,
                arguments: String(fingerprint.json.prefix(Self.maxText)),
                quorum: policy.quorum,
                createdAt: now,
                expiresAt: now + Int64(policy.timeoutSeconds) * 1_000_000
            )
            try await self.open(escalation)
        }
        escalation = try await self.wait(escalation, flight: flight)
        switch escalation.state {
        case .approved:
            guard try await self.store.consume(id: escalation.id, now: WallClock.unixMicros()) else {
                throw KeelError.approvalDenied(
                    "The approval of this call (escalation '\(escalation.id)') was used already or has expired; call again to ask anew."
                )
            }
            return escalation
        case .denied:
            throw KeelError.approvalDenied(
                "A reviewer denied this call of '\(named)' (escalation '\(escalation.id)')"
                    + (escalation.reason.map { ": \($0)" } ?? ".")
            )
        case .expired, .pending:
            throw KeelError.approvalDenied(
                "No reviewer decided on this call of '\(named)' (escalation '\(escalation.id)') within "
                    + "\(policy.timeoutSeconds) s; it is denied."
            )
        }
    }

    /// Opens an agent's own question (`POST /v1/tasks/{id}/escalations`); its task waits.
    func ask(
        agentID: String,
        taskID: String?,
        question: String,
        principal: Principal,
        agent: Agent?
    ) async throws -> Escalation {
        let policy = agent?.approvals ?? ApprovalPolicy()
        let now = WallClock.unixMicros()
        let escalation = Escalation(
            id: "esc_" + WallClock.newRequestID(startedAt: now).dropFirst(4),
            kind: .question,
            agentID: agentID,
            orgID: agent?.orgID ?? principal.orgID,
            teamID: agent?.teamID ?? principal.teamID,
            taskID: taskID,
            question: String(question.prefix(Self.maxText)),
            quorum: policy.quorum,
            createdAt: now,
            expiresAt: now + Int64(policy.timeoutSeconds) * 1_000_000
        )
        try await self.open(escalation)
        return escalation
    }

    /// Opens the question of a task paused on its `limit` (`steps`, `tool_calls`, `tokens`,
    /// `cost`, `seconds`): the task is `awaiting_approval` already.
    func openBudget(task: AgentTaskRow, limit: String, agent: Agent?) async throws {
        let policy = agent?.approvals ?? ApprovalPolicy()
        let now = WallClock.unixMicros()
        let escalation = Escalation(
            id: "esc_" + WallClock.newRequestID(startedAt: now).dropFirst(4),
            kind: .budget,
            agentID: task.agentID ?? "",
            orgID: agent?.orgID ?? task.orgID,
            teamID: agent?.teamID ?? task.teamID,
            taskID: task.id,
            tool: limit,
            question:
                "Task '\(task.id)' has used its budget of \(limit). Approve to double that limit and let it go on; deny to fail it.",
            quorum: policy.quorum,
            createdAt: now,
            expiresAt: now + Int64(policy.timeoutSeconds) * 1_000_000
        )
        try await self.store.insert(escalation)
        self.counters.withLock { $0.opened[.budget, default: 0] += 1 }
        await self.notify(escalation, status: .firing)
    }

    /// The escalation as it stands, a pending one past its deadline expired first.
    func current(id: String) async throws -> Escalation? {
        guard let escalation = try await self.store.escalation(id: id) else { return nil }
        guard escalation.state == .pending, escalation.expiresAt <= WallClock.unixMicros() else { return escalation }
        return try await self.settle(try await self.store.expireIfDue(id: id, now: WallClock.unixMicros()))
    }

    /// Counts a reviewer's decision.
    ///
    /// - Throws: 404 when there is no such escalation; 409 when it is decided (or expired)
    ///   already, or the reviewer decided on it before.
    func vote(id: String, reviewer: String, approve: Bool, reason: String?) async throws -> Escalation {
        guard let pending = try await self.current(id: id) else {
            throw KeelError.notFound("No escalation with id '\(id)'.")
        }
        guard pending.state == .pending else {
            throw KeelError.conflict("Escalation '\(id)' is \(pending.state.rawValue) already.", param: "id")
        }
        let now = WallClock.unixMicros()
        let usableFor = pending.expiresAt - pending.createdAt
        let voted: Escalation?
        do {
            voted = try await self.store.vote(
                id: id,
                Escalation.Vote(reviewer: reviewer, approve: approve, reason: reason, at: now),
                usableFor: usableFor
            )
        } catch let error as StorageError where error.code == .conflict {
            throw KeelError.conflict(
                "Escalation '\(id)' is decided, or '\(reviewer)' decided on it already.",
                param: "id"
            )
        }
        guard let voted else { throw KeelError.notFound("No escalation with id '\(id)'.") }
        return try await self.settle(voted)
    }

    /// Stores a new escalation, pauses its task and tells the receivers.
    private func open(_ escalation: Escalation) async throws {
        try await self.store.insert(escalation)
        self.counters.withLock { $0.opened[escalation.kind, default: 0] += 1 }
        if let task = escalation.taskID {
            _ = try? await self.taskStore.transition(
                task,
                from: [.running],
                to: .awaitingApproval,
                reason: "approval: \(escalation.id)",
                now: escalation.createdAt
            )
            try? await self.tasks?.reload(now: escalation.createdAt)
        }
        self.logger.notice(
            "A call waits for a reviewer",
            metadata: ["keel.escalation.id": "\(escalation.id)", "keel.agent.id": "\(escalation.agentID)"]
        )
        await self.notify(escalation, status: .firing)
    }

    /// After a decision, by whoever made it (a reviewer's vote, an expiry): counts it, lets the
    /// task run again, resolves the notification.
    private func settle(_ escalation: Escalation?) async throws -> Escalation {
        guard let escalation else { throw KeelError.notFound("No such escalation.") }
        guard escalation.state != .pending, let decided = escalation.decidedAt else { return escalation }
        self.counters.withLock { counters in
            counters.decided[escalation.state, default: 0] += 1
            counters.decisionSeconds[escalation.state, default: 0] += Double(decided - escalation.createdAt) / 1e6
        }
        if let task = escalation.taskID {
            if escalation.kind == .budget {
                try? await self.decideBudget(escalation, task: task, at: decided)
            } else {
                _ = try? await self.taskStore.transition(
                    task,
                    from: [.awaitingApproval],
                    to: .running,
                    reason: "escalation \(escalation.state.rawValue)",
                    now: decided
                )
            }
            try? await self.tasks?.reload(now: WallClock.unixMicros())
        }
        await self.notify(escalation, status: .resolved)
        return escalation
    }

    /// A budget question decided: approved, the limit reached is doubled and the task runs on;
    /// otherwise it fails.
    private func decideBudget(_ escalation: Escalation, task: String, at: Int64) async throws {
        // A task a reviewer extended or resumed meanwhile (PATCH, resume) is left as it is.
        guard let row = try await self.taskStore.row(task), row.state == .awaitingApproval else { return }
        guard escalation.state == .approved else {
            _ = try await self.taskStore.transition(
                task,
                from: [.awaitingApproval],
                to: .failed,
                reason: "task_budget_exceeded: \(escalation.state.rawValue) by review",
                now: at
            )
            return
        }
        let agent = self.tasks?.agents?.snapshot.agents[escalation.agentID]
        let effective = TaskBudget.effective(row.budget, agent: agent)
        var raised = TaskBudget()
        switch escalation.tool {
        case "steps": raised.steps = effective.steps.map { $0 * 2 }
        case "tool_calls": raised.toolCalls = effective.toolCalls.map { $0 * 2 }
        case "tokens": raised.tokens = effective.tokens.map { $0 * 2 }
        case "cost": raised.costNanos = effective.costNanos.map { $0 * 2 }
        case "seconds": raised.seconds = effective.seconds.map { $0 * 2 }
        default: break
        }
        _ = try await self.taskStore.change(task, budget: row.budget.overlaid(by: raised), priority: nil, now: at)
        _ = try await self.taskStore.transition(
            task,
            from: [.awaitingApproval],
            to: .running,
            reason: "budget raised by review",
            now: at
        )
    }

    /// Reads the escalation until it is decided, expired, or the wait is cut.
    private func wait(_ escalation: Escalation, flight: AgentFlight?) async throws -> Escalation {
        var current = escalation
        while current.state == .pending {
            if let halt = flight?.haltError { throw halt }
            let now = WallClock.unixMicros()
            if now >= current.expiresAt {
                return try await self.settle(try await self.store.expireIfDue(id: current.id, now: now))
            }
            let remaining = Duration.microseconds(current.expiresAt - now)
            do {
                try await Task.sleep(for: min(self.pollInterval, remaining))
            } catch {
                throw flight?.haltError ?? KeelError.clientDisconnected
            }
            guard let next = try await self.store.escalation(id: current.id) else {
                throw KeelError.notFound("Escalation '\(current.id)' is gone.")
            }
            // Decided through the admin API, which settled it (on this instance or another).
            current = next
        }
        return current
    }

    private func notify(_ escalation: Escalation, status: AlertNotification.Status) async {
        guard let alerts = self.alerts else { return }
        var labels = ["escalation": escalation.id, "agent": escalation.agentID, "kind": escalation.kind.rawValue]
        if let task = escalation.taskID { labels["task"] = task }
        if let tool = escalation.tool { labels["tool"] = (escalation.server.map { $0 + "/" } ?? "") + tool }
        // The same labels firing and resolved: the alert service pairs them by their labels.
        let what =
            escalation.kind == .toolCall
            ? "Agent '\(escalation.agentID)' waits for approval to call '\(labels["tool"] ?? "")'"
            : escalation.question.map { "Agent '\(escalation.agentID)': \($0.prefix(200))" }
                ?? "Agent '\(escalation.agentID)' asks."
        await alerts.deliver([
            AlertNotification(
                rule: "approval_requested",
                severity: .page,
                status: status,
                labels: labels,
                value: Double(escalation.votes.filter(\.approve).count),
                threshold: Double(escalation.quorum),
                details: [:],
                summary: status == .firing
                    ? what
                        + " (escalation '\(escalation.id)'; approve or deny: /admin/v1/escalations/\(escalation.id))."
                    : "Escalation '\(escalation.id)' is \(escalation.state.rawValue).",
                startsAtMicros: escalation.createdAt
            )
        ])
    }

    /// `/metrics` lines: escalations opened, decided, and the time a decision took.
    func prometheusText() -> String {
        let counters = self.counters.withLock { $0 }
        var text = """
            # HELP keel_escalations_opened_total Calls held for a human, and agents' questions.
            # TYPE keel_escalations_opened_total counter

            """
        for kind in Escalation.Kind.allCases {
            text += "keel_escalations_opened_total{kind=\"\(kind.rawValue)\"} \(counters.opened[kind] ?? 0)\n"
        }
        text += """
            # HELP keel_escalation_decision_seconds Time from an escalation to its decision (approved, denied, expired).
            # TYPE keel_escalation_decision_seconds summary

            """
        for state in [Escalation.State.approved, .denied, .expired] {
            text +=
                "keel_escalation_decision_seconds_sum{decision=\"\(state.rawValue)\"} \(counters.decisionSeconds[state] ?? 0)\n"
            text +=
                "keel_escalation_decision_seconds_count{decision=\"\(state.rawValue)\"} \(counters.decided[state] ?? 0)\n"
        }
        return text
    }
}
