/// The recent outcomes of one deployment, for the error rate of its circuit breaker.
///
/// Either the last `n` outcomes (a ring), or the outcomes of the last `duration` (12 buckets, so
/// an outcome counts for between 11/12 and 12/12 of the duration). Storage is allocated once.
struct OutcomeWindow: Sendable, Equatable {
    private enum Storage: Sendable, Equatable {
        case ring(outcomes: [Bool], next: Int, filled: Int, failures: Int)
        case timed(requests: RollingCounter, failures: RollingCounter)
    }

    private var storage: Storage

    static let bucketsPerDuration = 12

    init(_ window: ErrorRateWindow) {
        switch window {
        case .requests(let count):
            self.storage = .ring(
                outcomes: Array(repeating: false, count: max(1, count)),
                next: 0,
                filled: 0,
                failures: 0
            )
        case .duration(let duration):
            self.storage = .timed(
                requests: RollingCounter(window: duration, bucketCount: Self.bucketsPerDuration),
                failures: RollingCounter(window: duration, bucketCount: Self.bucketsPerDuration)
            )
        }
    }

    /// Records one outcome at `time` (nanoseconds on the owner's timeline).
    mutating func record(failed: Bool, at time: Int64) {
        switch self.storage {
        case .ring(var outcomes, let next, let filled, var failures):
            // Take the array out of the enum so that the write below does not copy it.
            self.storage = .ring(outcomes: [], next: 0, filled: 0, failures: 0)
            if filled == outcomes.count, outcomes[next] { failures -= 1 }
            outcomes[next] = failed
            if failed { failures += 1 }
            self.storage = .ring(
                outcomes: outcomes,
                next: (next + 1) % outcomes.count,
                filled: min(filled + 1, outcomes.count),
                failures: failures
            )
        case .timed(var requests, var failures):
            self.storage = .ring(outcomes: [], next: 0, filled: 0, failures: 0)
            requests.add(1, at: time)
            if failed { failures.add(1, at: time) }
            self.storage = .timed(requests: requests, failures: failures)
        }
    }

    /// Requests and failures in the window at `time`.
    /// A request already counted as a success turned out to have failed (a stream cut after its
    /// first token): in a timed window one more failure among the same requests; in a count
    /// window, a failed outcome.
    mutating func recordLateFailure(at time: Int64) {
        switch self.storage {
        case .ring:
            self.record(failed: true, at: time)
        case .timed(let requests, var failures):
            self.storage = .ring(outcomes: [], next: 0, filled: 0, failures: 0)
            failures.add(1, at: time)
            self.storage = .timed(requests: requests, failures: failures)
        }
    }

    func counts(at time: Int64) -> (requests: Int, failures: Int) {
        switch self.storage {
        case .ring(_, _, let filled, let failures):
            (filled, failures)
        case .timed(let requests, let failures):
            (requests.sum(at: time), failures.sum(at: time))
        }
    }

    /// Forgets every outcome.
    mutating func reset() {
        switch self.storage {
        case .ring(var outcomes, _, _, _):
            self.storage = .ring(outcomes: [], next: 0, filled: 0, failures: 0)
            for index in outcomes.indices { outcomes[index] = false }
            self.storage = .ring(outcomes: outcomes, next: 0, filled: 0, failures: 0)
        case .timed(var requests, var failures):
            self.storage = .ring(outcomes: [], next: 0, filled: 0, failures: 0)
            requests.reset()
            failures.reset()
            self.storage = .timed(requests: requests, failures: failures)
        }
    }
}
