extension KeelConfiguration {
    /// `agents:` — agent operations (see docs/adr/0014-agent-operations.md).
    public struct Agents: Sendable, Equatable {
        /// Whether `x-keel-agent` must name a registered agent; without it, a key that is not
        /// bound to an agent may still label its requests with any agent name.
        public var requireRegistration: Bool
        /// How often each instance reads the agent registry again, so that a change made on
        /// another instance (a suspension: the kill switch) applies here within it.
        public var syncIntervalMs: Int
        /// How long a claimed task stays its worker's after its last activity (a request of the
        /// task, or a heartbeat), unless the claim asked for another lease.
        public var taskLeaseSeconds: Int
        /// How often each agent's recent success rate is compared with its baseline.
        public var statsIntervalMs: Int
        /// The recent window that comparison reads (minutes).
        public var statsWindowMinutes: Int
        /// `/metrics` shows figures per agent only while at most this many agents are registered
        /// (0: never), so its labels stay bounded.
        public var metricsMaxAgents: Int

        public init(
            requireRegistration: Bool = false,
            syncIntervalMs: Int = 1_000,
            taskLeaseSeconds: Int = 60,
            statsIntervalMs: Int = 60_000,
            statsWindowMinutes: Int = 60,
            metricsMaxAgents: Int = 50
        ) {
            self.requireRegistration = requireRegistration
            self.syncIntervalMs = syncIntervalMs
            self.taskLeaseSeconds = taskLeaseSeconds
            self.statsIntervalMs = statsIntervalMs
            self.statsWindowMinutes = statsWindowMinutes
            self.metricsMaxAgents = metricsMaxAgents
        }
    }

    /// Reads `agents:` {`require_registration` (false), `sync_interval_ms` (1000, 100 to 60000),
    /// `task_lease_seconds` (60, 1 to 86400), `stats_interval_ms` (60000, 1000 to 86400000),
    /// `stats_window_minutes` (60, 1 to 10080), `metrics_max_agents` (50, 0 to 1000)}.
    static func readAgents(_ node: ConfigNode) -> Agents {
        node.expectKeys([
            "require_registration", "sync_interval_ms", "task_lease_seconds", "stats_interval_ms",
            "stats_window_minutes",
            "metrics_max_agents",
        ])
        let defaults = Agents()
        return Agents(
            requireRegistration: node.child("require_registration").bool(default: defaults.requireRegistration),
            syncIntervalMs: node.child("sync_interval_ms").int(default: defaults.syncIntervalMs, range: 100...60_000),
            taskLeaseSeconds: node.child("task_lease_seconds").int(
                default: defaults.taskLeaseSeconds,
                range: 1...86_400
            ),
            statsIntervalMs: node.child("stats_interval_ms").int(
                default: defaults.statsIntervalMs,
                range: 1_000...86_400_000
            ),
            statsWindowMinutes: node.child("stats_window_minutes").int(
                default: defaults.statsWindowMinutes,
                range: 1...10_080
            ),
            metricsMaxAgents: node.child("metrics_max_agents").int(default: defaults.metricsMaxAgents, range: 0...1_000)
        )
    }
}
