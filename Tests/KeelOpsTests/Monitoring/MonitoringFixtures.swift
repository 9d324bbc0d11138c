import KeelCore
import KeelOps

/// Builds records and feeds engines for the monitoring tests.
enum MonitoringFixtures {
    /// A slot-aligned instant (a multiple of an hour), µs since the epoch.
    static let start: Int64 = 1_700_002_800_000_000

    static func record(
        endingAt end: Int64,
        provider: String = "openai",
        model: String = "gpt-test",
        deployment: String = "gpt-test-east",
        team: String? = "search",
        totalMicros: Int64 = 200_000,
        ttftMicros: Int64? = nil,
        upstreamMicros: Int64? = nil,
        outputTokens: Int64 = 0,
        inputTokens: Int64 = 0,
        cost: Int64 = 0,
        errorClass: String? = nil,
        status: Int? = nil,
        outcome: RequestRecord.Outcome? = nil
    ) -> RequestRecord {
        let failed = errorClass != nil || (outcome.map { $0 != .success } ?? false)
        return RequestRecord(
            id: RequestID("r-\(end)"),
            startedAt: end - totalMicros,
            operation: "chat",
            teamID: team.map { TeamID($0) },
            requestedModel: model,
            model: model,
            provider: provider,
            deployment: deployment,
            stream: ttftMicros != nil,
            status: status ?? (failed ? 502 : 200),
            outcome: outcome ?? (failed ? .error : .success),
            errorClass: errorClass,
            attempts: 1,
            ttftMicros: ttftMicros,
            upstreamMicros: upstreamMicros,
            totalMicros: totalMicros,
            usage: TokenUsage(inputTokens: inputTokens, outputTokens: outputTokens),
            cost: USDNanos(cost)
        )
    }
}

/// A small deterministic generator (SplitMix64), so generated series are the same every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The exact percentile HDR's `valueAtPercentile` approximates: the smallest value with at
/// least `percentile` % of the values at or below it.
func exactPercentile(_ sorted: [Int64], _ percentile: Double) -> Int64 {
    let rank = max(1, Int((percentile / 100 * Double(sorted.count)).rounded(.up)))
    return sorted[rank - 1]
}
