import FoundationEssentials
import HTTPTypes
import KeelCore
import KeelStorage
import Logging
import Synchronization

/// Rate limits (requests and tokens per window, requests in flight) per key, team and model: the
/// ``AdmissionLimit`` of the rules in the configuration and in the database.
///
/// The data plane reads rules from an in-memory snapshot (``replaceRules(stored:)`` swaps it)
/// and spends capacity this instance has leased from the database: slices of each rule's
/// current window (``WindowAllowance``) and concurrency slots (``SlotAllowance``). It waits for
/// the database only when a slice runs out, and then one request per rule asks while the others
/// wait for that answer, so one instance never holds more than about one unused slice. See
/// docs/adr/0007-rate-limits.md for the semantics and the stated bounds.
///
/// One instance serves every request; counters live under one `Mutex`, never held across a
/// suspension.
final class RateLimiter: AdmissionLimit {
    /// How capacity is leased from the database.
    struct Settings: Sendable, Equatable {
        /// The share of a limit leased at a time (0 < f ≤ 1).
        var sliceFraction: Double = 0.1
        /// A concurrency lease not renewed for this long is dropped (its instance is gone).
        var leaseTTL: Duration = .seconds(30)
    }

    let settings: Settings
    let store: any RateLimitStore
    /// Tells this process's leases apart from other instances' in the shared database.
    let instanceID: String
    let logger: Logger
    private let configured: [RateLimitRule]
    private let rules: Mutex<[RateLimitRule]>
    let counters = Mutex<[String: Counters]>([:])
    /// Callers waiting for a database call another caller makes for them, by rule.
    let refills = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])
    let now: @Sendable () -> Int64

    /// The live counters of one rule on this instance.
    struct Counters: Sendable {
        var rule: RateLimitRule
        var requests: WindowAllowance?
        var tokens: WindowAllowance?
        var slots: SlotAllowance?
    }

    init(
        configured: [RateLimitRule],
        store: any RateLimitStore,
        settings: Settings = Settings(),
        instanceID: String = "instance-" + UUID().uuidString.lowercased(),
        logger: Logger,
        now: @escaping @Sendable () -> Int64 = { WallClock.unixMicros() }
    ) {
        self.configured = configured
        self.rules = Mutex(configured)
        self.store = store
        self.settings = settings
        self.instanceID = instanceID
        self.logger = logger
        self.now = now
    }

    /// The rules in force: the configuration's, then the stored ones.
    var currentRules: [RateLimitRule] { self.rules.withLock { $0 } }

    /// The configuration's rules (read-only on the admin API).
    var configuredRules: [RateLimitRule] { self.configured }

    /// Swaps the snapshot for the configuration's rules plus `stored`; counters of edited rules
    /// keep what they were granted, counters of removed rules are dropped.
    func replaceRules(stored: [RateLimitRule]) {
        let configuredIDs = Set(self.configured.map(\.id))
        let all = self.configured + stored.filter { !configuredIDs.contains($0.id) }
        self.rules.withLock { $0 = all }
        let byID = Dictionary(all.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let fraction = self.settings.sliceFraction
        self.counters.withLock { counters in
            for (id, var entry) in counters {
                guard let rule = byID[id] else {
                    counters[id] = nil
                    continue
                }
                if rule != entry.rule {
                    entry = Self.updated(entry, to: rule, sliceFraction: fraction)
                    counters[id] = entry
                }
            }
        }
    }

    /// Reads the stored rules and swaps the snapshot.
    func reload() async throws {
        self.replaceRules(stored: try await self.store.rules())
    }

    private static func updated(_ entry: Counters, to rule: RateLimitRule, sliceFraction: Double) -> Counters {
        var entry = entry
        if rule.windowSeconds != entry.rule.windowSeconds {
            // Another window length is another counter.
            entry.requests = nil
            entry.tokens = nil
        }
        entry.rule = rule
        if let limit = rule.requestsPerWindow {
            entry.requests?.setLimit(limit, sliceFraction: sliceFraction)
        } else {
            entry.requests = nil
        }
        if let limit = rule.tokensPerWindow {
            entry.tokens?.setLimit(limit, sliceFraction: sliceFraction)
        } else {
            entry.tokens = nil
        }
        if let limit = rule.maxConcurrent {
            entry.slots?.setLimit(limit, sliceFraction: sliceFraction)
        } else {
            entry.slots = nil
        }
        return entry
    }

    // MARK: Admission

    func admit(_ demand: AdmissionDemand) async throws(KeelError) -> (any AdmissionHold)? {
        let record = demand.record
        let covering = self.currentRules.filter {
            $0.covers(keyID: record.keyID, teamID: record.teamID, model: record.requestedModel)
        }
        guard !covering.isEmpty else { return nil }
        let tokens = demand.totalTokens
        let taken = try await self.take(covering, requests: 1, tokens: tokens, slots: true)
        let headers = self.headerValues(for: covering)
        return RateLimitHold(limiter: self, rules: covering, taken: taken, inputTokens: demand.inputTokens, reservedTokens: tokens, headers: headers)
    }

    /// What one admission took from one rule, so it can be given back or corrected.
    struct Taken: Sendable {
        var ruleID: String
        var windowStart: Int64
        var requests: Int
        var tokens: Int
        var slot: Bool
    }

    private enum Plan {
        case taken([Taken])
        case refill(ruleID: String, windowStart: Int64, requests: Int, tokens: Int)
        case lease(ruleID: String, target: Int)
        case refused(KeelError)
    }

    /// Takes `requests`, `tokens` and (when `slots`) a concurrency slot from every rule, all or
    /// nothing, leasing from the database when this instance's share runs out.
    func take(_ rules: [RateLimitRule], requests: Int, tokens: Int, slots: Bool) async throws(KeelError) -> [Taken] {
        for _ in 0..<32 {
            let now = self.now()
            let plan = self.counters.withLock { counters in
                self.plan(rules, requests: requests, tokens: tokens, slots: slots, now: now, counters: &counters)
            }
            switch plan {
            case .taken(let taken):
                return taken
            case .refused(let error):
                throw error
            case .refill(let ruleID, let windowStart, let requestAmount, let tokenAmount):
                guard let rule = rules.first(where: { $0.id == ruleID }) else { continue }
                let ok = await self.singleFlight("w:\(ruleID):\(windowStart)") {
                    await self.refill(rule, windowStart: windowStart, requests: requestAmount, tokens: tokenAmount)
                }
                if !ok { throw Self.storeUnavailable(rule) }
            case .lease(let ruleID, let target):
                guard let rule = rules.first(where: { $0.id == ruleID }) else { continue }
                let ok = await self.singleFlight("c:\(ruleID)") {
                    await self.lease(rule, target: target, grow: true)
                }
                if !ok { throw Self.storeUnavailable(rule) }
            }
        }
        throw KeelError.rateLimitExceeded("Rate limit capacity is contended; try again shortly.", retryAfterSeconds: 1)
    }

    private func plan(
        _ rules: [RateLimitRule],
        requests: Int,
        tokens: Int,
        slots: Bool,
        now: Int64,
        counters: inout [String: Counters]
    ) -> Plan {
        var taken: [Taken] = []
        func rollBack() {
            for entry in taken { Self.giveBack(entry, counters: &counters) }
        }
        for rule in rules {
            var entry = counters[rule.id] ?? Counters(rule: rule, requests: nil, tokens: nil, slots: nil)
            let windowStart = rule.windowStart(at: now)
            let fraction = self.settings.sliceFraction
            if let limit = rule.requestsPerWindow, requests > 0, entry.requests == nil {
                entry.requests = WindowAllowance(limit: limit, sliceFraction: fraction, windowStart: windowStart)
            }
            if let limit = rule.tokensPerWindow, tokens > 0, entry.tokens == nil {
                entry.tokens = WindowAllowance(limit: limit, sliceFraction: fraction, windowStart: windowStart)
            }
            if let limit = rule.maxConcurrent, slots, entry.slots == nil {
                entry.slots = SlotAllowance(limit: limit, sliceFraction: fraction)
            }
            var requestTake = WindowAllowance.Take.taken
            var tokenTake = WindowAllowance.Take.taken
            if requests > 0, rule.requestsPerWindow != nil {
                requestTake = entry.requests!.take(requests, windowStart: windowStart)
            }
            if tokens > 0, rule.tokensPerWindow != nil {
                tokenTake = entry.tokens!.take(tokens, windowStart: windowStart)
            } else if requests > 0, let spent = entry.tokens, spent.windowStart == windowStart, spent.exhausted, spent.balance <= 0 {
                // A request that reserves no tokens (embeddings) is refused once the window's
                // tokens are spent; what it uses is charged when it settles.
                tokenTake = .refused
            }
            var took = Taken(ruleID: rule.id, windowStart: windowStart, requests: 0, tokens: 0, slot: false)
            if requestTake == .taken, requests > 0, rule.requestsPerWindow != nil { took.requests = requests }
            if tokenTake == .taken, tokens > 0, rule.tokensPerWindow != nil { took.tokens = tokens }

            if requestTake != .taken || tokenTake != .taken {
                counters[rule.id] = entry
                Self.giveBack(took, counters: &counters)
                rollBack()
                let resetIn = Self.secondsToWindowEnd(rule, windowStart: windowStart, now: now)
                switch (requestTake, tokenTake) {
                case (.tooLarge, _), (_, .tooLarge):
                    return .refused(Self.tooLarge(rule, tokens: tokens))
                case (.refused, _):
                    return .refused(Self.refused(rule, on: "requests", limit: rule.requestsPerWindow ?? 0, retryAfter: resetIn))
                case (_, .refused):
                    return .refused(Self.refused(rule, on: "tokens", limit: rule.tokensPerWindow ?? 0, retryAfter: resetIn))
                default:
                    var askRequests = 0
                    var askTokens = 0
                    if case .refill(let amount) = requestTake { askRequests = amount }
                    if case .refill(let amount) = tokenTake { askTokens = amount }
                    return .refill(ruleID: rule.id, windowStart: windowStart, requests: askRequests, tokens: askTokens)
                }
            }
            if slots, rule.maxConcurrent != nil {
                switch entry.slots!.acquire(now: now) {
                case .taken:
                    took.slot = true
                case .lease(let target):
                    counters[rule.id] = entry
                    Self.giveBack(took, counters: &counters)
                    rollBack()
                    return .lease(ruleID: rule.id, target: target)
                case .refused:
                    counters[rule.id] = entry
                    Self.giveBack(took, counters: &counters)
                    rollBack()
                    return .refused(Self.refused(rule, on: "concurrent requests", limit: rule.maxConcurrent ?? 0, retryAfter: 1))
                }
            }
            counters[rule.id] = entry
            taken.append(took)
        }
        return .taken(taken)
    }

    /// Returns what `entry` took to the local balances (a sibling rule refused, or the request
    /// never used it). Requests are returned only here: a request that ran counts in its window.
    private static func giveBack(_ entry: Taken, counters: inout [String: Counters]) {
        guard var counter = counters[entry.ruleID] else { return }
        if entry.requests > 0 { counter.requests?.refund(entry.requests, windowStart: entry.windowStart) }
        if entry.tokens > 0 { counter.tokens?.refund(entry.tokens, windowStart: entry.windowStart) }
        if entry.slot { counter.slots?.cancel() }
        counters[entry.ruleID] = counter
    }

    // MARK: Headers and errors

    /// `x-ratelimit-*` values: for requests and for tokens, the covering rule with the least left.
    struct HeaderValues: Sendable {
        var requests: (limit: Int, remaining: Int, reset: Double)?
        var tokens: (limit: Int, remaining: Int, reset: Double)?
    }

    private func headerValues(for rules: [RateLimitRule]) -> HeaderValues {
        let now = self.now()
        return self.counters.withLock { counters in
            var values = HeaderValues()
            for rule in rules {
                guard let entry = counters[rule.id] else { continue }
                if let requests = entry.requests, rule.requestsPerWindow != nil,
                    values.requests.map({ requests.remaining < $0.remaining }) ?? true
                {
                    values.requests = (requests.limit, requests.remaining, requests.secondsToReset(windowSeconds: rule.windowSeconds, at: now))
                }
                if let tokens = entry.tokens, rule.tokensPerWindow != nil,
                    values.tokens.map({ tokens.remaining < $0.remaining }) ?? true
                {
                    values.tokens = (tokens.limit, tokens.remaining, tokens.secondsToReset(windowSeconds: rule.windowSeconds, at: now))
                }
            }
            return values
        }
    }

    /// The counters of `ruleID` on this instance (tests and the admin API's usage view).
    func counters(of ruleID: String) -> Counters? {
        self.counters.withLock { $0[ruleID] }
    }

    private static func secondsToWindowEnd(_ rule: RateLimitRule, windowStart: Int64, now: Int64) -> Double {
        max(0.001, Double((windowStart + Int64(rule.windowSeconds)) * 1_000_000 - now) / 1_000_000)
    }

    private static func window(_ rule: RateLimitRule) -> String {
        rule.windowSeconds == 60 ? "per minute" : "per \(RateLimitReset.text(seconds: Double(rule.windowSeconds)))"
    }

    static func refused(_ rule: RateLimitRule, on what: String, limit: Int, retryAfter: Double) -> KeelError {
        let window = what == "concurrent requests" ? "at once" : Self.window(rule)
        return .rateLimitExceeded(
            "Rate limit '\(rule.id)' reached on \(what): limit \(limit) \(window). Try again in \(RateLimitReset.text(seconds: retryAfter)).",
            retryAfterSeconds: max(1, retryAfter.rounded(.up))
        )
    }

    static func tooLarge(_ rule: RateLimitRule, tokens: Int) -> KeelError {
        .rateLimitExceeded(
            "Request too large for rate limit '\(rule.id)': it reserves \(tokens) tokens (prompt estimate + max_tokens) and the limit is \(rule.tokensPerWindow ?? 0) \(Self.window(rule)). Lower max_tokens.",
            retryAfterSeconds: nil
        )
    }

    static func storeUnavailable(_ rule: RateLimitRule) -> KeelError {
        .rateLimitExceeded("Rate limit '\(rule.id)' could not lease capacity from the database; try again shortly.", retryAfterSeconds: 1)
    }
}
