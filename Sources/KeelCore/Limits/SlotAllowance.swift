/// One instance's share of a rule's concurrency limit: the slots it leases from the database and
/// how many of them requests in flight use. A pure state machine, owned under a lock.
///
/// The database keeps one lease per instance with an expiry; the sum of live leases never
/// exceeds the limit, and a lease that is not renewed (a dead instance) expires and frees its
/// slots. Admission uses a leased slot when one is free and asks for ``Acquire/lease(target:)``
/// otherwise; after a refused lease it does not ask again for ``retryDelayMicros``, so a flood of
/// refused requests does not become a flood of database calls.
public struct SlotAllowance: Sendable, Equatable {
    public private(set) var limit: Int
    public private(set) var sliceSize: Int
    /// Slots leased to this instance.
    public private(set) var held = 0
    /// Requests admitted and not finished.
    public private(set) var inFlight = 0
    /// Until when (Unix µs) a refused lease is not asked for again.
    public private(set) var retryAt: Int64 = 0
    public let retryDelayMicros: Int64

    public enum Acquire: Sendable, Equatable {
        case taken
        /// Ask the database to lease this instance `target` slots in all, then acquire again.
        case lease(target: Int)
        case refused
    }

    public init(limit: Int, sliceFraction: Double, retryDelayMicros: Int64 = 50_000) {
        self.limit = limit
        self.sliceSize = WindowAllowance.sliceSize(limit: limit, fraction: sliceFraction)
        self.retryDelayMicros = retryDelayMicros
    }

    public mutating func setLimit(_ limit: Int, sliceFraction: Double) {
        self.limit = limit
        self.sliceSize = WindowAllowance.sliceSize(limit: limit, fraction: sliceFraction)
    }

    public mutating func acquire(now: Int64) -> Acquire {
        if self.inFlight < min(self.held, self.limit) {
            self.inFlight += 1
            return .taken
        }
        if now < self.retryAt || self.inFlight >= self.limit { return .refused }
        return .lease(target: min(self.limit, self.inFlight + self.sliceSize))
    }

    /// Records the slots the database now leases to this instance, after asking for `target`.
    public mutating func receive(held: Int, target: Int, now: Int64) {
        self.held = held
        if held < target && held <= self.inFlight { self.retryAt = now + self.retryDelayMicros }
    }

    /// A request finished.
    public mutating func release() {
        self.inFlight = max(0, self.inFlight - 1)
    }

    /// Gives back a slot acquired and not used after all (a sibling rule refused).
    public mutating func cancel() {
        self.release()
    }

    /// The lease to keep: what is in flight plus one slice, when more than that is held.
    public var trimmedTarget: Int? {
        let keep = min(self.held, self.inFlight + self.sliceSize)
        return keep < self.held ? keep : nil
    }

    /// Lowers ``held`` to ``trimmedTarget`` at once (before the database hears of it, so no
    /// request is admitted on the slots being given back) and returns the new lease; `nil` when
    /// there is nothing to trim.
    public mutating func beginTrim() -> Int? {
        guard let target = self.trimmedTarget else { return nil }
        self.held = target
        return target
    }

    /// Whether idle slots are at least two slices, worth giving back at once.
    public var holdsIdleSurplus: Bool {
        self.held - self.inFlight >= 2 * self.sliceSize
    }
}
