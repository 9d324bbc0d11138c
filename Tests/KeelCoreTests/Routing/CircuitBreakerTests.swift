import KeelCore
import Testing

@Suite("CircuitBreaker")
struct CircuitBreakerTests {
    typealias Instant = RoutingTestInstant
    static let serverError = UpstreamFailureKind.serverError(status: 503)

    func breaker(_ configuration: CircuitBreakerConfiguration = .init()) -> TestBreaker {
        TestBreaker(configuration: configuration, origin: .zero)
    }

    @Test func tripsWhenConsecutiveFailuresExceedAllowedFails() {
        var clock = RoutingTestClock()
        var breaker = self.breaker(.init(allowedFailures: 3, cooldown: .seconds(30)))
        for _ in 0..<3 {
            #expect(breaker.recordFailure(kind: Self.serverError, at: clock.now) == nil)
            #expect(breaker.admit(at: clock.now) == .allowed)
        }
        // A success resets the run: three more failures are tolerated again.
        #expect(breaker.recordSuccess(at: clock.now) == nil)
        for _ in 0..<3 { #expect(breaker.recordFailure(kind: .timeout, at: clock.now) == nil) }
        clock.advance(by: .seconds(1))
        let until = clock.now.advanced(by: .seconds(30))
        #expect(
            breaker.recordFailure(kind: .connectionFailed, at: clock.now)
                == .opened(until: until, reason: .consecutiveFailures(4), trip: 1)
        )
        #expect(breaker.state == .open(until: until))
        #expect(breaker.admit(at: clock.now) == .refused(until: until))
        #expect(breaker.admit(at: .seconds(30.999)) == .refused(until: until))
    }

    @Test func errorRateTripsOnlyWithEnoughVolume() {
        let now = Instant.seconds(5)
        var breaker = self.breaker(.init(allowedFailures: 100, failureRateThreshold: 0.5, minimumRequests: 10))
        // Success, failure, …: the rate is 50 % from the second outcome on, but the volume is too low.
        for pair in 0..<4 {
            #expect(breaker.recordSuccess(at: now) == nil)
            #expect(breaker.recordFailure(kind: Self.serverError, at: now) == nil, "pair \(pair)")
        }
        #expect(breaker.recordSuccess(at: now) == nil)
        #expect(breaker.state == .closed)
        // The tenth outcome is the fifth failure: 5 of 10.
        #expect(
            breaker.recordFailure(kind: Self.serverError, at: now)
                == .opened(
                    until: now.advanced(by: .seconds(30)),
                    reason: .errorRate(failures: 5, requests: 10),
                    trip: 1
                )
        )
    }

    @Test func errorRateBelowTheThresholdDoesNotTrip() {
        var breaker = self.breaker(.init(allowedFailures: 100, failureRateThreshold: 0.5, minimumRequests: 10))
        for _ in 0..<30 {
            #expect(breaker.recordSuccess(at: .zero) == nil)
            #expect(breaker.recordSuccess(at: .zero) == nil)
            #expect(breaker.recordFailure(kind: Self.serverError, at: .zero) == nil)
        }
        #expect(breaker.state == .closed)
    }

    @Test func failuresOutsideTheTimeWindowNoLongerCount() {
        func run(secondPhaseAt second: Double) -> TestBreaker {
            var breaker = self.breaker(
                .init(allowedFailures: 100, minimumRequests: 10, window: .duration(.seconds(60)))
            )
            for _ in 0..<6 { _ = breaker.recordFailure(kind: Self.serverError, at: .seconds(1)) }
            for _ in 0..<6 { _ = breaker.recordSuccess(at: .seconds(second)) }
            for _ in 0..<4 { _ = breaker.recordFailure(kind: Self.serverError, at: .seconds(second)) }
            return breaker
        }
        // 61 s later the first six failures have left the window: 4 failures of 10 remain.
        #expect(run(secondPhaseAt: 62).state == .closed)
        // Inside the window the first failure of the second phase makes it 7 of 13.
        #expect(run(secondPhaseAt: 50).state == .open(until: .seconds(80)))
    }

    @Test func aCountWindowKeepsOnlyTheLastOutcomes() {
        var breaker = self.breaker(
            .init(allowedFailures: 100, failureRateThreshold: 0.5, minimumRequests: 4, window: .requests(4))
        )
        _ = breaker.recordFailure(kind: Self.serverError, at: .zero)
        _ = breaker.recordSuccess(at: .zero)
        _ = breaker.recordSuccess(at: .zero)
        _ = breaker.recordSuccess(at: .zero)
        // Window F S S S → S S S S → S S S F: one failure of four, no trip.
        _ = breaker.recordSuccess(at: .zero)
        #expect(breaker.recordFailure(kind: Self.serverError, at: .zero) == nil)
        // S S F F: two of four.
        #expect(
            breaker.recordFailure(kind: Self.serverError, at: .zero)
                == .opened(until: .seconds(30), reason: .errorRate(failures: 2, requests: 4), trip: 1)
        )
    }

    @Test func halfOpenAdmitsExactlyOneProbeAtATime() {
        var clock = RoutingTestClock()
        var breaker = self.breaker(.init(allowedFailures: 0, cooldown: .seconds(30), probeTimeout: .seconds(120)))
        _ = breaker.recordFailure(kind: Self.serverError, at: clock.now)
        clock.advance(by: .seconds(30))
        #expect(breaker.admission(at: clock.now) == .probe)  // peeking takes nothing
        #expect(breaker.admit(at: clock.now) == .probe)
        #expect(breaker.state == .halfOpen(probeStartedAt: clock.now))
        let deadline = clock.now.advanced(by: .seconds(120))
        for _ in 0..<5 { #expect(breaker.admit(at: clock.now) == .refused(until: deadline)) }
        clock.advance(by: .seconds(119))
        #expect(breaker.admit(at: clock.now) == .refused(until: deadline))
        // A probe that never reports stops blocking after the probe timeout.
        clock.advance(by: .seconds(1))
        #expect(breaker.admit(at: clock.now) == .probe)
        #expect(breaker.admit(at: clock.now) == .refused(until: clock.now.advanced(by: .seconds(120))))
        // An inconclusive probe (cancelled, a 400) frees the slot at once.
        breaker.recordInconclusive(at: clock.now)
        #expect(breaker.admit(at: clock.now) == .probe)
    }

    @Test func aSuccessfulProbeClosesTheBreaker() {
        var breaker = self.breaker(.init(allowedFailures: 0, cooldown: .seconds(30)))
        _ = breaker.recordFailure(kind: Self.serverError, at: .zero)
        #expect(breaker.admit(at: .seconds(30)) == .probe)
        #expect(breaker.recordSuccess(at: .seconds(31)) == .closed)
        #expect(breaker.state == .closed)
        #expect(breaker.admit(at: .seconds(31)) == .allowed)
        #expect(breaker.admit(at: .seconds(31)) == .allowed)
    }

    @Test func aFailedProbeReopensWithALongerCooldownUpToTheCap() {
        var clock = RoutingTestClock()
        var breaker = self.breaker(
            .init(allowedFailures: 0, cooldown: .seconds(30), cooldownMultiplier: 2, maxCooldown: .seconds(300))
        )
        guard case .opened(var until, _, _) = breaker.recordFailure(kind: Self.serverError, at: clock.now) else {
            Issue.record("expected a trip")
            return
        }
        #expect(until == clock.now.advanced(by: .seconds(30)))
        var cooldowns: [Duration] = []
        for trip in 2...7 {
            clock.advance(to: until)
            #expect(breaker.admit(at: clock.now) == .probe)
            guard case .opened(let next, .probeFailed, trip) = breaker.recordFailure(kind: .timeout, at: clock.now)
            else {
                Issue.record("expected trip \(trip), state \(breaker.state)")
                return
            }
            cooldowns.append(clock.now.duration(to: next))
            until = next
        }
        #expect(cooldowns == [.seconds(60), .seconds(120), .seconds(240), .seconds(300), .seconds(300), .seconds(300)])
    }

    @Test func cooldownGrowthRestartsOnlyAfterAStablePeriod() {
        var breaker = self.breaker(.init(allowedFailures: 0, cooldown: .seconds(30), maxCooldown: .seconds(300)))
        _ = breaker.recordFailure(kind: Self.serverError, at: .zero)
        _ = breaker.admit(at: .seconds(30))
        #expect(breaker.recordSuccess(at: .seconds(30)) == .closed)
        // Tripping again soon after closing: flapping, so the cooldown keeps growing.
        #expect(
            breaker.recordFailure(kind: Self.serverError, at: .seconds(100))
                == .opened(until: .seconds(160), reason: .consecutiveFailures(1), trip: 2)
        )
        _ = breaker.admit(at: .seconds(160))
        #expect(breaker.recordSuccess(at: .seconds(160)) == .closed)
        // Closed for the whole max cooldown: back to the base cooldown.
        #expect(
            breaker.recordFailure(kind: Self.serverError, at: .seconds(460))
                == .opened(until: .seconds(490), reason: .consecutiveFailures(1), trip: 1)
        )
    }

    @Test func rateLimitsPauseTheDeploymentWithoutTripping() {
        var breaker = self.breaker(
            .init(allowedFailures: 3, rateLimitCooldown: .seconds(10), maxRateLimitCooldown: .seconds(60))
        )
        for _ in 0..<20 {
            _ = breaker.recordFailure(kind: .rateLimited(retryAfter: .seconds(2)), at: .zero)
        }
        #expect(breaker.state == .closed)
        #expect(breaker.consecutiveFailures == 0)
        #expect(breaker.admit(at: .seconds(1)) == .refused(until: .seconds(2)))
        #expect(breaker.admit(at: .seconds(2)) == .allowed)
        // No retry-after: the configured pause; a huge one is cut to the maximum.
        #expect(
            breaker.recordFailure(kind: .rateLimited(retryAfter: nil), at: .seconds(10))
                == .rateLimited(until: .seconds(20))
        )
        #expect(
            breaker.recordFailure(kind: .rateLimited(retryAfter: .seconds(3_600)), at: .seconds(10))
                == .rateLimited(until: .seconds(70))
        )
        // Rate limits between failures neither count nor reset the run of failures.
        for _ in 0..<3 {
            #expect(breaker.recordFailure(kind: Self.serverError, at: .seconds(80)) == nil)
            _ = breaker.recordFailure(kind: .rateLimited(retryAfter: .seconds(1)), at: .seconds(80))
        }
        #expect(breaker.consecutiveFailures == 3)
        if case .opened = breaker.recordFailure(kind: Self.serverError, at: .seconds(80)) {
        } else {
            Issue.record("the fourth health failure should trip, state \(breaker.state)")
        }
    }

    @Test func aRateLimitedProbeRestsWithoutGrowingTheCooldown() {
        var breaker = self.breaker(.init(allowedFailures: 0, cooldown: .seconds(30)))
        _ = breaker.recordFailure(kind: Self.serverError, at: .zero)
        #expect(breaker.admit(at: .seconds(30)) == .probe)
        #expect(
            breaker.recordFailure(kind: .rateLimited(retryAfter: .seconds(5)), at: .seconds(31))
                == .rateLimited(until: .seconds(36))
        )
        #expect(breaker.trips == 1)
        #expect(breaker.admit(at: .seconds(35)) == .refused(until: .seconds(36)))
        #expect(breaker.admit(at: .seconds(36)) == .probe)
        // The next failed probe is the second trip in a row: 60 s.
        #expect(
            breaker.recordFailure(kind: Self.serverError, at: .seconds(36))
                == .opened(until: .seconds(96), reason: .probeFailed, trip: 2)
        )
    }

    @Test func outcomesOfAttemptsStartedBeforeTheTripAreIgnoredWhileOpen() {
        var breaker = self.breaker(.init(allowedFailures: 0, cooldown: .seconds(30)))
        _ = breaker.recordFailure(kind: Self.serverError, at: .zero)
        #expect(breaker.recordSuccess(at: .seconds(1)) == nil)
        #expect(breaker.recordFailure(kind: Self.serverError, at: .seconds(2)) == nil)
        #expect(breaker.state == .open(until: .seconds(30)))
    }

    @Test func aLastResortAdmissionProbesAnOpenBreakerBeforeItsCooldownEnds() {
        var breaker = self.breaker(.init(allowedFailures: 0, cooldown: .seconds(30)))
        _ = breaker.recordFailure(kind: Self.serverError, at: .zero)
        #expect(breaker.admitLastResort(at: .seconds(5)) == .probe)
        #expect(breaker.state == .halfOpen(probeStartedAt: .seconds(5)))
        #expect(breaker.admitLastResort(at: .seconds(6)) == .allowed)
        #expect(breaker.recordSuccess(at: .seconds(7)) == .closed)
    }

    @Test(arguments: [
        (KeelError.upstreamUnavailable(status: 503), AttemptOutcome.failure(.serverError(status: 503))),
        (KeelError.upstreamUnavailable(status: 529), AttemptOutcome.failure(.serverError(status: 529))),
        (KeelError.upstreamUnavailable(), AttemptOutcome.failure(.connectionFailed)),
        (KeelError.upstreamTimeout("first byte"), AttemptOutcome.failure(.timeout)),
        (KeelError.upstreamBadResponse(), AttemptOutcome.failure(.malformedResponse)),
        (KeelError.streamInterrupted(), AttemptOutcome.failure(.streamInterrupted)),
        (
            KeelError.upstreamRateLimited(retryAfterSeconds: 2.5),
            AttemptOutcome.failure(.rateLimited(retryAfter: .milliseconds(2_500)))
        ),
        (KeelError.upstreamRateLimited(retryAfterSeconds: nil), AttemptOutcome.failure(.rateLimited(retryAfter: nil))),
        (
            KeelError.upstreamRejected(status: 401, message: "x"),
            AttemptOutcome.failure(.deploymentRejected(status: 401))
        ),
        (
            KeelError.upstreamRejected(status: 404, message: "x"),
            AttemptOutcome.failure(.deploymentRejected(status: 404))
        ),
        (KeelError.upstreamRejected(status: 408, message: "x"), AttemptOutcome.failure(.timeout)),
        (KeelError.upstreamRejected(status: 400, message: "x"), AttemptOutcome.inconclusive),
        (KeelError.invalidRequest("x"), AttemptOutcome.inconclusive),
        (KeelError.clientDisconnected, AttemptOutcome.inconclusive),
    ])
    func errorsMapToHealthOutcomes(error: KeelError, expected: AttemptOutcome) {
        #expect(AttemptOutcome(error) == expected)
    }

    @Test func invalidSettingsAreNamed() {
        #expect(CircuitBreakerConfiguration().problems.isEmpty)
        let fields = CircuitBreakerConfiguration(
            failureRateThreshold: 0,
            cooldown: .seconds(60),
            maxCooldown: .seconds(30)
        ).problems.map(\.field)
        #expect(fields == ["failureRateThreshold", "maxCooldown"])
    }
}

@Suite("CircuitBreaker: failures after a success")
struct CircuitBreakerLateFailureTests {
    @Test func lateFailuresContinueTheRunTheirOwnSuccessEnded() {
        let clock = RoutingTestClock()
        var breaker = TestBreaker(configuration: .init(allowedFailures: 2, cooldown: .seconds(30)), origin: .zero)
        // Each stream: a success at its first token, then a failure when it breaks.
        for _ in 0..<2 {
            #expect(breaker.recordSuccess(at: clock.now) == nil)
            #expect(breaker.recordLateFailure(kind: .streamInterrupted, at: clock.now) == nil)
        }
        #expect(breaker.consecutiveFailures == 2)
        #expect(breaker.recordSuccess(at: clock.now) == nil)
        let until = clock.now.advanced(by: .seconds(30))
        #expect(
            breaker.recordLateFailure(kind: .streamInterrupted, at: clock.now)
                == .opened(until: until, reason: .consecutiveFailures(3), trip: 1)
        )
    }

    @Test func aCompleteStreamBetweenCutsEndsTheRun() {
        let clock = RoutingTestClock()
        var breaker = TestBreaker(configuration: .init(allowedFailures: 2), origin: .zero)
        #expect(breaker.recordSuccess(at: clock.now) == nil)
        #expect(breaker.recordLateFailure(kind: .streamInterrupted, at: clock.now) == nil)
        // A stream that completes: a success and no late failure.
        #expect(breaker.recordSuccess(at: clock.now) == nil)
        #expect(breaker.recordSuccess(at: clock.now) == nil)
        #expect(breaker.recordLateFailure(kind: .streamInterrupted, at: clock.now) == nil)
        #expect(breaker.consecutiveFailures == 1)
    }

    @Test func lateFailuresCountInTheErrorRateWithoutCountingTheRequestTwice() {
        let clock = RoutingTestClock()
        var breaker = TestBreaker(configuration: .init(allowedFailures: 100, failureRateThreshold: 0.5, minimumRequests: 10), origin: .zero)
        // Ten streams, the odd ones cut: 5 failures of 10 requests trips at the tenth.
        var transitions: [TestBreaker.Transition?] = []
        for index in 0..<10 {
            transitions.append(breaker.recordSuccess(at: clock.now))
            if index % 2 == 1 { transitions.append(breaker.recordLateFailure(kind: .streamInterrupted, at: clock.now)) }
        }
        #expect(transitions.dropLast().allSatisfy { $0 == nil })
        #expect(transitions.last == .opened(until: clock.now.advanced(by: .seconds(30)), reason: .errorRate(failures: 5, requests: 10), trip: 1))
    }
}
