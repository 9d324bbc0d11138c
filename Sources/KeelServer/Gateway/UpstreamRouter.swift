import KeelCore
import KeelProviders
import Logging
import NIOCore

/// Sends a request to the deployments of a model and its fallbacks, with retries.
///
/// Order: each deployment of the requested model in priority order, retried on retryable errors
/// per the model's `RetryPolicy` (honouring `retry-after`), then the fallback models the same
/// way. A non-retryable error (the request itself is bad) ends the search at once; a deployment
/// that cannot serve the request (``DeploymentCannotServe``) is passed over.
struct UpstreamRouter: Sendable {
    /// What one successful attempt produced.
    struct Routed<Value: Sendable>: Sendable {
        let value: Value
        let model: ModelRegistry.Entry
        let deployment: ModelRegistry.Deployment
        let attempts: Int
        /// Every attempt, when there was more than one (see `RequestRecord.attemptLog`).
        let attemptLog: [RequestRecord.Attempt]
    }

    /// Every attempt failed.
    struct Failure: Error {
        let error: KeelError
        let attempts: Int
        let attemptLog: [RequestRecord.Attempt]
        let model: ModelRegistry.Entry?
        let deployment: ModelRegistry.Deployment?
    }

    let registry: ModelRegistry
    /// Providers benched and models pinned by incident playbooks.
    var overrides: RouteOverrides?

    /// Runs `attempt` against each candidate deployment until one succeeds.
    ///
    /// For each model (the requested one, then its fallbacks) the model's ``DeploymentGroup``
    /// orders the deployments by its strategy, leaving out those whose breaker is open or that
    /// are over their RPM/TPM (but never all of them: see ``RoutingTable``). Each attempt is
    /// begun and completed on the group, so its outcome feeds the breaker and the averages.
    ///
    /// `attempt` performs one upstream call and validates its result; it throws a `KeelError` to
    /// fail the attempt, or ``DeploymentCannotServe`` when it sent nothing because the deployment
    /// cannot serve the request. Cancellation is rethrown as is. `estimatedTokens` is what the
    /// request is reserved against token-per-minute limits; `firstTokenAt` reads when a stream's
    /// first token arrived; `usedTokens` reads the real count
    /// from a success, when it has one (a stream's comes later: its estimate stands). A deployment
    /// for which `skip` is true is left out of every plan (a resumed stream avoids the one that
    /// cut it).
    ///
    /// With `trace` (tracing on), each attempt runs inside a span of its own, a child of the
    /// request's, whose W3C trace context its upstream request carries; a success for which
    /// `holdsStream` is true keeps its span open until the stream ends (``RequestTrace``).
    /// `resumed` marks the attempts as continuing a cut stream.
    func route<Value: Sendable>(
        model name: String,
        estimatedTokens: Int = 0,
        skip: (ModelRegistry.Deployment) -> Bool = { _ in false },
        usedTokens: @escaping @Sendable (Value) -> Int? = { _ in nil },
        firstTokenAt: @escaping @Sendable (Value) -> ContinuousClock.Instant? = { _ in nil },
        trace: RequestTrace? = nil,
        resumed: Bool = false,
        policy: EffectivePolicy = EffectivePolicy([]),
        holdsStream: @escaping @Sendable (Value) -> Bool = { _ in false },
        logger: Logger,
        attempt: @escaping @Sendable (ModelRegistry.Deployment) async throws -> Value
    ) async throws -> Routed<Value> {
        var attempts = 0
        var log: [RequestRecord.Attempt] = []
        var lastFailure: Failure?
        var generator = SystemRandomNumberGenerator()
        let admissible = self.candidates(for: name, policy: policy)
        for (index, entry) in admissible.entries.enumerated() {
            let allowed = admissible.allowed?[index]
            var plan = entry.group.plan(estimatedTokens: estimatedTokens).filter { candidate in
                allowed?[candidate.deployment] != false && !skip(entry.deployments[candidate.deployment])
                    && self.overrides?.allows(model: entry.name, deployment: entry.deployments[candidate.deployment])
                        != false
            }[...]
            if let hedgeAfter = entry.hedgeAfter, plan.count >= 2 {
                let race = await self.hedge(
                    entry,
                    plan[plan.startIndex],
                    plan[plan.startIndex + 1],
                    after: hedgeAfter,
                    estimatedTokens: estimatedTokens,
                    usedTokens: usedTokens,
                    firstTokenAt: firstTokenAt,
                    trace: trace,
                    firstAttempt: attempts + 1,
                    resumed: resumed,
                    holdsStream: holdsStream,
                    logger: logger,
                    attempt: attempt
                )
                plan = plan.dropFirst(2)
                for attempted in race.attempts {
                    attempts += 1
                    log.append(Self.entry(attempted.deployment, error: attempted.error, since: attempted.started))
                }
                if let (value, deployment) = race.winner {
                    return Routed(
                        value: value,
                        model: entry,
                        deployment: deployment,
                        attempts: attempts,
                        attemptLog: log
                    )
                }
                for attempted in race.attempts {
                    guard let error = attempted.error else { continue }
                    lastFailure = Failure(
                        error: error,
                        attempts: attempts,
                        attemptLog: log,
                        model: entry,
                        deployment: attempted.deployment
                    )
                    // The request itself is bad: no other deployment will take it either.
                    if case .stop = entry.retryPolicy.decision(
                        after: error,
                        retry: entry.retryPolicy.maxRetries,
                        using: &generator
                    ) {
                        if !error.isRetryable { throw lastFailure! }
                    }
                }
            }
            for candidate in plan {
                let deployment = entry.deployments[candidate.deployment]
                var retry = 0
                while true {
                    guard case .started(let lease) = entry.group.begin(candidate, estimatedTokens: estimatedTokens)
                    else {
                        // Its breaker opened or its limit filled since the plan: the next one.
                        if lastFailure == nil {
                            let error = KeelError.overloaded(
                                "Every deployment of '\(entry.name)' is cooling down or at its rate limit."
                            )
                            lastFailure = Failure(
                                error: error,
                                attempts: attempts,
                                attemptLog: log,
                                model: entry,
                                deployment: deployment
                            )
                        }
                        break
                    }
                    attempts += 1
                    let started = ContinuousClock.now
                    let attemptTrace = trace?.startAttempt(deployment, number: attempts, resumed: resumed)
                    do {
                        let value = try await Self.call(attempt, deployment, attemptTrace)
                        if let attemptTrace {
                            Self.succeeded(attemptTrace, value, trace: trace, holdsStream: holdsStream)
                        }
                        entry.group.complete(
                            lease,
                            outcome: Self.success(started: started, firstTokenAt: firstTokenAt(value)),
                            usedTokens: usedTokens(value),
                            deployment: deployment.upstreamModel,
                            logger: logger
                        )
                        if !log.isEmpty {
                            log.append(Self.entry(deployment, error: nil, since: started))
                        }
                        return Routed(
                            value: value,
                            model: entry,
                            deployment: deployment,
                            attempts: attempts,
                            attemptLog: log
                        )
                    } catch let refusal as DeploymentCannotServe {
                        // Not sent upstream: no attempt counted, no retry; the next deployment
                        // may serve it, else the client learns why none could.
                        entry.group.complete(
                            lease,
                            outcome: .inconclusive,
                            usedTokens: 0,
                            deployment: deployment.upstreamModel,
                            logger: logger
                        )
                        attemptTrace?.fail(refusal.error)
                        attempts -= 1
                        log.append(Self.entry(deployment, error: refusal.error, since: started))
                        lastFailure = Failure(
                            error: refusal.error,
                            attempts: attempts,
                            attemptLog: log,
                            model: entry,
                            deployment: deployment
                        )
                        break
                    } catch let error as KeelError {
                        entry.group.complete(
                            lease,
                            outcome: AttemptOutcome(error),
                            usedTokens: nil,
                            deployment: deployment.upstreamModel,
                            logger: logger
                        )
                        attemptTrace?.fail(error)
                        log.append(Self.entry(deployment, error: error, since: started))
                        lastFailure = Failure(
                            error: error,
                            attempts: attempts,
                            attemptLog: log,
                            model: entry,
                            deployment: deployment
                        )
                        logger.debug(
                            "Upstream attempt failed",
                            metadata: [
                                LogKey.provider: "\(deployment.provider.name)",
                                LogKey.model: "\(deployment.upstreamModel)",
                                LogKey.errorType: "\(error.metricLabel)", "keel.attempt": "\(attempts)",
                            ]
                        )
                        switch entry.retryPolicy.decision(after: error, retry: retry, using: &generator) {
                        case .stop:
                            throw lastFailure!
                        case .nextRoute:
                            break
                        case .retry(let delay):
                            if delay > .zero { try await Task.sleep(for: delay) }
                            retry += 1
                            continue
                        }
                    } catch {
                        entry.group.complete(
                            lease,
                            outcome: .inconclusive,
                            usedTokens: 0,
                            deployment: deployment.upstreamModel,
                            logger: logger
                        )
                        attemptTrace?.fail(errorType: KeelError.clientDisconnected.metricLabel)
                        throw error
                    }
                    break
                }
            }
        }
        if let lastFailure { throw lastFailure }
        throw Failure(
            error: admissible.refusal ?? .modelNotFound(name),
            attempts: attempts,
            attemptLog: log,
            model: nil,
            deployment: nil
        )
    }

    /// The models a request naming `name` may reach under `policy` (the model, then its
    /// fallbacks), each with the deployments the policy lets serve it (`nil`: all of them).
    struct Admissible: Sendable {
        var entries: [ModelRegistry.Entry]
        /// For each entry, whether the policy lets each of its deployments serve; `nil` without
        /// a policy (all of them, and no allocation).
        var allowed: [[Bool]]?
        /// Why the policy left the first model or deployment out, for the refusal when nothing
        /// is left to try.
        var refusal: KeelError?
    }

    /// What `policy` leaves of `name`'s candidates. The router plans only these; the policy
    /// probes read them without routing anything.
    func candidates(for name: String, policy: EffectivePolicy) -> Admissible {
        let candidates = self.registry.candidates(for: name)
        guard !policy.isEmpty else { return Admissible(entries: candidates, allowed: nil) }
        var admissible = Admissible(entries: [], allowed: [])
        for entry in candidates {
            if let violation = policy.violation(model: entry.name) {
                admissible.refusal = admissible.refusal ?? violation
                continue
            }
            let allowed = entry.deployments.map { deployment in
                guard let refusal = policy.refusal(provider: deployment.compliance) else { return true }
                admissible.refusal =
                    admissible.refusal ?? refusal.error(provider: deployment.compliance, model: entry.name)
                return false
            }
            admissible.entries.append(entry)
            admissible.allowed?.append(allowed)
        }
        return admissible
    }

    /// What a hedged pair of attempts produced.
    struct Race<Value: Sendable>: Sendable {
        struct Attempted: Sendable {
            let deployment: ModelRegistry.Deployment
            let started: ContinuousClock.Instant
            /// `nil` for the winner; `clientDisconnected`-free: a cancelled loser is recorded as
            /// `hedge_lost`.
            let error: KeelError?
        }

        var winner: (Value, ModelRegistry.Deployment)?
        var attempts: [Attempted] = []
    }

    /// Runs `first`, and `second` too when `first` has not answered after `delay` (or has failed
    /// before it): the first success wins and the other attempt is cancelled. Both attempts are
    /// begun and completed on the group like any other; a cancelled loser is inconclusive for
    /// its breaker.
    func hedge<Value: Sendable>(
        _ entry: ModelRegistry.Entry,
        _ first: DeploymentGroup.Table.Candidate,
        _ second: DeploymentGroup.Table.Candidate,
        after delay: Duration,
        estimatedTokens: Int,
        usedTokens: @escaping @Sendable (Value) -> Int?,
        firstTokenAt: @escaping @Sendable (Value) -> ContinuousClock.Instant?,
        trace: RequestTrace? = nil,
        firstAttempt: Int = 1,
        resumed: Bool = false,
        holdsStream: @escaping @Sendable (Value) -> Bool = { _ in false },
        logger: Logger,
        attempt: @escaping @Sendable (ModelRegistry.Deployment) async throws -> Value
    ) async -> Race<Value> {
        typealias Event = HedgeEvent<Value>
        let group = entry.group
        @Sendable func run(_ candidate: DeploymentGroup.Table.Candidate, number: Int) async -> Event {
            let deployment = entry.deployments[candidate.deployment]
            guard case .started(let lease) = group.begin(candidate, estimatedTokens: estimatedTokens) else {
                return .notStarted
            }
            let started = ContinuousClock.now
            let attemptTrace = trace?.startAttempt(deployment, number: number, resumed: resumed)
            do {
                let value = try await Self.call(attempt, deployment, attemptTrace)
                if let attemptTrace { Self.succeeded(attemptTrace, value, trace: trace, holdsStream: holdsStream) }
                group.complete(
                    lease,
                    outcome: Self.success(started: started, firstTokenAt: firstTokenAt(value)),
                    usedTokens: usedTokens(value),
                    deployment: deployment.upstreamModel,
                    logger: logger
                )
                return .finished(.init(deployment: deployment, started: started, error: nil), value)
            } catch let refusal as DeploymentCannotServe {
                group.complete(
                    lease,
                    outcome: .inconclusive,
                    usedTokens: 0,
                    deployment: deployment.upstreamModel,
                    logger: logger
                )
                attemptTrace?.fail(refusal.error)
                return .finished(.init(deployment: deployment, started: started, error: refusal.error), nil)
            } catch let error as KeelError where !Task.isCancelled {
                group.complete(
                    lease,
                    outcome: AttemptOutcome(error),
                    usedTokens: nil,
                    deployment: deployment.upstreamModel,
                    logger: logger
                )
                attemptTrace?.fail(error)
                return .finished(.init(deployment: deployment, started: started, error: error), nil)
            } catch {
                // Cancelled because the other attempt won (its transport may report the closed
                // connection as an upstream error): says nothing about this deployment.
                group.complete(
                    lease,
                    outcome: .inconclusive,
                    usedTokens: 0,
                    deployment: deployment.upstreamModel,
                    logger: logger
                )
                attemptTrace?.fail(errorType: KeelError.hedgeLost.metricLabel)
                return .finished(.init(deployment: deployment, started: started, error: .hedgeLost), nil)
            }
        }
        return await withTaskGroup(of: Event.self) { tasks in
            var race = Race<Value>()
            var secondLaunched = false
            var running = 1
            tasks.addTask { await run(first, number: firstAttempt) }
            tasks.addTask {
                try? await Task.sleep(for: delay)
                return .hedgeTimer
            }
            while let event = await tasks.next() {
                switch event {
                case .hedgeTimer:
                    guard !secondLaunched, running > 0, !Task.isCancelled else { continue }
                    secondLaunched = true
                    running += 1
                    tasks.addTask { await run(second, number: firstAttempt + 1) }
                case .notStarted:
                    running -= 1
                case .finished(let attempted, let value):
                    running -= 1
                    if let value, race.winner == nil {
                        race.winner = (value, attempted.deployment)
                        race.attempts.append(attempted)
                        tasks.cancelAll()
                        continue
                    }
                    race.attempts.append(attempted)
                    // The first failed before the hedge delay: ask the second now, as a
                    // sequential failover would.
                    if !secondLaunched && race.winner == nil, attempted.error?.isRetryable ?? false {
                        secondLaunched = true
                        running += 1
                        tasks.addTask { await run(second, number: firstAttempt + 1) }
                    }
                }
                if running == 0 && (secondLaunched || race.winner != nil) { tasks.cancelAll() }
            }
            return race
        }
    }

    /// Runs `attempt` with the W3C trace context of its span bound for the upstream transport.
    private static func call<Value: Sendable>(
        _ attempt: @Sendable (ModelRegistry.Deployment) async throws -> Value,
        _ deployment: ModelRegistry.Deployment,
        _ trace: AttemptTrace?
    ) async throws -> Value {
        guard let trace else { return try await attempt(deployment) }
        return try await UpstreamTraceContext.$current.withValue(trace.upstream) { try await attempt(deployment) }
    }

    /// Ends a successful attempt's span, or hands it to the request's trace when it opened a
    /// stream (it ends with the stream).
    private static func succeeded<Value>(
        _ attempt: AttemptTrace,
        _ value: Value,
        trace: RequestTrace?,
        holdsStream: (Value) -> Bool
    ) {
        if let trace, holdsStream(value) {
            trace.holdStreamAttempt(attempt)
        } else {
            attempt.succeed()
        }
    }

    /// A success as the routing table learns it: its latency, and for a stream the time to its
    /// first token (which `least_latency` ranks by).
    static func success(started: ContinuousClock.Instant, firstTokenAt: ContinuousClock.Instant?) -> AttemptOutcome {
        .success(timeToFirstToken: firstTokenAt.map { $0 - started }, latency: ContinuousClock.now - started)
    }

    private static func entry(
        _ deployment: ModelRegistry.Deployment,
        error: KeelError?,
        since started: ContinuousClock.Instant
    ) -> RequestRecord.Attempt {
        RequestRecord.Attempt(
            provider: deployment.provider.name,
            deployment: deployment.upstreamModel,
            errorClass: error?.metricLabel,
            upstreamStatus: error?.upstreamStatus,
            durationMicros: (ContinuousClock.now - started).microseconds
        )
    }
}

/// What a hedge's task group hears from its children.
enum HedgeEvent<Value: Sendable>: Sendable {
    case hedgeTimer
    case finished(UpstreamRouter.Race<Value>.Attempted, Value?)
    case notStarted
}
