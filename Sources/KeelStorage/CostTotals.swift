public import KeelCore

/// Counts, token sums and cost of a set of requests: one row of a cost rollup or a cost report.
///
/// `errors` counts the requests whose outcome is `error` or `interrupted` (a cancelled request
/// is the client's choice, not an error). `cacheWriteTokens` counts both cache lifetimes
/// (`TokenUsage.cacheWriteTokens + cacheWrite1hTokens`). `cacheHits` counts the requests
/// answered by the response cache and `cacheSavedCost` sums what they saved (their `cost` is
/// zero, so `cost` never counts them). Every field is an exact integer sum.
public struct CostTotals: Sendable, Equatable, Hashable {
    public var requests: Int64
    public var errors: Int64
    public var inputTokens: Int64
    public var outputTokens: Int64
    public var cachedInputTokens: Int64
    public var cacheWriteTokens: Int64
    public var reasoningTokens: Int64
    public var cost: USDNanos
    public var cacheHits: Int64
    public var cacheSavedCost: USDNanos
    /// The part of ``cost`` that is estimated (``RequestRecord/usageEstimated``), not reported by
    /// an upstream.
    public var estimatedCost: USDNanos

    public init(
        requests: Int64 = 0,
        errors: Int64 = 0,
        inputTokens: Int64 = 0,
        outputTokens: Int64 = 0,
        cachedInputTokens: Int64 = 0,
        cacheWriteTokens: Int64 = 0,
        reasoningTokens: Int64 = 0,
        cost: USDNanos = .zero,
        cacheHits: Int64 = 0,
        cacheSavedCost: USDNanos = .zero,
        estimatedCost: USDNanos = .zero
    ) {
        self.estimatedCost = estimatedCost
        self.requests = requests
        self.errors = errors
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedInputTokens = cachedInputTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.reasoningTokens = reasoningTokens
        self.cost = cost
        self.cacheHits = cacheHits
        self.cacheSavedCost = cacheSavedCost
    }

    /// Adds one request.
    public mutating func add(_ record: RequestRecord) {
        self.requests += 1
        if record.outcome == .error || record.outcome == .interrupted { self.errors += 1 }
        self.inputTokens += record.usage.inputTokens
        self.outputTokens += record.usage.outputTokens
        self.cachedInputTokens += record.usage.cachedInputTokens
        self.cacheWriteTokens += record.usage.cacheWriteTokens + record.usage.cacheWrite1hTokens
        self.reasoningTokens += record.usage.reasoningTokens
        self.cost = self.cost + record.cost
        if record.cacheHit { self.cacheHits += 1 }
        self.cacheSavedCost = self.cacheSavedCost + record.cacheSavedCost
        if record.usageEstimated { self.estimatedCost = self.estimatedCost + record.cost }
    }

    /// Adds another set.
    public mutating func add(_ other: CostTotals) {
        self.requests += other.requests
        self.errors += other.errors
        self.inputTokens += other.inputTokens
        self.outputTokens += other.outputTokens
        self.cachedInputTokens += other.cachedInputTokens
        self.cacheWriteTokens += other.cacheWriteTokens
        self.reasoningTokens += other.reasoningTokens
        self.cost = self.cost + other.cost
        self.cacheHits += other.cacheHits
        self.cacheSavedCost = self.cacheSavedCost + other.cacheSavedCost
        self.estimatedCost = self.estimatedCost + other.estimatedCost
    }

    /// The values in the order of the rollup tables' sum columns (``CostRollup/sumColumns``).
    package var columnValues: [Int64] {
        [
            self.requests, self.errors, self.inputTokens, self.outputTokens, self.cachedInputTokens,
            self.cacheWriteTokens, self.reasoningTokens, self.cost.rawValue, self.cacheHits, self.cacheSavedCost.rawValue,
            self.estimatedCost.rawValue,
        ]
    }

    /// Reads values in the order of ``columnValues``.
    package init(columnValues v: [Int64]) {
        self.init(
            requests: v[0], errors: v[1], inputTokens: v[2], outputTokens: v[3], cachedInputTokens: v[4],
            cacheWriteTokens: v[5], reasoningTokens: v[6], cost: USDNanos(v[7]), cacheHits: v[8],
            cacheSavedCost: USDNanos(v[9]), estimatedCost: USDNanos(v[10]))
    }
}
