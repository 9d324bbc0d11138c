/// The life of one alert (one rule, one group): inactive → pending → firing → resolved.
///
/// A pure value (STYLE C5): ``conditionEvaluated(holds:now:pendingFor:)`` takes the instant and
/// returns what to notify; the owner sends it. Each transition into firing or out of it returns
/// one notification and staying in a state returns none, so receivers are never told twice.
///
/// - The condition must hold for `pendingFor` (checked at evaluations) before the alert fires;
///   with zero it fires at the first evaluation that holds.
/// - A pending alert whose condition stops holding goes back to inactive without a word.
/// - A resolved alert whose condition holds again starts pending anew.
public struct AlertStateMachine: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case inactive
        /// The condition has held since `since` (µs).
        case pending(since: Int64)
        /// Firing since `since`.
        case firing(since: Int64)
        /// Resolved at `at` after firing since `firedAt`.
        case resolved(firedAt: Int64, at: Int64)
    }

    public enum Action: Sendable, Equatable {
        case none
        case notifyFiring(since: Int64)
        case notifyResolved(firedAt: Int64, at: Int64)
    }

    public private(set) var state: State = .inactive

    public init() {}

    /// Feeds one evaluation of the rule's condition at `now` (µs).
    public mutating func conditionEvaluated(holds: Bool, now: Int64, pendingFor: Int64) -> Action {
        switch (self.state, holds) {
        case (.inactive, true), (.resolved, true):
            if pendingFor <= 0 {
                self.state = .firing(since: now)
                return .notifyFiring(since: now)
            }
            self.state = .pending(since: now)
            return .none
        case (.pending(let since), true):
            guard now - since >= pendingFor else { return .none }
            self.state = .firing(since: now)
            return .notifyFiring(since: now)
        case (.pending, false):
            self.state = .inactive
            return .none
        case (.firing, true), (.inactive, false), (.resolved, false):
            return .none
        case (.firing(let since), false):
            self.state = .resolved(firedAt: since, at: now)
            return .notifyResolved(firedAt: since, at: now)
        }
    }

    /// Whether the machine can be forgotten when its group has no data: nothing is in flight.
    var isQuiet: Bool {
        switch self.state {
        case .inactive, .resolved: true
        case .pending, .firing: false
        }
    }
}
