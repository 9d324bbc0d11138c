import HTTPTypes
import KeelCore
import Synchronization

/// One request's reservation against the rate limits that cover it: a request, its tokens
/// (prompt estimate + reserved answer) and a concurrency slot per rule, until it settles.
final class RateLimitHold: AdmissionHold {
    private let limiter: RateLimiter
    private let rules: [RateLimitRule]
    private let inputTokens: Int
    private let headers: RateLimiter.HeaderValues
    private let state: Mutex<State>

    private struct State {
        var taken: [RateLimiter.Taken]
        var reservedTokens: Int
    }

    init(
        limiter: RateLimiter,
        rules: [RateLimitRule],
        taken: [RateLimiter.Taken],
        inputTokens: Int,
        reservedTokens: Int,
        headers: RateLimiter.HeaderValues
    ) {
        self.limiter = limiter
        self.rules = rules
        self.inputTokens = inputTokens
        self.headers = headers
        self.state = Mutex(State(taken: taken, reservedTokens: reservedTokens))
    }

    /// OpenAI's six headers, for the covering rule with the fewest requests (and tokens) left
    /// when the request was admitted.
    func addHeaders(to headers: inout HTTPFields) {
        if let requests = self.headers.requests {
            headers[.rateLimitLimitRequests] = String(requests.limit)
            headers[.rateLimitRemainingRequests] = String(requests.remaining)
            headers[.rateLimitResetRequests] = RateLimitReset.text(seconds: requests.reset)
        }
        if let tokens = self.headers.tokens {
            headers[.rateLimitLimitTokens] = String(tokens.limit)
            headers[.rateLimitRemainingTokens] = String(tokens.remaining)
            headers[.rateLimitResetTokens] = RateLimitReset.text(seconds: tokens.reset)
        }
    }

    func extend(toOutputTokens outputTokens: Int) async -> KeelError? {
        let tokenRules = self.rules.filter { $0.tokensPerWindow != nil }
        let extra = self.state.withLock { self.inputTokens + outputTokens - $0.reservedTokens }
        guard extra > 0, !tokenRules.isEmpty else { return nil }
        do throws(KeelError) {
            let taken = try await self.limiter.take(tokenRules, requests: 0, tokens: extra, slots: false)
            self.state.withLock { state in
                state.taken += taken
                state.reservedTokens += extra
            }
            return nil
        } catch {
            return error
        }
    }

    /// A response-cache hit used no upstream tokens (its record carries the cached answer's
    /// usage for reports): it counts as a request, its tokens are given back.
    func settle(_ record: RequestRecord) async {
        let (taken, reserved) = self.state.withLock { ($0.taken, $0.reservedTokens) }
        let used = record.cacheHit ? 0 : Int(record.usage.totalTokens)
        await self.limiter.settle(taken, rules: self.rules, reservedTokens: reserved, usedTokens: used)
    }
}

extension HTTPField.Name {
    static let rateLimitLimitRequests = Self("x-ratelimit-limit-requests")!
    static let rateLimitRemainingRequests = Self("x-ratelimit-remaining-requests")!
    static let rateLimitResetRequests = Self("x-ratelimit-reset-requests")!
    static let rateLimitLimitTokens = Self("x-ratelimit-limit-tokens")!
    static let rateLimitRemainingTokens = Self("x-ratelimit-remaining-tokens")!
    static let rateLimitResetTokens = Self("x-ratelimit-reset-tokens")!
}
