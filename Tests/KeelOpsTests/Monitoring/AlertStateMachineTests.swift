import KeelOps
import Testing

@Suite("AlertStateMachine")
struct AlertStateMachineTests {
    @Test func waitsForItsPendingDurationThenFiresOnce() {
        var machine = AlertStateMachine()
        #expect(machine.conditionEvaluated(holds: true, now: 0, pendingFor: 30) == .none)
        #expect(machine.state == .pending(since: 0))
        #expect(machine.conditionEvaluated(holds: true, now: 29, pendingFor: 30) == .none)
        #expect(machine.conditionEvaluated(holds: true, now: 30, pendingFor: 30) == .notifyFiring(since: 30))
        #expect(machine.conditionEvaluated(holds: true, now: 40, pendingFor: 30) == .none)
        #expect(machine.conditionEvaluated(holds: true, now: 50, pendingFor: 30) == .none)
        #expect(machine.conditionEvaluated(holds: false, now: 60, pendingFor: 30) == .notifyResolved(firedAt: 30, at: 60))
        #expect(machine.conditionEvaluated(holds: false, now: 70, pendingFor: 30) == .none)
        #expect(machine.state == .resolved(firedAt: 30, at: 60))
    }

    @Test func aConditionThatStopsHoldingWhilePendingNeverNotifies() {
        var machine = AlertStateMachine()
        #expect(machine.conditionEvaluated(holds: true, now: 0, pendingFor: 30) == .none)
        #expect(machine.conditionEvaluated(holds: false, now: 20, pendingFor: 30) == .none)
        #expect(machine.state == .inactive)
        // Pending starts anew: 30 after 25, not after 0.
        #expect(machine.conditionEvaluated(holds: true, now: 25, pendingFor: 30) == .none)
        #expect(machine.conditionEvaluated(holds: true, now: 50, pendingFor: 30) == .none)
        #expect(machine.conditionEvaluated(holds: true, now: 55, pendingFor: 30) == .notifyFiring(since: 55))
    }

    @Test func withoutPendingDurationItFiresAtOnceAndCanFireAgainAfterResolving() {
        var machine = AlertStateMachine()
        #expect(machine.conditionEvaluated(holds: false, now: 0, pendingFor: 0) == .none)
        #expect(machine.conditionEvaluated(holds: true, now: 10, pendingFor: 0) == .notifyFiring(since: 10))
        #expect(machine.conditionEvaluated(holds: false, now: 20, pendingFor: 0) == .notifyResolved(firedAt: 10, at: 20))
        #expect(machine.conditionEvaluated(holds: true, now: 30, pendingFor: 0) == .notifyFiring(since: 30))
    }
}
