import KeelCore
import Testing

@Suite("RoutingTable strategies")
struct RoutingStrategyTests {
    typealias Instant = RoutingTestInstant

    func table(
        _ strategy: RoutingStrategy,
        _ deployments: [RoutingConfiguration.Deployment],
        breaker: CircuitBreakerConfiguration = .init(),
        smoothing: LatencySmoothing = .alpha(0.2)
    ) -> TestTable {
        TestTable(
            configuration: RoutingConfiguration(
                strategy: strategy,
                deployments: deployments,
                breaker: breaker,
                latencySmoothing: smoothing
            ),
            origin: .zero
        )
    }

    func table(_ strategy: RoutingStrategy, count: Int) -> TestTable {
        self.table(strategy, Array(repeating: .init(), count: count))
    }

    @Test func priorityKeepsConfigurationOrderAndSkipsOpenBreakers() {
        var clock = RoutingTestClock()
        var table = self.table(.priority, count: 3)
        #expect(table.plan(at: clock.now) == [0, 1, 2])
        table.trip(0, at: clock.now)
        #expect(table.plan(at: clock.now) == [1, 2])
        table.trip(1, at: clock.now)
        #expect(table.plan(at: clock.now) == [2])
        // After the cooldown the first deployment is back in its place, as a probe.
        clock.advance(by: .seconds(30))
        #expect(table.plan(at: clock.now) == [0, 1, 2])
        var generator = RoutingSeededGenerator(seed: 1)
        let plan = table.candidates(at: clock.now, using: &generator)
        guard case .started(let lease) = table.begin(plan[0], estimatedTokens: 0, at: clock.now) else {
            Issue.record("the probe should start")
            return
        }
        #expect(lease.isProbe)
        // While the probe is in flight the deployment is skipped; its success brings it back.
        #expect(table.plan(at: clock.now) == [1, 2])
        #expect(table.complete(lease, outcome: .ok(), at: clock.now) == .closed)
        #expect(table.plan(at: clock.now) == [0, 1, 2])
    }

    @Test func aPlannedProbeGoesToOneRequestOnly() {
        var table = self.table(.priority, count: 2)
        table.trip(0, at: .zero)
        let first = table.plan(at: .seconds(30))
        let second = table.plan(at: .seconds(30))
        #expect(first == [0, 1] && second == [0, 1])
        guard case .started(let probe) = table.begin(.init(deployment: 0), estimatedTokens: 0, at: .seconds(30)) else {
            Issue.record("the first request should probe")
            return
        }
        #expect(probe.isProbe)
        // The second request planned the same deployment, but the probe slot is taken.
        #expect(
            table.begin(.init(deployment: 0), estimatedTokens: 0, at: .seconds(30)) == .refused(until: .seconds(150))
        )
        #expect(table.start(1, at: .seconds(30)) != nil)
    }

    @Test func weightedFirstChoicesFollowTheWeights() {
        let table = self.table(.weighted, [.init(weight: 1), .init(weight: 3), .init(weight: 6), .init(weight: 0)])
        var generator = RoutingSeededGenerator(seed: 0x6B65_656C)
        var firsts = [0, 0, 0, 0]
        var seconds = [0, 0, 0, 0]
        for _ in 0..<10_000 {
            let plan = table.candidates(at: .zero, using: &generator).map(\.deployment)
            #expect(plan.sorted() == [0, 1, 2, 3])
            #expect(plan.last == 3)  // weight 0: failover only
            firsts[plan[0]] += 1
            seconds[plan[1]] += 1
        }
        // Expected 1,000 / 3,000 / 6,000; the tolerance is about five standard deviations.
        #expect(abs(firsts[0] - 1_000) < 150, "\(firsts)")
        #expect(abs(firsts[1] - 3_000) < 230, "\(firsts)")
        #expect(abs(firsts[2] - 6_000) < 250, "\(firsts)")
        #expect(firsts[3] == 0)
        // Second place, drawn without replacement: P(1 second) = 0.1·3/9 + 0.6·3/4 = 0.4833.
        #expect(abs(seconds[1] - 4_833) < 250, "\(seconds)")
    }

    @Test func weightedSkipsIneligibleDeployments() {
        var table = self.table(.weighted, [.init(weight: 100), .init(weight: 1)])
        table.trip(0, at: .zero)
        for seed in 0..<50 as Range<UInt64> {
            #expect(table.plan(at: .seconds(1), seed: seed) == [1])
        }
    }

    @Test func leastLatencyExploresUnmeasuredThenFollowsTheMovingAverage() {
        var table = self.table(.leastLatency, Array(repeating: .init(), count: 3), smoothing: .alpha(0.5))
        #expect(table.plan(at: .zero) == [0, 1, 2])
        table.attempt(0, .ok(ttft: .milliseconds(500), latency: .seconds(2)), at: .zero)
        table.attempt(1, .ok(ttft: .milliseconds(200), latency: .seconds(3)), at: .zero)
        // 2 is not measured yet: explored first.
        #expect(table.plan(at: .zero) == [2, 1, 0])
        table.attempt(2, .ok(ttft: .milliseconds(300), latency: .seconds(1)), at: .zero)
        #expect(table.plan(at: .zero) == [1, 2, 0])
        // 1 slows down: 200 → 600 ms with alpha 0.5, now behind 2 (300) and 0 (500).
        table.attempt(1, .ok(ttft: .milliseconds(1_000), latency: .seconds(3)), at: .zero)
        #expect(table.deployments[1].timeToFirstToken.value == .milliseconds(600))
        #expect(table.plan(at: .zero) == [2, 0, 1])
        // It recovers: 600 → 350 → 225 ms.
        table.attempt(1, .ok(ttft: .milliseconds(100), latency: .seconds(3)), at: .zero)
        #expect(table.plan(at: .zero) == [2, 1, 0])
        table.attempt(1, .ok(ttft: .milliseconds(100), latency: .seconds(3)), at: .zero)
        #expect(table.plan(at: .zero) == [1, 2, 0])
    }

    @Test func leastLatencyExploresAgainAfterTheAverageGoesStale() {
        var configuration = RoutingConfiguration(strategy: .leastLatency, deploymentCount: 2)
        configuration.latencyStaleAfter = .seconds(300)
        var table = TestTable(configuration: configuration, origin: .zero)
        table.attempt(0, .ok(ttft: .seconds(2)), at: .zero)
        table.attempt(1, .ok(ttft: .milliseconds(200)), at: .zero)
        #expect(table.plan(at: .seconds(100)) == [1, 0])
        // 1 keeps serving, 0 gets no traffic: after 300 s its slow average no longer counts.
        table.attempt(1, .ok(ttft: .milliseconds(200)), at: .seconds(250))
        #expect(table.plan(at: .seconds(299)) == [1, 0])
        #expect(table.plan(at: .seconds(300)) == [0, 1])
        // Measured again (now fast), it competes on its new average.
        table.attempt(0, .ok(ttft: .milliseconds(50)), at: .seconds(301))
        #expect(table.deployments[0].timeToFirstToken.value == .milliseconds(1_610))
        #expect(table.plan(at: .seconds(302)) == [1, 0])
        // Without staleness the old average is kept forever.
        configuration.latencyStaleAfter = nil
        var forever = TestTable(configuration: configuration, origin: .zero)
        forever.attempt(0, .ok(ttft: .seconds(2)), at: .zero)
        forever.attempt(1, .ok(ttft: .milliseconds(200)), at: .zero)
        #expect(forever.plan(at: .seconds(10_000)) == [1, 0])
    }

    @Test func leastLatencyOnTotalLatencyAndTTFTFallback() {
        var configuration = RoutingConfiguration(strategy: .leastLatency, deploymentCount: 2)
        configuration.latencyMetric = .total
        var byTotal = TestTable(configuration: configuration, origin: .zero)
        byTotal.attempt(0, .ok(ttft: .milliseconds(100), latency: .seconds(5)), at: .zero)
        byTotal.attempt(1, .ok(ttft: .milliseconds(900), latency: .seconds(1)), at: .zero)
        #expect(byTotal.plan(at: .zero) == [1, 0])
        // By TTFT, a deployment seen only in non-streamed answers is compared by total latency.
        var byTTFT = self.table(.leastLatency, count: 2)
        byTTFT.attempt(0, .ok(ttft: .milliseconds(400), latency: .seconds(5)), at: .zero)
        byTTFT.attempt(1, .ok(ttft: nil, latency: .milliseconds(300)), at: .zero)
        #expect(byTTFT.plan(at: .zero) == [1, 0])
    }

    @Test func halfLifeSmoothingHalvesASampleWeight() {
        #expect(LatencySmoothing.halfLife(samples: 1).alpha == 0.5)
        var average = LatencyAverage()
        average.record(.milliseconds(100), smoothing: .halfLife(samples: 2))
        average.record(.milliseconds(200), smoothing: .halfLife(samples: 2))
        average.record(.milliseconds(200), smoothing: .halfLife(samples: 2))
        // After two newer samples, the first one's weight is one half: 100·½ + 200·½.
        #expect(average.value == .milliseconds(150))
        #expect(average.samples == 3)
    }

    @Test func leastBusyPrefersFewestInFlight() {
        var table = self.table(.leastBusy, count: 3)
        #expect(table.plan(at: .zero) == [0, 1, 2])
        let a = table.start(0, at: .zero)
        let b = table.start(0, at: .zero)
        let c = table.start(1, at: .zero)
        #expect(table.deployments.map(\.inFlight) == [2, 1, 0])
        #expect(table.plan(at: .zero) == [2, 1, 0])
        _ = table.complete(a!, outcome: .ok(), at: .zero)
        _ = table.complete(b!, outcome: .failure(.timeout), at: .zero)
        #expect(table.plan(at: .zero) == [0, 2, 1])
        _ = table.complete(c!, outcome: .inconclusive, at: .zero)
        #expect(table.deployments.map(\.inFlight) == [0, 0, 0])
    }

    @Test func powerOfTwoChoicesPrefersTheLighterOfTheTwo() {
        var table = self.table(.powerOfTwoChoices, count: 3)
        for _ in 0..<4 { _ = table.start(0, at: .zero) }
        for _ in 0..<2 { _ = table.start(1, at: .zero) }
        var generator = RoutingSeededGenerator(seed: 42)
        var firsts = [0, 0, 0]
        for _ in 0..<3_000 {
            let plan = table.candidates(at: .zero, using: &generator).map(\.deployment)
            #expect(plan.sorted() == [0, 1, 2])
            firsts[plan[0]] += 1
            // The pair's loser comes second unless it is the busiest; the busiest never wins a draw.
            #expect(plan[0] != 0)
        }
        // 2 (idle) wins both pairs it is drawn in (2 of 3 pairs); 1 wins only against 0.
        #expect(abs(firsts[2] - 2_000) < 150, "\(firsts)")
        #expect(abs(firsts[1] - 1_000) < 150, "\(firsts)")
    }

    @Test func powerOfTwoChoicesBreaksLoadTiesByLatency() {
        var table = self.table(.powerOfTwoChoices, count: 2)
        table.attempt(0, .ok(ttft: .milliseconds(800)), at: .zero)
        table.attempt(1, .ok(ttft: .milliseconds(200)), at: .zero)
        for seed in 0..<50 as Range<UInt64> {
            #expect(table.plan(at: .zero, seed: seed) == [1, 0])
        }
        // Load comes first: one request in flight on 1 makes 0 the winner.
        _ = table.start(1, at: .zero)
        for seed in 0..<50 as Range<UInt64> {
            #expect(table.plan(at: .zero, seed: seed) == [0, 1])
        }
    }

    @Test func strategiesRespectLimitsAndBreakers() {
        for strategy in RoutingStrategy.allCases {
            var table = self.table(strategy, [.init(), .init(requestsPerMinute: 1), .init()])
            table.trip(0, at: .zero)
            _ = table.start(1, at: .zero)
            #expect(table.plan(at: .seconds(1)) == [2], "\(strategy)")
        }
    }
}

@Suite("RoutingTable limits")
struct RoutingLimitTests {
    typealias Instant = RoutingTestInstant

    @Test func aRateLimitedDeploymentIsSkippedForItsRetryAfterWithoutTripping() {
        var table = TestTable(configuration: RoutingConfiguration(deploymentCount: 2), origin: .zero)
        #expect(
            table.attempt(0, .failure(.rateLimited(retryAfter: .seconds(4))), at: .seconds(1))
                == .rateLimited(until: .seconds(5))
        )
        #expect(table.begin(.init(deployment: 0), estimatedTokens: 0, at: .seconds(2)) == .refused(until: .seconds(5)))
        #expect(table.plan(at: .seconds(4.9)) == [1])
        #expect(table.plan(at: .seconds(5)) == [0, 1])
        // Rate limits on every attempt never open the breaker.
        for second in 5..<20 {
            let now = Instant.seconds(Double(second))
            #expect(
                table.attempt(0, .failure(.rateLimited(retryAfter: .seconds(1))), at: now)
                    == .rateLimited(until: now.advanced(by: .seconds(1)))
            )
        }
        #expect(table.deployments[0].breaker.state == .closed)
    }

    @Test func invalidGroupSettingsAreNamedWithTheDeployment() {
        #expect(RoutingConfiguration(deploymentCount: 3).problems.isEmpty)
        let configuration = RoutingConfiguration(
            deployments: [.init(), .init(weight: -1, requestsPerMinute: 0)],
            latencySmoothing: .alpha(1.5)
        )
        #expect(
            configuration.problems.map(\.field)
                == ["deployments[1].weight", "deployments[1].requestsPerMinute", "latencySmoothing"]
        )
    }

    @Test func rpmLimitSkipsADeploymentUntilItsWindowFrees() {
        var table = TestTable(
            configuration: RoutingConfiguration(deployments: [.init(requestsPerMinute: 2), .init()]),
            origin: .zero
        )
        #expect(table.start(0, at: .seconds(0.5)) != nil)
        #expect(table.plan(at: .seconds(10)) == [0, 1])
        #expect(table.start(0, at: .seconds(10)) != nil)
        #expect(table.deployments[0].requestsInWindow(at: .seconds(10)) == 2)
        #expect(table.plan(at: .seconds(10)) == [1])
        #expect(
            table.begin(.init(deployment: 0), estimatedTokens: 0, at: .seconds(10)) == .refused(until: .seconds(60))
        )
        #expect(table.plan(at: .seconds(59.9)) == [1])
        // The request of second 0 leaves the window at 60 s; the one of second 10 at 70 s.
        #expect(table.plan(at: .seconds(60)) == [0, 1])
        #expect(table.deployments[0].requestsInWindow(at: .seconds(60)) == 1)
        #expect(table.deployments[0].requestsInWindow(at: .seconds(70)) == 0)
    }

    @Test func tpmReservesTheEstimateAndCorrectsItAtCompletion() {
        var table = TestTable(
            configuration: RoutingConfiguration(deployments: [.init(tokensPerMinute: 1_000), .init()]),
            origin: .zero
        )
        guard let lease = table.start(0, estimatedTokens: 600, at: .seconds(1)) else {
            Issue.record("should start")
            return
        }
        #expect(table.deployments[0].tokensInWindow(at: .seconds(1)) == 600)
        #expect(table.plan(estimatedTokens: 400, at: .seconds(2)) == [0, 1])
        #expect(table.plan(estimatedTokens: 500, at: .seconds(2)) == [1])
        // The answer used 200 tokens: the reservation shrinks to that, and 500 more fit.
        _ = table.complete(lease, outcome: .ok(), usedTokens: 200, at: .seconds(5))
        #expect(table.deployments[0].tokensInWindow(at: .seconds(5)) == 200)
        #expect(table.plan(estimatedTokens: 500, at: .seconds(5)) == [0, 1])
        // A larger answer grows it.
        guard let big = table.start(0, estimatedTokens: 100, at: .seconds(6)) else {
            Issue.record("should start")
            return
        }
        _ = table.complete(big, outcome: .ok(), usedTokens: 750, at: .seconds(7))
        #expect(table.deployments[0].tokensInWindow(at: .seconds(7)) == 950)
        #expect(table.plan(estimatedTokens: 100, at: .seconds(7)) == [1])
        // Second 1 leaves the window at 61 s, second 6 at 66 s.
        #expect(table.plan(estimatedTokens: 100, at: .seconds(61)) == [0, 1])
        #expect(table.deployments[0].tokensInWindow(at: .seconds(66)) == 0)
    }

    @Test func aRequestLargerThanTheWholeTPMFitsOnlyAnEmptyWindow() {
        var table = TestTable(
            configuration: RoutingConfiguration(deployments: [.init(tokensPerMinute: 1_000), .init()]),
            origin: .zero
        )
        #expect(table.plan(estimatedTokens: 5_000, at: .zero) == [0, 1])
        _ = table.start(0, estimatedTokens: 10, at: .zero)
        #expect(table.plan(estimatedTokens: 5_000, at: .zero) == [1])
    }

    @Test func aCorrectionAfterTheReservationLeftTheWindowIsDropped() {
        var table = TestTable(
            configuration: RoutingConfiguration(deployments: [.init(tokensPerMinute: 1_000)]),
            origin: .zero
        )
        guard let lease = table.start(0, estimatedTokens: 300, at: .zero) else {
            Issue.record("should start")
            return
        }
        _ = table.complete(lease, outcome: .ok(), usedTokens: 900, at: .seconds(90))
        #expect(table.deployments[0].tokensInWindow(at: .seconds(90)) == 0)
        #expect(table.deployments[0].inFlight == 0)
    }
}

@Suite("RoutingTable never benches everyone")
struct RoutingLastResortTests {
    typealias Instant = RoutingTestInstant

    static let breaker = CircuitBreakerConfiguration(
        allowedFailures: 0,
        cooldown: .seconds(30),
        maxCooldown: .seconds(300)
    )

    @Test func whenEveryBreakerIsOpenTheOneReopeningSoonestIsTheLastResort() {
        var table = TestTable(
            configuration: RoutingConfiguration(
                deployments: Array(repeating: .init(), count: 3),
                breaker: Self.breaker
            ),
            origin: .zero
        )
        table.trip(1, at: .seconds(0))  // open until 30
        table.trip(2, at: .seconds(5))  // open until 35
        table.trip(0, at: .seconds(10))  // open until 40
        var generator = RoutingSeededGenerator(seed: 7)
        let plan = table.candidates(at: .seconds(12), using: &generator)
        #expect(plan == [.init(deployment: 1, isLastResort: true)])
        guard case .started(let lease) = table.begin(plan[0], estimatedTokens: 0, at: .seconds(12)) else {
            Issue.record("a last resort always starts")
            return
        }
        #expect(lease.isProbe && lease.isLastResort)
        // Its failure reopens it for longer (12 + 60 s), so the next last resort is another one.
        #expect(
            table.complete(lease, outcome: .failure(.timeout), at: .seconds(12))
                == .opened(until: .seconds(72), reason: .probeFailed, trip: 2)
        )
        #expect(table.plan(at: .seconds(13)) == [2])
        #expect(table.candidates(at: .seconds(13), using: &generator) == [.init(deployment: 2, isLastResort: true)])
        // A successful last resort closes its breaker: ordinary plans again.
        guard
            case .started(let second) = table.begin(
                .init(deployment: 2, isLastResort: true),
                estimatedTokens: 0,
                at: .seconds(13)
            )
        else {
            Issue.record("a last resort always starts")
            return
        }
        #expect(table.complete(second, outcome: .ok(), at: .seconds(14)) == .closed)
        #expect(table.candidates(at: .seconds(14), using: &generator) == [.init(deployment: 2)])
    }

    @Test(arguments: RoutingStrategy.allCases)
    func everyStrategyReturnsALastResort(strategy: RoutingStrategy) {
        var table = TestTable(
            configuration: RoutingConfiguration(
                strategy: strategy,
                deployments: Array(repeating: .init(), count: 2),
                breaker: Self.breaker
            ),
            origin: .zero
        )
        table.trip(0, at: .seconds(1))
        table.trip(1, at: .seconds(0))
        #expect(table.plan(at: .seconds(2)) == [1])
    }

    @Test func aProbeInFlightCountsAsReadyAtItsDeadline() {
        let breaker = CircuitBreakerConfiguration(
            allowedFailures: 0,
            cooldown: .seconds(30),
            probeTimeout: .seconds(20)
        )
        var table = TestTable(
            configuration: RoutingConfiguration(deployments: Array(repeating: .init(), count: 2), breaker: breaker),
            origin: .zero
        )
        table.trip(0, at: .zero)  // probe-ready at 30
        table.trip(1, at: .seconds(15))  // open until 45
        _ = table.start(0, at: .seconds(30))  // probe in flight: its deadline is 50
        #expect(table.plan(at: .seconds(31)) == [1])
        #expect(table.plan(at: .seconds(46)) == [1])
    }

    @Test func whenEveryDeploymentIsOverItsLimitTheOneFreeingSoonestIsTheLastResort() {
        var table = TestTable(
            configuration: RoutingConfiguration(deployments: [.init(requestsPerMinute: 1), .init(requestsPerMinute: 1)]
            ),
            origin: .zero
        )
        _ = table.start(1, at: .seconds(2))
        _ = table.start(0, at: .seconds(4))
        var generator = RoutingSeededGenerator(seed: 3)
        #expect(table.candidates(at: .seconds(5), using: &generator) == [.init(deployment: 1, isLastResort: true)])
        #expect(table.deployments[1].readyAt(.seconds(5), estimatedTokens: 0) == .seconds(62))
        // A last resort is started over its limit.
        guard case .started = table.begin(.init(deployment: 1, isLastResort: true), estimatedTokens: 0, at: .seconds(5))
        else {
            Issue.record("a last resort always starts")
            return
        }
        #expect(table.deployments[1].requestsInWindow(at: .seconds(5)) == 2)
        // Limits and an open breaker combine: the later of the two counts.
        table.trip(0, at: .seconds(5))  // over its limit until 64, open until 35
        #expect(table.deployments[0].readyAt(.seconds(6), estimatedTokens: 0) == .seconds(64))
        #expect(table.plan(at: .seconds(6)) == [1])
    }

    @Test func aGroupWithoutDeploymentsHasAnEmptyPlan() {
        let table = TestTable(configuration: RoutingConfiguration(deploymentCount: 0), origin: .zero)
        #expect(table.plan(at: .zero).isEmpty)
    }
}
