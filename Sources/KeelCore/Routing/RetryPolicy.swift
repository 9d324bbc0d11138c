/// When to try an upstream request again, and after how long.
///
/// Pure value: the router asks it after each failed attempt and sleeps for the answer.
public struct RetryPolicy: Sendable, Equatable {
    /// Retries on the same route after the first attempt.
    public var maxRetries: Int
    public var initialBackoff: Duration
    public var maxBackoff: Duration
    /// A `retry-after` longer than this is not waited for: the router moves to the next route.
    public var maxRetryAfter: Duration

    public init(maxRetries: Int = 2, initialBackoff: Duration = .milliseconds(100), maxBackoff: Duration = .seconds(2), maxRetryAfter: Duration = .seconds(10)) {
        self.maxRetries = maxRetries
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.maxRetryAfter = maxRetryAfter
    }

    /// What to do after `error` on attempt `retry` (0 for the first attempt) of one route.
    public enum Decision: Sendable, Equatable {
        /// Try the same route again after this delay.
        case retry(after: Duration)
        /// Give up on this route; the next route or fallback model may still succeed.
        case nextRoute
        /// The request itself is at fault: no other upstream will do better.
        case stop
    }

    public func decision<Generator: RandomNumberGenerator>(after error: KeelError, retry: Int, using generator: inout Generator) -> Decision {
        guard error.isRetryable else { return .stop }
        guard retry < self.maxRetries else { return .nextRoute }
        if let seconds = error.retryAfterSeconds {
            let wait = Duration.milliseconds(Int64((seconds * 1_000).rounded(.up)))
            return wait <= self.maxRetryAfter ? .retry(after: wait) : .nextRoute
        }
        // Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter").
        let ceiling = min(self.maxBackoff, self.initialBackoff * (1 << min(retry, 20)))
        let ceilingMicros = max(0, ceiling.microseconds)
        return .retry(after: .microseconds(ceilingMicros == 0 ? 0 : Int64.random(in: 0...ceilingMicros, using: &generator)))
    }
}

extension Duration {
    /// The duration in whole microseconds.
    public var microseconds: Int64 {
        let (seconds, attoseconds) = self.components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
