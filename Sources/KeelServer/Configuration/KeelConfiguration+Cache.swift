extension KeelConfiguration {
    /// `cache:` — the exact-match response cache (see docs/adr/0006-response-cache.md).
    ///
    /// Off by default. When on, a chat request whose team (or key, for a key without a team),
    /// dialect, model and body bytes equal an earlier successful one's within ``ttl`` is answered
    /// from memory, stream or not, at no cost. Per model it can be turned off with
    /// `models[].cache: false`.
    public struct Cache: Sendable, Equatable {
        /// Whether the cache is used at all. When `false` the request path does no hashing.
        public var enabled: Bool
        /// How long an answer is served after it was stored.
        public var ttl: Duration
        /// The memory the stored answers may take together; the least recently used are evicted
        /// beyond it.
        public var maxBytes: Int
        /// Answers (bodies or whole streams) larger than this are not stored.
        public var maxEntryBytes: Int

        public init(enabled: Bool = false, ttl: Duration = .seconds(3_600), maxBytes: Int = 128 << 20, maxEntryBytes: Int = 1 << 20) {
            self.enabled = enabled
            self.ttl = ttl
            self.maxBytes = maxBytes
            self.maxEntryBytes = maxEntryBytes
        }
    }

    /// Reads `cache:` {`enabled` (false), `ttl` (`1h`; `500ms`, `30s`, `5m`, `1h`, `7d`, up to
    /// 30 days), `max_bytes` (134217728), `max_entry_bytes` (1048576, at most `max_bytes`)}.
    static func readCache(_ node: ConfigNode) -> Cache {
        node.expectKeys(["enabled", "ttl", "max_bytes", "max_entry_bytes"])
        let defaults = Cache()
        var cache = Cache(
            enabled: node.child("enabled").bool(default: defaults.enabled),
            ttl: Self.cacheTTL(node.child("ttl"), default: defaults.ttl),
            maxBytes: node.child("max_bytes").int(default: defaults.maxBytes, range: 1_024...(1 << 40)),
            maxEntryBytes: node.child("max_entry_bytes").int(default: defaults.maxEntryBytes, range: 1...(1 << 30))
        )
        if cache.maxEntryBytes > cache.maxBytes {
            if node.child("max_entry_bytes").isPresent {
                node.context.report(node.child("max_entry_bytes").path, "must not exceed cache.max_bytes (\(cache.maxBytes))")
            } else {
                // Only max_bytes was lowered: a single entry may then fill the cache.
                cache.maxEntryBytes = cache.maxBytes
            }
        }
        return cache
    }

    /// `500ms`, `30s`, `5m`, `1h`, `7d` or a number of seconds; more than zero, at most 30 days.
    static func cacheTTL(_ node: ConfigNode, default value: Duration) -> Duration {
        guard let text = node.text else { return value }
        let units: [(suffix: String, milliseconds: Int64)] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        var milliseconds: Int64?
        if let seconds = Int64(text) {
            milliseconds = seconds.multipliedReportingOverflow(by: 1_000).overflow ? nil : seconds * 1_000
        } else if let unit = units.first(where: { text.hasSuffix($0.suffix) }), let number = Int64(text.dropLast(unit.suffix.count)) {
            let product = number.multipliedReportingOverflow(by: unit.milliseconds)
            milliseconds = product.overflow ? nil : product.partialValue
        }
        guard let milliseconds, milliseconds > 0, milliseconds <= 30 * 86_400_000 else {
            node.context.report(node.path, "must be a duration from 1ms to 30d, like 30s, 5m, 1h or 7d, got '\(text)'")
            return value
        }
        return .milliseconds(milliseconds)
    }
}
