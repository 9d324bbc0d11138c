import KeelCore
import KeelStorage
import Logging
import Synchronization

// Everything of the rate limiter that talks to the database: leasing window slices and
// concurrency slots, settling finished requests (which may cover a debt or give a surplus
// back), and the periodic renewal `RateLimitSync` runs. None of it holds the counters' lock
// across a suspension.
extension RateLimiter {
    // MARK: Leasing from the database

    /// Runs `operation` once per `key` at a time: a caller that finds it running waits for it
    /// and returns `true` (it then plans again with what the leader received).
    func singleFlight(_ key: String, _ operation: () async -> Bool) async -> Bool {
        let leader = self.refills.withLock { waiting -> Bool in
            if waiting[key] != nil { return false }
            waiting[key] = []
            return true
        }
        guard leader else {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let queued = self.refills.withLock { waiting -> Bool in
                    guard waiting[key] != nil else { return false }
                    waiting[key]!.append(continuation)
                    return true
                }
                if !queued { continuation.resume() }
            }
            return true
        }
        let ok = await operation()
        let waiters = self.refills.withLock { $0.removeValue(forKey: key) ?? [] }
        for waiter in waiters { waiter.resume() }
        return ok
    }

    /// Asks the database for (positive) or gives back (negative) capacity of one window, and
    /// records the answer; `false` when the database could not be reached.
    @discardableResult
    func refill(_ rule: RateLimitRule, windowStart: Int64, requests: Int, tokens: Int) async -> Bool {
        do {
            let grant = try await self.store.adjustWindow(
                ruleID: rule.id,
                windowStart: windowStart,
                requests: requests,
                tokens: tokens,
                requestLimit: rule.requestsPerWindow ?? 0,
                tokenLimit: rule.tokensPerWindow ?? 0
            )
            self.counters.withLock { counters in
                guard var entry = counters[rule.id] else { return }
                if requests >= 0 {
                    entry.requests?.receive(granted: grant.requests, asked: requests, total: grant.totalRequests, windowStart: windowStart)
                } else {
                    entry.requests?.noteTotal(grant.totalRequests, windowStart: windowStart)
                }
                if tokens >= 0 {
                    entry.tokens?.receive(granted: grant.tokens, asked: tokens, total: grant.totalTokens, windowStart: windowStart)
                } else {
                    entry.tokens?.noteTotal(grant.totalTokens, windowStart: windowStart)
                }
                counters[rule.id] = entry
            }
            return true
        } catch {
            self.logger.warning(
                "Rate limit slice could not be leased",
                metadata: ["keel.rate_limit.id": "\(rule.id)", LogKey.errorType: "\(type(of: error))"]
            )
            return false
        }
    }

    /// Leases `target` concurrency slots of `rule` in all (fewer when others hold the rest),
    /// never fewer than are in flight, nor (when `grow`) fewer than are held. Call it inside the
    /// rule's single flight, so two lease changes never cross.
    @discardableResult
    func lease(_ rule: RateLimitRule, target: Int, grow: Bool) async -> Bool {
        let now = self.now()
        let target = self.counters.withLock { counters -> Int in
            guard let slots = counters[rule.id]?.slots else { return target }
            return max(target, slots.inFlight, grow ? slots.held : 0)
        }
        do {
            let held = try await self.store.leaseSlots(
                ruleID: rule.id,
                instanceID: self.instanceID,
                slots: target,
                limit: rule.maxConcurrent ?? 0,
                now: now,
                expiresAt: now + self.settings.leaseTTL.microseconds
            )
            self.counters.withLock { counters in
                counters[rule.id]?.slots?.receive(held: held, target: target, now: now)
            }
            return true
        } catch {
            self.logger.warning(
                "Rate limit concurrency slots could not be leased",
                metadata: ["keel.rate_limit.id": "\(rule.id)", LogKey.errorType: "\(type(of: error))"]
            )
            return false
        }
    }

    /// Renews this instance's concurrency leases, trimmed to what is in flight plus a slice, and
    /// gives unused window surplus back. Run by ``RateLimitSync`` every refresh interval.
    func renewLeases() async {
        let (leases, surpluses) = self.counters.withLock { counters -> ([RateLimitRule], [(RateLimitRule, Int64, Int, Int)]) in
            var leases: [RateLimitRule] = []
            var surpluses: [(RateLimitRule, Int64, Int, Int)] = []
            for (id, var entry) in counters {
                if let slots = entry.slots, slots.held > 0 || slots.inFlight > 0 { leases.append(entry.rule) }
                let requests = entry.requests?.releaseSurplus() ?? 0
                let tokens = entry.tokens?.releaseSurplus() ?? 0
                if requests > 0 || tokens > 0 {
                    surpluses.append((entry.rule, entry.requests?.windowStart ?? entry.tokens?.windowStart ?? 0, requests, tokens))
                }
                counters[id] = entry
            }
            return (leases, surpluses)
        }
        for rule in leases { await self.trim(rule, always: true) }
        for (rule, windowStart, requests, tokens) in surpluses {
            await self.refill(rule, windowStart: windowStart, requests: -requests, tokens: -tokens)
        }
    }

    /// Trims the lease of `rule` to what is in flight plus a slice and renews it; with
    /// `always: false`, only when there is something to trim. Inside the rule's single flight.
    func trim(_ rule: RateLimitRule, always: Bool) async {
        _ = await self.singleFlight("c:\(rule.id)") {
            let target = self.counters.withLock { counters -> Int? in
                guard var slots = counters[rule.id]?.slots else { return nil }
                let trimmed = slots.beginTrim()
                counters[rule.id]?.slots = slots
                return trimmed ?? (always ? slots.held : nil)
            }
            guard let target else { return true }
            return await self.lease(rule, target: target, grow: false)
        }
    }

    /// Gives every concurrency lease of this instance back (graceful shutdown).
    func releaseLeases() async {
        let rules = self.counters.withLock { counters in counters.values.filter { ($0.slots?.held ?? 0) > 0 }.map(\.rule) }
        for rule in rules {
            _ = try? await self.store.leaseSlots(
                ruleID: rule.id, instanceID: self.instanceID, slots: 0, limit: rule.maxConcurrent ?? 0, now: self.now(), expiresAt: 0)
        }
    }

    // MARK: Settling

    /// Corrects the tokens of a finished request to `used` and frees its slots; then covers a
    /// debt, or gives back a surplus, through the database.
    func settle(_ taken: [Taken], rules: [RateLimitRule], reservedTokens: Int, usedTokens: Int) async {
        let now = self.now()
        var debts: [(RateLimitRule, Int64, Int)] = []
        var surpluses: [(RateLimitRule, Int64, Int)] = []
        var trims: [RateLimitRule] = []
        self.counters.withLock { counters in
            for rule in rules {
                guard var entry = counters[rule.id] else { continue }
                let entries = taken.filter { $0.ruleID == rule.id }
                if entries.contains(where: { $0.slot }) {
                    entry.slots?.release()
                    if entry.slots?.holdsIdleSurplus == true { trims.append(rule) }
                }
                let reserved = entries.reduce(0) { $0 + $1.tokens }
                if entry.tokens == nil, let limit = rule.tokensPerWindow, usedTokens > 0 {
                    // A request that reserved no tokens (embeddings) is still charged what it used.
                    entry.tokens = WindowAllowance(limit: limit, sliceFraction: self.settings.sliceFraction, windowStart: rule.windowStart(at: now))
                }
                if reserved > 0 || (rule.tokensPerWindow != nil && usedTokens > 0), entry.tokens != nil {
                    let current = rule.windowStart(at: now)
                    if usedTokens < reserved {
                        // Refund the latest reservations first: an older window may have ended.
                        var refund = reserved - usedTokens
                        for item in entries.reversed() where refund > 0 && item.tokens > 0 {
                            let amount = min(refund, item.tokens)
                            entry.tokens!.refund(amount, windowStart: item.windowStart)
                            refund -= amount
                        }
                        let surplus = entry.tokens!.releaseSurplus()
                        if surplus > 0 { surpluses.append((rule, entry.tokens!.windowStart, surplus)) }
                    } else if usedTokens > reserved {
                        let debt = entry.tokens!.charge(usedTokens - reserved, windowStart: current)
                        if debt > 0 { debts.append((rule, current, debt)) }
                    }
                }
                counters[rule.id] = entry
            }
        }
        for (rule, windowStart, amount) in debts {
            await self.refill(rule, windowStart: windowStart, requests: 0, tokens: amount)
        }
        for (rule, windowStart, amount) in surpluses {
            await self.refill(rule, windowStart: windowStart, requests: 0, tokens: -amount)
        }
        for rule in trims { await self.trim(rule, always: false) }
    }
}
