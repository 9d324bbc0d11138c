import KeelCore
import Testing

/// Budget run-out projection.
@Suite("Budget exhaustion")
struct BudgetExhaustionTests {
    @Test("Projects minutes until the limit at the current rate")
    func projection() {
        let budget = BudgetExhaustion(spent: 700, limit: 1000, ratePerMinute: 0.25)
        #expect(budget.minutesUntilExhaustion == 1200)
        #expect(budget.isProjectedToRunOut(withinMinutes: 24 * 60))
        #expect(!budget.isProjectedToRunOut(withinMinutes: 600))
    }

    @Test("Never, already exhausted, and after the period reset")
    func edges() {
        #expect(BudgetExhaustion(spent: 10, limit: 100, ratePerMinute: 0).minutesUntilExhaustion == nil)
        #expect(BudgetExhaustion(spent: 120, limit: 100, ratePerMinute: 1).minutesUntilExhaustion == 0)
        #expect(
            BudgetExhaustion(spent: 0, limit: 100, ratePerMinute: 1, minutesLeftInPeriod: 50).minutesUntilExhaustion
                == nil
        )
        #expect(
            BudgetExhaustion(spent: 0, limit: 100, ratePerMinute: 1, minutesLeftInPeriod: 150).minutesUntilExhaustion
                == 100
        )
        #expect(BudgetExhaustion(spent: .nan, limit: 100, ratePerMinute: 1).minutesUntilExhaustion == nil)
    }

    @Test("Robust rate ignores a single burst minute")
    func robustRate() {
        var minutes = Array(repeating: 0.10, count: 59)
        minutes.append(50)  // one runaway minute
        let rate = BudgetExhaustion.robustRate(recentMinuteCosts: minutes)
        #expect(abs(rate - 0.10) < 1e-12)
        #expect(BudgetExhaustion.robustRate(recentMinuteCosts: []) == 0)
        #expect(BudgetExhaustion.robustRate(recentMinuteCosts: [1, 2, 3]) == 2)
    }
}
