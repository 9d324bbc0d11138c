import KeelCore
import KeelOps
import KeelStorage
import Logging
import ServiceLifecycle
import Synchronization

/// What an agent's ended tasks say about it: success rate with its Wilson 95 % interval, the share
/// that needed a human, cost per successful task, steps and time per task, overall and per
/// version.
struct AgentStats: Sendable, Equatable {
    var tasks = 0
    var succeeded = 0
    var failed = 0
    var timedOut = 0
    var escalated = 0
    var micros: Int64 = 0
    var steps = 0
    var costNanos: Int64 = 0

    init(_ rows: [AgentTaskOutcomeStats]) {
        for row in rows {
            self.tasks += row.tasks
            switch row.state {
            case .succeeded: self.succeeded += row.tasks
            case .timedOut: self.timedOut += row.tasks
            default: self.failed += row.tasks
            }
            self.escalated += row.escalated
            self.micros += row.micros
            self.steps += row.steps
            self.costNanos += row.costNanos
        }
    }

    /// Two periods' statistics together.
    static func combined(_ a: AgentStats, _ b: AgentStats) -> AgentStats {
        var sum = a
        sum.tasks += b.tasks
        sum.succeeded += b.succeeded
        sum.failed += b.failed
        sum.timedOut += b.timedOut
        sum.escalated += b.escalated
        sum.micros += b.micros
        sum.steps += b.steps
        sum.costNanos += b.costNanos
        return sum
    }

    var successRate: Double? { self.tasks == 0 ? nil : Double(self.succeeded) / Double(self.tasks) }

    var json: String {
        func number(_ value: Double?) -> String {
            guard let value, value.isFinite else { return "null" }
            return String((value * 1_000_000).rounded() / 1_000_000)
        }
        let interval = SuccessRate.wilson(successes: self.succeeded, trials: self.tasks)
        var members = [
            #""tasks":\#(self.tasks)"#, #""succeeded":\#(self.succeeded)"#, #""failed":\#(self.failed)"#,
            #""timed_out":\#(self.timedOut)"#, #""success_rate":"# + number(self.successRate),
            #""success_rate_ci95":"#
                + (interval.map { "[" + number($0.lower) + "," + number($0.upper) + "]" } ?? "null"),
            #""needed_human":"# + number(self.tasks == 0 ? nil : Double(self.escalated) / Double(self.tasks)),
        ]
        members.append(
            #""cost_per_success_usd":"#
                + (self.succeeded == 0
                    ? "null" : #"""# + USDNanos(self.costNanos / Int64(self.succeeded)).decimalString + #"""#)
        )
        members.append(#""steps_per_task":"# + number(self.tasks == 0 ? nil : Double(self.steps) / Double(self.tasks)))
        members.append(
            #""seconds_per_task":"#
                + number(self.tasks == 0 ? nil : Double(self.micros) / Double(self.tasks) / 1_000_000)
        )
        return "{" + members.joined(separator: ",") + "}"
    }

    /// The 7 days before a period: the agent's own baseline.
    static let baselineMicros: Int64 = 7 * 86_400_000_000

    /// The statistics of `agentID` for `[from, to)`, overall and per version, against its
    /// baseline, as the admin API answers them.
    static func report(agentID: String, from: Int64, to: Int64, store: any AgentTaskStore) async throws -> String {
        let rows = try await store.outcomeStats(agentID: agentID, from: from, to: to)
        let baseline = AgentStats(
            try await store.outcomeStats(agentID: agentID, from: from - Self.baselineMicros, to: from)
        )
        let overall = AgentStats(rows)
        let versions = Dictionary(grouping: rows, by: { $0.version ?? "" }).sorted { $0.key < $1.key }.map {
            version,
            rows in
            let stats = AgentStats(rows).json
            return #"{"version":"# + (version.isEmpty ? "null" : JSONWriter.quoted(version)) + "," + stats.dropFirst()
        }
        let z = SuccessRate.dropZ(
            recent: (overall.succeeded, overall.tasks),
            baseline: (baseline.succeeded, baseline.tasks)
        )
        var json = #"{"agent":"# + JSONWriter.quoted(agentID) + #","from":\#(from / 1_000_000),"to":\#(to / 1_000_000)"#
        json += #","overall":"# + overall.json + #","versions":["# + versions.joined(separator: ",") + "]"
        json += #","baseline":{"from":\#((from - Self.baselineMicros) / 1_000_000),"to":\#(from / 1_000_000),"stats":"#
        json += baseline.json + "}"
        json += #","drop":{"z":"# + (z.map { String(($0 * 1_000).rounded() / 1_000) } ?? "null")
        json +=
            #","significant":\#(SuccessRate.droppedSignificantly(recent: (overall.succeeded, overall.tasks), baseline: (baseline.succeeded, baseline.tasks)))}}"#
        return json
    }
}

/// Every `interval`, reads each registered agent's tasks that ended in the last `window` against
/// the 7 days before: fires `agent_success_drop` when the rate dropped significantly (95 %,
/// one-sided, at least `minimumTasks` recent tasks), resolves it when it no longer has, and keeps
/// the figures `/metrics` shows when the fleet is small enough (`agents.metrics_max_agents`).
final class AgentStatsMonitor: Service, Sendable {
    let agents: AgentBook
    /// Told each agent's norm (steps per minute over the 7 days), for the step-rate loop detector.
    let tasks: TaskBook?
    let store: any AgentTaskStore
    let alerts: AlertService?
    let interval: Duration
    let window: Int64
    let minimumTasks: Int
    let metricsMaxAgents: Int
    private let logger: Logger

    struct Figures: Sendable, Equatable {
        var succeeded: Int
        var failed: Int
        var timedOut: Int
        var rate: Double?
    }

    private let firing = Mutex<[String: AlertNotification]>([:])
    private let figures = Mutex<[String: Figures]>([:])

    init(
        agents: AgentBook,
        tasks: TaskBook? = nil,
        store: any AgentTaskStore,
        alerts: AlertService?,
        interval: Duration,
        window: Int64,
        minimumTasks: Int = 10,
        metricsMaxAgents: Int,
        logger: Logger
    ) {
        self.agents = agents
        self.tasks = tasks
        self.store = store
        self.alerts = alerts
        self.interval = interval
        self.window = window
        self.minimumTasks = minimumTasks
        self.metricsMaxAgents = metricsMaxAgents
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.evaluate(now: WallClock.unixMicros())
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    func evaluate(now: Int64) async {
        var notifications: [AlertNotification] = []
        var figures: [String: Figures] = [:]
        var norms: [String: Double] = [:]
        // Two reads for the whole fleet: the window, and the 7 days before it.
        let recentRows: [String: [AgentTaskOutcomeStats]]
        let baselineRows: [String: [AgentTaskOutcomeStats]]
        do {
            recentRows = Dictionary(
                grouping: try await self.store.outcomeStats(agentID: nil, from: now - self.window, to: now),
                by: \.agentID
            )
            baselineRows = Dictionary(
                grouping: try await self.store.outcomeStats(
                    agentID: nil,
                    from: now - self.window - AgentStats.baselineMicros,
                    to: now - self.window
                ),
                by: \.agentID
            )
        } catch {
            self.logger.warning(
                "Agent statistics could not be read",
                metadata: [LogKey.errorType: "\(type(of: error))"]
            )
            return
        }
        for agent in self.agents.snapshot.agents.values.sorted(by: { $0.id < $1.id }) {
            let recent = AgentStats(recentRows[agent.id] ?? [])
            let baseline = AgentStats(baselineRows[agent.id] ?? [])
            let history = AgentStats.combined(recent, baseline)
            if history.micros > 0, history.steps > 0 {
                norms[agent.id] = Double(history.steps) / (Double(history.micros) / 60_000_000)
            }
            figures[agent.id] = Figures(
                succeeded: recent.succeeded,
                failed: recent.failed,
                timedOut: recent.timedOut,
                rate: recent.successRate
            )
            let dropped =
                recent.tasks >= self.minimumTasks
                && SuccessRate.droppedSignificantly(
                    recent: (recent.succeeded, recent.tasks),
                    baseline: (baseline.succeeded, baseline.tasks)
                )
            let notification = self.firing.withLock { firing -> AlertNotification? in
                if dropped, firing[agent.id] == nil {
                    let summary =
                        "Agent '\(agent.id)' succeeds in \(Self.percent(recent.successRate)) of its tasks of the last "
                        + "\(self.window / 60_000_000) min, against \(Self.percent(baseline.successRate)) over the 7 days before."
                    let fired = AlertNotification(
                        rule: "agent_success_drop",
                        severity: .page,
                        status: .firing,
                        labels: ["agent": agent.id, "version": agent.version],
                        value: recent.successRate ?? 0,
                        threshold: baseline.successRate ?? 0,
                        details: [:],
                        summary: summary,
                        startsAtMicros: now
                    )
                    firing[agent.id] = fired
                    return fired
                }
                if !dropped, var resolved = firing.removeValue(forKey: agent.id) {
                    resolved.status = .resolved
                    resolved.endsAtMicros = now
                    resolved.summary = "Agent '\(agent.id)' succeeds as often as its baseline again."
                    return resolved
                }
                return nil
            }
            if let notification { notifications.append(notification) }
        }
        self.figures.withLock { $0 = figures }
        self.tasks?.setNorms(norms)
        if !notifications.isEmpty { await self.alerts?.deliver(notifications) }
    }

    static func percent(_ rate: Double?) -> String {
        rate.map { String((($0 * 1_000).rounded()) / 10) + " %" } ?? "none"
    }

    /// Agents whose success dropped, now.
    var dropping: Set<String> { self.firing.withLock { Set($0.keys) } }

    /// Prometheus text: per agent, when the fleet has at most `metricsMaxAgents` agents.
    func prometheusText() -> String {
        let figures = self.figures.withLock { $0 }.sorted { $0.key < $1.key }
        guard !figures.isEmpty, figures.count <= self.metricsMaxAgents else { return "" }
        var text = ""
        let ended = "keel_agent_tasks_ended"
        PrometheusText.header(
            &text,
            ended,
            "gauge",
            "Tasks of each registered agent that ended in the statistics window."
        )
        for (agent, figure) in figures {
            for (outcome, count) in [
                ("succeeded", figure.succeeded), ("failed", figure.failed), ("timed_out", figure.timedOut),
            ] {
                PrometheusText.sample(&text, ended, [("agent", agent), ("outcome", outcome)], String(count))
            }
        }
        let ratio = "keel_agent_task_success_ratio"
        PrometheusText.header(
            &text,
            ratio,
            "gauge",
            "Share of each registered agent's tasks in the window that succeeded."
        )
        for (agent, figure) in figures {
            guard let rate = figure.rate else { continue }
            PrometheusText.sample(&text, ratio, [("agent", agent)], PrometheusText.number(rate))
        }
        return text
    }
}
