extension KeelConfiguration {
    /// `budgets:` — how budgets are enforced (the budgets themselves are made through the admin
    /// API or `keel budgets`, and live in the database).
    public struct Budgets: Sendable, Equatable {
        /// Answer tokens reserved for a request that states no `max_tokens`; a stream that goes
        /// past them asks its budgets for more as it goes.
        public var reserveOutputTokens: Int
        /// The slice of a budget an instance takes from the ledger beyond a request's
        /// reservation, as a fraction of the limit.
        public var sliceFraction: Double
        /// How often an instance writes what it spent and gives back unused shares.
        public var flushInterval: Duration
        /// After this long without a flush an instance counts as gone: its unspent share returns.
        public var leaseTTL: Duration
        /// How often soft limits and spend forecasts are checked for alerts.
        public var alertInterval: Duration

        public init(
            reserveOutputTokens: Int = 4_096,
            sliceFraction: Double = 0.05,
            flushInterval: Duration = .seconds(1),
            leaseTTL: Duration = .seconds(15),
            alertInterval: Duration = .seconds(60)
        ) {
            self.reserveOutputTokens = reserveOutputTokens
            self.sliceFraction = sliceFraction
            self.flushInterval = flushInterval
            self.leaseTTL = leaseTTL
            self.alertInterval = alertInterval
        }
    }

    /// Reads `budgets:` {`reserve_output_tokens` (4096, 1–1000000), `slice_fraction` (0.05, more
    /// than 0 and at most 1), `flush_interval_ms` (1000, 10–60000), `lease_ttl_ms` (15000, at
    /// least 3 × `flush_interval_ms`), `alert_interval_ms` (60000, 100–86400000)}.
    static func readBudgets(_ node: ConfigNode) -> Budgets {
        node.expectKeys(["reserve_output_tokens", "slice_fraction", "flush_interval_ms", "lease_ttl_ms", "alert_interval_ms"])
        let defaults = Budgets()
        var budgets = defaults
        budgets.reserveOutputTokens = node.child("reserve_output_tokens").int(default: defaults.reserveOutputTokens, range: 1...1_000_000)
        if let text = node.child("slice_fraction").text {
            if let fraction = Double(text), fraction > 0, fraction <= 1 {
                budgets.sliceFraction = fraction
            } else {
                node.context.report(node.child("slice_fraction").path, "must be a number more than 0 and at most 1, got '\(text)'")
            }
        }
        budgets.flushInterval = .milliseconds(node.child("flush_interval_ms").int(default: 1_000, range: 10...60_000))
        budgets.leaseTTL = .milliseconds(node.child("lease_ttl_ms").int(default: 15_000, range: 30...3_600_000))
        if budgets.leaseTTL < budgets.flushInterval * 3 {
            node.context.report(node.child("lease_ttl_ms").path, "must be at least 3 × budgets.flush_interval_ms")
        }
        budgets.alertInterval = .milliseconds(node.child("alert_interval_ms").int(default: 60_000, range: 100...86_400_000))
        return budgets
    }
}
