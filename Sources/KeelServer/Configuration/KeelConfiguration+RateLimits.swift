import KeelCore

extension KeelConfiguration {
    /// `rate_limiting:` — how rate-limit capacity is leased from the database (the rules are
    /// `rate_limits:` and the admin API's; see docs/adr/0007-rate-limits.md).
    public struct RateLimiting: Sendable, Equatable {
        /// The share of a limit an instance leases at a time: the most capacity one instance can
        /// hold unused while another is refused.
        public var sliceFraction: Double
        /// How often an instance reloads stored rules, renews its concurrency leases and gives
        /// unused capacity back.
        public var syncInterval: Duration
        /// A concurrency lease not renewed for this long is dropped: its instance is gone.
        public var leaseTTL: Duration

        public init(sliceFraction: Double = 0.1, syncInterval: Duration = .seconds(2), leaseTTL: Duration = .seconds(15)) {
            self.sliceFraction = sliceFraction
            self.syncInterval = syncInterval
            self.leaseTTL = leaseTTL
        }
    }

    /// Reads `rate_limits:`, a list of rules {`id` (default `config-<index>`), `key` (key id),
    /// `team` (team id), `model` (model name as clients send it) — at least one; `rpm`, `tpm`,
    /// `max_concurrent` — at least one, each 1–10^12; `window_seconds` (60, 1–86400: `rpm` and
    /// `tpm` count per window)}. `models` are the configured model names a rule may name.
    static func readRateLimits(_ node: ConfigNode, models: Set<String>) -> [RateLimitRule] {
        var rules: [RateLimitRule] = []
        var ids: Set<String> = []
        for (index, element) in node.elements.enumerated() {
            element.expectKeys(["id", "key", "team", "model", "rpm", "tpm", "max_concurrent", "window_seconds"])
            let limitRange = 1...1_000_000_000_000
            let rule = RateLimitRule(
                id: element.child("id").text ?? "config-\(index)",
                keyID: element.child("key").text.map { KeyID($0) },
                teamID: element.child("team").text.map { TeamID($0) },
                model: element.child("model").text,
                requestsPerWindow: element.child("rpm").optionalInt(range: limitRange),
                tokensPerWindow: element.child("tpm").optionalInt(range: limitRange),
                maxConcurrent: element.child("max_concurrent").optionalInt(range: limitRange),
                windowSeconds: element.child("window_seconds").int(default: 60, range: 1...RateLimitRule.maxWindowSeconds)
            )
            if let problem = rule.problem {
                element.context.report(element.path, problem)
                continue
            }
            if let model = rule.model, !models.contains(model) {
                element.context.report(element.child("model").path, "names no configured model: '\(model)'")
            }
            if !ids.insert(rule.id).inserted {
                element.context.report(element.child("id").path, "is used by another rate limit: '\(rule.id)'")
            }
            rules.append(rule)
        }
        return rules
    }

    /// Reads `rate_limiting:` {`slice_fraction` (0.1, more than 0 and at most 1),
    /// `sync_interval_ms` (2000, 10–60000), `lease_ttl_ms` (15000, at least 3 × `sync_interval_ms`)}.
    static func readRateLimiting(_ node: ConfigNode) -> RateLimiting {
        node.expectKeys(["slice_fraction", "sync_interval_ms", "lease_ttl_ms"])
        var settings = RateLimiting()
        if let text = node.child("slice_fraction").text {
            if let fraction = Double(text), fraction > 0, fraction <= 1 {
                settings.sliceFraction = fraction
            } else {
                node.context.report(node.child("slice_fraction").path, "must be a number more than 0 and at most 1, got '\(text)'")
            }
        }
        settings.syncInterval = .milliseconds(node.child("sync_interval_ms").int(default: 2_000, range: 10...60_000))
        settings.leaseTTL = .milliseconds(node.child("lease_ttl_ms").int(default: 15_000, range: 30...3_600_000))
        if settings.leaseTTL < settings.syncInterval * 3 {
            node.context.report(node.child("lease_ttl_ms").path, "must be at least 3 × rate_limiting.sync_interval_ms")
        }
        return settings
    }
}
