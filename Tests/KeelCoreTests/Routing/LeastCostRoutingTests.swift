import KeelCore
import Testing

@Suite("RoutingTable least_cost")
struct LeastCostRoutingTests {
    /// Prices in dollars per million tokens (blended).
    func table(
        prices: [String?],
        objective: Duration? = .milliseconds(500),
        minSamples: Int = 3,
        metric: LatencyMetric = .timeToFirstToken,
        breaker: CircuitBreakerConfiguration = .init()
    ) -> TestTable {
        TestTable(
            configuration: RoutingConfiguration(
                strategy: .leastCost,
                deployments: prices.map { .init(price: $0.flatMap { TokenRate(dollarsPerMillion: $0) }) },
                breaker: breaker,
                latencyMetric: metric,
                latencyObjective: objective,
                latencyObjectiveMinSamples: minSamples
            ),
            origin: .zero
        )
    }

    /// `count` successes on `deployment`, each with `latency` (and TTFT when given).
    func measure(_ table: inout TestTable, _ deployment: Int, ttft: Duration? = nil, latency: Duration, count: Int = 3, at now: RoutingTestInstant = .zero) {
        for _ in 0..<count { table.attempt(deployment, .ok(ttft: ttft, latency: latency), at: now) }
    }

    @Test func cheapestFirstThenByPriceWithTiesInConfigurationOrder() {
        let table = self.table(prices: ["2.50", "0.15", "1.00", "0.15"], objective: nil)
        #expect(table.plan(at: .zero) == [1, 3, 2, 0])
    }

    @Test func aDeploymentWithoutAPriceComesAfterThePricedOnes() {
        let table = self.table(prices: [nil, "10.00", "0.50"], objective: nil)
        #expect(table.plan(at: .zero) == [2, 1, 0])
    }

    @Test func aCheapDeploymentOverTheObjectiveYieldsToADearerOneThatMeetsIt() {
        var table = self.table(prices: ["0.10", "1.00", "5.00"])
        self.measure(&table, 0, latency: .milliseconds(900))
        self.measure(&table, 1, latency: .milliseconds(400))
        self.measure(&table, 2, latency: .milliseconds(100))
        // 1 and 2 meet 500 ms: cheapest of them first; 0 misses it and comes last.
        #expect(table.plan(at: .zero) == [1, 2, 0])
    }

    @Test func whenNoneMeetsTheObjectiveTheFastestComesFirst() {
        var table = self.table(prices: ["0.10", "1.00", "5.00"])
        self.measure(&table, 0, latency: .milliseconds(900))
        self.measure(&table, 1, latency: .milliseconds(2_000))
        self.measure(&table, 2, latency: .milliseconds(700))
        #expect(table.plan(at: .zero) == [2, 0, 1])
    }

    @Test func aDeploymentWithTooFewSamplesCountsAsMeetingTheObjective() {
        var table = self.table(prices: ["0.10", "1.00"])
        self.measure(&table, 1, latency: .milliseconds(100))
        self.measure(&table, 0, latency: .milliseconds(900), count: 2)
        // Two slow samples are not yet enough to judge it: the cheap one is still tried first.
        #expect(table.plan(at: .zero) == [0, 1])
        self.measure(&table, 0, latency: .milliseconds(900), count: 1)
        #expect(table.plan(at: .zero) == [1, 0])
    }

    @Test func aStaleAverageCountsAsMeetingTheObjectiveAgain() {
        var table = self.table(prices: ["0.10", "1.00"])
        self.measure(&table, 0, latency: .milliseconds(900))
        self.measure(&table, 1, latency: .milliseconds(100))
        #expect(table.plan(at: .seconds(10)) == [1, 0])
        // 1 keeps serving; 0's slow average goes stale after 300 s, so it is tried again.
        self.measure(&table, 1, latency: .milliseconds(100), count: 1, at: .seconds(200))
        #expect(table.plan(at: .seconds(299)) == [1, 0])
        #expect(table.plan(at: .seconds(300)) == [0, 1])
    }

    @Test func theObjectiveIsHeldAgainstTTFTWhenStreamsWereMeasured() {
        var table = self.table(prices: ["0.10", "1.00"])
        // A long stream whose first token came fast meets a TTFT objective despite its total.
        self.measure(&table, 0, ttft: .milliseconds(200), latency: .seconds(8))
        self.measure(&table, 1, ttft: .milliseconds(100), latency: .seconds(1))
        #expect(table.plan(at: .zero) == [0, 1])
        var byTotal = self.table(prices: ["0.10", "1.00"], metric: .total)
        self.measure(&byTotal, 0, ttft: .milliseconds(200), latency: .seconds(8))
        self.measure(&byTotal, 1, ttft: .milliseconds(100), latency: .milliseconds(400))
        #expect(byTotal.plan(at: .zero) == [1, 0])
    }

    @Test func breakersStillBenchTheCheapestDeployment() {
        var table = self.table(prices: ["0.10", "1.00", "5.00"])
        table.trip(0, at: .zero)
        #expect(table.plan(at: .seconds(1)) == [1, 2])
        // After the cooldown it is back first, as the probe.
        #expect(table.plan(at: .seconds(30)) == [0, 1, 2])
    }

    @Test func rateLimitsStillSkipTheCheapestDeployment() {
        var table = TestTable(
            configuration: RoutingConfiguration(
                strategy: .leastCost,
                deployments: [
                    .init(requestsPerMinute: 2, price: TokenRate(dollarsPerMillion: "0.10")),
                    .init(price: TokenRate(dollarsPerMillion: "1.00")),
                ]
            ),
            origin: .zero
        )
        table.attempt(0, .ok(), at: .zero)
        #expect(table.plan(at: .zero) == [0, 1])
        table.attempt(0, .ok(), at: .zero)
        #expect(table.plan(at: .seconds(1)) == [1])
        #expect(table.plan(at: .seconds(60)) == [0, 1])
    }

    @Test func blendedRateWeighsThreeInputTokensToOneOutputToken() {
        #expect(ModelPrice(usd: "2.50", "10.00").blendedRate == TokenRate(dollarsPerMillion: "4.375"))
        #expect(ModelPrice(usd: "0.15", "0.60").blendedRate == TokenRate(dollarsPerMillion: "0.2625"))
        // A model dear on output can be the dearer one although its input is cheaper.
        #expect(
            ModelPrice(usd: "1.00", "9.00").blendedRate.microUSDPerMillionTokens
                > ModelPrice(usd: "2.00", "4.00").blendedRate.microUSDPerMillionTokens)
    }

    @Test func invalidObjectiveSettingsAreProblems() {
        var configuration = RoutingConfiguration(strategy: .leastCost, deploymentCount: 1)
        configuration.latencyObjective = .zero
        configuration.latencyObjectiveMinSamples = 0
        let fields = configuration.problems.map(\.field)
        #expect(fields.contains("latencyObjective"))
        #expect(fields.contains("latencyObjectiveMinSamples"))
    }
}
