extension RoutingTable {
    /// The deployments to try for one request at `now`, first choice first, then the failover order.
    ///
    /// Only eligible deployments are listed: breaker admitting (closed, or ready for a half-open
    /// probe) and under the RPM/TPM limits for a request of `estimatedTokens`. They are ordered
    /// by ``RoutingConfiguration/strategy`` (see ``RoutingStrategy``); `generator` draws for
    /// ``RoutingStrategy/weighted`` and ``RoutingStrategy/powerOfTwoChoices`` only.
    ///
    /// **Never bench everyone.** When no deployment is eligible the plan is not empty: it holds
    /// exactly one candidate, marked ``Candidate/isLastResort``, the deployment that becomes
    /// available soonest. Its ready instant (``DeploymentHealth/readyAt(_:estimatedTokens:)``) is
    /// the later of when its breaker admits again (end of the cooldown when open, end of the
    /// `retry-after` pause when rate limited, the probe's deadline when half-open with a probe in
    /// flight) and when its limits free (the oldest counted second leaving the window); ties go to
    /// configuration order. ``begin(_:estimatedTokens:at:)`` always starts it, ignoring limits;
    /// an open breaker takes it as its probe, so a success closes it and a failure reopens it with
    /// a longer cooldown, which hands the next last resort to another deployment when there is one.
    /// Only a group with no deployments gets an empty plan.
    ///
    /// Does not change the table: planning takes no probe slot and reserves nothing.
    public func candidates<Generator: RandomNumberGenerator>(
        estimatedTokens: Int = 0,
        at now: Instant,
        using generator: inout Generator
    ) -> [Candidate] {
        var plan: [Candidate] = []
        plan.reserveCapacity(self.deployments.count)
        for index in self.deployments.indices where self.isEligible(index, estimatedTokens: estimatedTokens, at: now) {
            plan.append(Candidate(deployment: index))
        }
        if plan.isEmpty {
            if let lastResort = self.lastResort(estimatedTokens: estimatedTokens, at: now) {
                plan.append(Candidate(deployment: lastResort, isLastResort: true))
            }
            return plan
        }
        switch self.configuration.strategy {
        case .priority:
            break
        case .weighted:
            self.orderByWeight(&plan, using: &generator)
        case .leastLatency:
            let metric = self.configuration.latencyMetric
            let time = self.time(now)
            let staleAfter = self.configuration.latencyStaleAfter.map(RoutingTime.nanoseconds)
            plan.sort { lhs, rhs in
                let left = self.deployments[lhs.deployment].latencyEstimate(metric, at: time, staleAfter: staleAfter)
                let right = self.deployments[rhs.deployment].latencyEstimate(metric, at: time, staleAfter: staleAfter)
                switch (left, right) {
                case (nil, nil): return lhs.deployment < rhs.deployment
                case (nil, _): return true
                case (_, nil): return false
                case (let left?, let right?): return left != right ? left < right : lhs.deployment < rhs.deployment
                }
            }
        case .leastBusy:
            plan.sort { self.isLessBusy($0.deployment, than: $1.deployment) }
        case .powerOfTwoChoices:
            self.orderByTwoChoices(&plan, at: now, using: &generator)
        case .leastCost:
            self.orderByCost(&plan, at: now)
        }
        return plan
    }

    /// Whether deployment `index` may be planned at `now`.
    func isEligible(_ index: Int, estimatedTokens: Int, at now: Instant) -> Bool {
        if case .refused = self.deployments[index].breaker.admission(at: now) { return false }
        return !self.deployments[index].isOverLimit(estimatedTokens: estimatedTokens, at: now)
    }

    /// `now` on the table's nanosecond timeline (every deployment shares the table's origin).
    private func time(_ now: Instant) -> Int64 {
        self.deployments.first?.time(now) ?? 0
    }

    /// The deployment that becomes available soonest; ties to configuration order.
    private func lastResort(estimatedTokens: Int, at now: Instant) -> Int? {
        var best: (index: Int, ready: Instant)?
        for index in self.deployments.indices {
            let ready = self.deployments[index].readyAt(now, estimatedTokens: estimatedTokens)
            if best == nil || ready < best!.ready { best = (index, ready) }
        }
        return best?.index
    }

    /// Those meeting the latency objective cheapest first, then the others fastest first.
    private func orderByCost(_ plan: inout [Candidate], at now: Instant) {
        let configuration = self.configuration
        let time = self.time(now)
        let staleAfter = configuration.latencyStaleAfter.map(RoutingTime.nanoseconds)
        let objective = configuration.latencyObjective.map { Double(RoutingTime.nanoseconds($0)) }
        // One pass of state reads per deployment, not per comparison.
        let keys = plan.map { candidate -> (meets: Bool, price: Int64, latency: Double) in
            let health = self.deployments[candidate.deployment]
            let latency = health.latencyEstimate(configuration.latencyMetric, at: time, staleAfter: staleAfter) ?? 0
            let meets =
                objective.map {
                    health.meetsObjective(
                        $0, configuration.latencyMetric, minSamples: configuration.latencyObjectiveMinSamples,
                        at: time, staleAfter: staleAfter)
                } ?? true
            return (meets, health.limits.price?.microUSDPerMillionTokens ?? .max, latency)
        }
        let order = plan.indices.sorted { lhs, rhs in
            let left = keys[lhs]
            let right = keys[rhs]
            if left.meets != right.meets { return left.meets }
            if left.meets {
                if left.price != right.price { return left.price < right.price }
            } else if left.latency != right.latency {
                return left.latency < right.latency
            }
            return plan[lhs].deployment < plan[rhs].deployment
        }
        plan = order.map { plan[$0] }
    }

    private func isLessBusy(_ lhs: Int, than rhs: Int) -> Bool {
        let left = self.deployments[lhs].inFlight
        let right = self.deployments[rhs].inFlight
        return left != right ? left < right : lhs < rhs
    }

    /// Weighted draws without replacement, in place; weight-0 deployments stay last in order.
    private func orderByWeight<Generator: RandomNumberGenerator>(
        _ plan: inout [Candidate],
        using generator: inout Generator
    ) {
        var remaining = 0
        for candidate in plan { remaining += max(0, self.deployments[candidate.deployment].limits.weight) }
        var position = 0
        while position < plan.count - 1, remaining > 0 {
            var draw = Int.random(in: 0..<remaining, using: &generator)
            var chosen = position
            for index in position..<plan.count {
                let weight = max(0, self.deployments[plan[index].deployment].limits.weight)
                if draw < weight {
                    chosen = index
                    break
                }
                draw -= weight
            }
            remaining -= max(0, self.deployments[plan[chosen].deployment].limits.weight)
            if chosen != position {
                // Shift rather than swap, so that the undrawn keep configuration order.
                let candidate = plan.remove(at: chosen)
                plan.insert(candidate, at: position)
            }
            position += 1
        }
    }

    /// Two random draws, the better first, the other second, the rest by load.
    private func orderByTwoChoices<Generator: RandomNumberGenerator>(
        _ plan: inout [Candidate],
        at now: Instant,
        using generator: inout Generator
    ) {
        guard plan.count >= 2 else { return }
        let first = Int.random(in: 0..<plan.count, using: &generator)
        var second = Int.random(in: 0..<(plan.count - 1), using: &generator)
        if second >= first { second += 1 }
        let (winner, loser) =
            self.isBetterChoice(plan[second].deployment, than: plan[first].deployment, at: self.time(now))
            ? (plan[second], plan[first]) : (plan[first], plan[second])
        var rest = 0
        for index in plan.indices where plan[index] != winner && plan[index] != loser {
            plan[rest] = plan[index]
            rest += 1
        }
        plan[plan.count - 2] = winner
        plan[plan.count - 1] = loser
        plan[..<(plan.count - 2)].sort { self.isLessBusy($0.deployment, than: $1.deployment) }
        // Move the pair from the end to the front.
        plan.rotate(toStartAt: plan.count - 2)
    }

    /// Fewer in flight wins; then the lower latency estimate (unmeasured counts as fastest).
    /// A full tie is not better, so the first draw keeps its place.
    private func isBetterChoice(_ lhs: Int, than rhs: Int, at time: Int64) -> Bool {
        let left = self.deployments[lhs].inFlight
        let right = self.deployments[rhs].inFlight
        if left != right { return left < right }
        let metric = self.configuration.latencyMetric
        let staleAfter = self.configuration.latencyStaleAfter.map(RoutingTime.nanoseconds)
        let leftLatency = self.deployments[lhs].latencyEstimate(metric, at: time, staleAfter: staleAfter) ?? 0
        let rightLatency = self.deployments[rhs].latencyEstimate(metric, at: time, staleAfter: staleAfter) ?? 0
        return leftLatency < rightLatency
    }
}

extension Array {
    /// Rotates in place so that the element at `index` comes first.
    fileprivate mutating func rotate(toStartAt index: Int) {
        guard index > 0, index < self.count else { return }
        self[..<index].reverse()
        self[index...].reverse()
        self.reverse()
    }
}
