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

        public init(requireRegistration: Bool = false, syncIntervalMs: Int = 1_000, taskLeaseSeconds: Int = 60) {
            self.requireRegistration = requireRegistration
            self.syncIntervalMs = syncIntervalMs
            self.taskLeaseSeconds = taskLeaseSeconds
        }
    }

    /// Reads `agents:` {`require_registration` (false), `sync_interval_ms` (1000, 100 to 60000),
    /// `task_lease_seconds` (60, 1 to 86400)}.
    static func readAgents(_ node: ConfigNode) -> Agents {
        node.expectKeys(["require_registration", "sync_interval_ms", "task_lease_seconds"])
        let defaults = Agents()
        return Agents(
            requireRegistration: node.child("require_registration").bool(default: defaults.requireRegistration),
            syncIntervalMs: node.child("sync_interval_ms").int(default: defaults.syncIntervalMs, range: 100...60_000),
            taskLeaseSeconds: node.child("task_lease_seconds").int(default: defaults.taskLeaseSeconds, range: 1...86_400)
        )
    }
}
