/// A sum over a sliding window of fixed-width buckets, on a timeline of nanoseconds.
///
/// An amount added at `t` is counted while `t`'s bucket is one of the newest `bucketCount`
/// buckets: for at least `window − bucketWidth` and at most `window`. Storage is allocated once;
/// adding and reading never allocate. Times before zero count as zero.
struct RollingCounter: Sendable, Equatable {
    private var buckets: [Int]
    private let bucketNanos: Int64
    /// Absolute index of the newest bucket written (`time / bucketNanos`).
    private var newest: Int64 = 0
    private var total: Int = 0

    init(window: Duration, bucketCount: Int) {
        precondition(bucketCount > 0, "a rolling counter needs at least one bucket")
        self.buckets = Array(repeating: 0, count: bucketCount)
        self.bucketNanos = max(1, RoutingTime.nanoseconds(window) / Int64(bucketCount))
    }

    private var count: Int64 { Int64(self.buckets.count) }

    private func bucket(of time: Int64) -> Int64 { max(0, time) / self.bucketNanos }

    private func slot(_ bucket: Int64) -> Int { Int(bucket % self.count) }

    /// The sum of what was added in the window that ends at `time`.
    func sum(at time: Int64) -> Int {
        let current = self.bucket(of: time)
        if current <= self.newest { return self.total }
        if current - self.newest >= self.count { return 0 }
        var sum = self.total
        // Buckets newest-count+1 … current-count have left the window.
        var expired = self.newest - self.count + 1
        while expired <= current - self.count {
            if expired >= 0 { sum -= self.buckets[self.slot(expired)] }
            expired += 1
        }
        return sum
    }

    /// Adds `amount` at `time`. A time older than the newest bucket lands in the newest bucket.
    mutating func add(_ amount: Int, at time: Int64) {
        self.advance(to: time)
        self.buckets[self.slot(self.newest)] += amount
        self.total += amount
    }

    /// Changes what was added at `addedAt` by `delta`, if that bucket is still in the window;
    /// otherwise does nothing. A bucket never goes below zero.
    mutating func correct(by delta: Int, addedAt: Int64, now: Int64) {
        self.advance(to: now)
        let bucket = min(self.bucket(of: addedAt), self.newest)
        guard bucket > self.newest - self.count else { return }
        let slot = self.slot(bucket)
        let applied = max(delta, -self.buckets[slot])
        self.buckets[slot] += applied
        self.total += applied
    }

    /// When the oldest non-empty bucket of the window that ends at `time` leaves it, or `nil`
    /// when the window is empty.
    func oldestExpiry(at time: Int64) -> Int64? {
        let current = max(self.bucket(of: time), self.newest)
        var bucket = max(0, current - self.count + 1)
        while bucket <= self.newest {
            if self.buckets[self.slot(bucket)] > 0 { return (bucket + self.count) * self.bucketNanos }
            bucket += 1
        }
        return nil
    }

    /// Empties the window.
    mutating func reset() {
        for index in self.buckets.indices { self.buckets[index] = 0 }
        self.total = 0
    }

    private mutating func advance(to time: Int64) {
        let current = self.bucket(of: time)
        guard current > self.newest else { return }
        if current - self.newest >= self.count {
            self.reset()
        } else {
            var bucket = self.newest + 1
            while bucket <= current {
                let slot = self.slot(bucket)
                self.total -= self.buckets[slot]
                self.buckets[slot] = 0
                bucket += 1
            }
        }
        self.newest = current
    }
}

/// Conversions between `Duration` and the integer nanosecond timelines of the routing state.
enum RoutingTime {
    /// Whole nanoseconds, rounded toward zero.
    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Nanoseconds from `origin` to `instant`, zero when `instant` is earlier.
    static func offset<Instant: InstantProtocol>(of instant: Instant, from origin: Instant) -> Int64
    where Instant.Duration == Duration {
        max(0, Self.nanoseconds(origin.duration(to: instant)))
    }
}
