import KeelCore
import Testing

@Suite("RetryPolicy")
struct RetryPolicyTests {
    struct FixedGenerator: RandomNumberGenerator {
        mutating func next() -> UInt64 { .max / 2 }
    }

    @Test func clientErrorsStopAndRetryableErrorsBackOffWithinTheCeiling() {
        let policy = RetryPolicy(maxRetries: 2, initialBackoff: .milliseconds(100), maxBackoff: .milliseconds(150), maxRetryAfter: .seconds(5))
        var generator = FixedGenerator()
        #expect(policy.decision(after: .invalidRequest("x"), retry: 0, using: &generator) == .stop)
        #expect(policy.decision(after: .upstreamRejected(status: 400, message: "x"), retry: 0, using: &generator) == .stop)
        guard case .retry(let first) = policy.decision(after: .upstreamUnavailable(status: 503), retry: 0, using: &generator) else {
            Issue.record("expected a retry")
            return
        }
        #expect(first >= .zero && first <= .milliseconds(100))
        guard case .retry(let second) = policy.decision(after: .upstreamTimeout("idle"), retry: 1, using: &generator) else {
            Issue.record("expected a retry")
            return
        }
        #expect(second <= .milliseconds(150))
        #expect(policy.decision(after: .upstreamUnavailable(status: 503), retry: 2, using: &generator) == .nextRoute)
    }

    @Test func retryAfterIsHonouredUpToTheLimit() {
        let policy = RetryPolicy(maxRetries: 3, maxRetryAfter: .seconds(5))
        var generator = SystemRandomNumberGenerator()
        #expect(policy.decision(after: .upstreamRateLimited(retryAfterSeconds: 2), retry: 0, using: &generator) == .retry(after: .seconds(2)))
        #expect(policy.decision(after: .upstreamRateLimited(retryAfterSeconds: 30), retry: 0, using: &generator) == .nextRoute)
    }

    @Test func errorsMapToOpenAIStatuses() {
        #expect(KeelError.invalidRequest("x").httpStatus == 400)
        #expect(KeelError.unauthenticated().httpStatus == 401)
        #expect(KeelError.modelNotFound("m").httpStatus == 404)
        #expect(KeelError.payloadTooLarge(limit: 1).httpStatus == 413)
        #expect(KeelError.upstreamRateLimited(retryAfterSeconds: nil).httpStatus == 429)
        #expect(KeelError.upstreamRejected(status: 401, message: "x").httpStatus == 502)
        #expect(KeelError.upstreamRejected(status: 422, message: "x").httpStatus == 422)
        #expect(KeelError.upstreamTimeout("idle").httpStatus == 504)
        #expect(KeelError.modelNotFound("m\"x").openAIBody.contains(#"m\"x"#))
    }
}
