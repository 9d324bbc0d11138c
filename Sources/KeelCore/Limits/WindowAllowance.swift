/// One instance's share of one limit (requests or tokens) of one rule in the current window: a
/// pure state machine, owned under a lock by the rate limiter.
///
/// Capacity comes in *slices* granted by the database, which never grants more than the limit
/// to all instances together in one window. Admission spends the local ``balance`` and asks for
/// another slice (``Take/refill(amount:)``) only when the balance runs out, so the hot path
/// touches memory alone. When the database grants less than asked, the window is
/// ``exhausted``: the instance refuses without asking again until the window ends.
///
/// Times are window starts in Unix seconds. An event for an older window than the current one is
/// ignored (its capacity can no longer be used); one for a newer window starts it afresh.
public struct WindowAllowance: Sendable, Equatable {
    /// The limit per window, for every instance together.
    public private(set) var limit: Int
    /// How much to ask the database for at a time.
    public private(set) var sliceSize: Int
    public private(set) var windowStart: Int64
    /// Granted to this instance in this window and not used; negative when real usage went past
    /// what was reserved and no more could be granted.
    public private(set) var balance: Int = 0
    /// Granted to all instances together in this window, as the database last said.
    public private(set) var grantedTotal: Int = 0
    /// Used by this instance in this window.
    public private(set) var used: Int = 0
    /// The database has granted all of this window's capacity.
    public private(set) var exhausted = false

    /// What ``take(_:windowStart:)`` decided.
    public enum Take: Sendable, Equatable {
        /// Taken from the balance.
        case taken
        /// The balance is short: ask the database for `amount`, then take again.
        case refill(amount: Int)
        /// No capacity is left in this window.
        case refused
        /// More than the whole limit: it can never be admitted.
        case tooLarge
    }

    /// - Parameter sliceFraction: the share of the limit asked for at a time (at least 1).
    public init(limit: Int, sliceFraction: Double, windowStart: Int64) {
        self.limit = limit
        self.sliceSize = Self.sliceSize(limit: limit, fraction: sliceFraction)
        self.windowStart = windowStart
    }

    /// `limit × fraction`, rounded up, at least 1 and at most the limit.
    public static func sliceSize(limit: Int, fraction: Double) -> Int {
        let size = (Double(limit) * fraction).rounded(.up)
        return max(1, min(limit, size.isFinite ? Int(size) : limit))
    }

    /// What this instance knows is left in the window: the limit less what was granted to all
    /// instances, plus its own unused balance.
    public var remaining: Int {
        max(0, min(self.limit, self.limit - self.grantedTotal + self.balance))
    }

    /// Unused capacity held beyond two slices, which should go back to the database so other
    /// instances can use it; 0 when there is none.
    public var surplus: Int {
        self.balance > 2 * self.sliceSize ? self.balance - self.sliceSize : 0
    }

    /// Applies a changed limit (the rule was edited); what was granted stays granted.
    public mutating func setLimit(_ limit: Int, sliceFraction: Double) {
        guard limit != self.limit else { return }
        self.limit = limit
        self.sliceSize = Self.sliceSize(limit: limit, fraction: sliceFraction)
        self.exhausted = self.grantedTotal >= limit
    }

    /// Moves to `windowStart` when it is newer; returns whether the event is for the current window.
    private mutating func enter(_ windowStart: Int64) -> Bool {
        if windowStart > self.windowStart {
            self.windowStart = windowStart
            self.balance = 0
            self.grantedTotal = 0
            self.used = 0
            self.exhausted = false
        }
        return windowStart == self.windowStart
    }

    /// Takes `amount` from the balance, or says what to do instead.
    public mutating func take(_ amount: Int, windowStart: Int64) -> Take {
        guard self.enter(windowStart) else { return .refused }
        if amount > self.limit { return .tooLarge }
        if self.balance >= amount {
            self.balance -= amount
            self.used += amount
            return .taken
        }
        if self.exhausted { return .refused }
        return .refill(amount: max(self.sliceSize, amount - self.balance))
    }

    /// Adds what the database granted after it was asked for `asked`: `granted` (less than
    /// asked when the window ran dry; negative when capacity was given back) and the total now
    /// granted to all instances.
    public mutating func receive(granted: Int, asked: Int, total: Int, windowStart: Int64) {
        guard self.enter(windowStart) else { return }
        self.balance += granted
        self.grantedTotal = total
        if asked > 0 && granted < asked { self.exhausted = true }
    }

    /// Takes the ``surplus`` out of the balance and returns it, for the owner to give back to
    /// the database; 0 when there is none.
    public mutating func releaseSurplus() -> Int {
        let surplus = self.surplus
        self.balance -= surplus
        return surplus
    }

    /// Records the total granted to all instances, as the database said after a give-back.
    public mutating func noteTotal(_ total: Int, windowStart: Int64) {
        guard windowStart == self.windowStart else { return }
        self.grantedTotal = total
    }

    /// Gives back `amount` taken earlier in `windowStart` and not used (a refused sibling rule, a
    /// reservation larger than the real usage). Nothing happens once that window has ended.
    public mutating func refund(_ amount: Int, windowStart: Int64) {
        guard amount > 0, windowStart == self.windowStart else { return }
        self.balance += amount
        self.used -= amount
    }

    /// Charges `amount` used beyond what was reserved to the window of `windowStart` (the current
    /// one). Returns how much to ask the database for to cover a negative balance, or 0.
    public mutating func charge(_ amount: Int, windowStart: Int64) -> Int {
        guard amount > 0, self.enter(windowStart) else { return 0 }
        self.balance -= amount
        self.used += amount
        return self.balance < 0 && !self.exhausted ? -self.balance : 0
    }

    /// Seconds from `unixMicros` until the window ends (at least 1).
    public func secondsToReset(windowSeconds: Int, at unixMicros: Int64) -> Double {
        let end = (self.windowStart + Int64(windowSeconds)) * 1_000_000
        return max(0.001, Double(end - unixMicros) / 1_000_000)
    }
}
