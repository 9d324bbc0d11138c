import KeelCore
import Testing

@Suite("Rate-limit windows and slots")
struct RateLimitAllowanceTests {
    @Test func aWindowSpendsItsSliceThenAsksForAnotherAndRefusesOnceTheDatabaseRunsDry() {
        var window = WindowAllowance(limit: 25, sliceFraction: 0.1, windowStart: 60)
        #expect(window.sliceSize == 3)
        #expect(window.take(1, windowStart: 60) == .refill(amount: 3))
        window.receive(granted: 3, asked: 3, total: 3, windowStart: 60)
        for _ in 0..<3 { #expect(window.take(1, windowStart: 60) == .taken) }
        #expect(window.take(1, windowStart: 60) == .refill(amount: 3))
        // Other instances took the rest: only 1 of 3 is granted, and the window is dry.
        window.receive(granted: 1, asked: 3, total: 25, windowStart: 60)
        #expect(window.exhausted)
        #expect(window.take(1, windowStart: 60) == .taken)
        #expect(window.take(1, windowStart: 60) == .refused)
        #expect(window.used == 4 && window.remaining == 0)
        // The next window starts afresh.
        #expect(window.take(1, windowStart: 120) == .refill(amount: 3))
        #expect(!window.exhausted && window.used == 0)
    }

    @Test func aLargeDemandAsksForWhatItLacksAndOneLargerThanTheLimitIsTooLarge() {
        var window = WindowAllowance(limit: 1_000, sliceFraction: 0.1, windowStart: 0)
        window.receive(granted: 100, asked: 100, total: 100, windowStart: 0)
        #expect(window.take(450, windowStart: 0) == .refill(amount: 350))
        #expect(window.take(1_001, windowStart: 0) == .tooLarge)
    }

    @Test func refundsReturnUnusedTokensOnlyWhileTheirWindowIsOpenAndChargesMayGoIntoDebt() {
        var window = WindowAllowance(limit: 100, sliceFraction: 0.5, windowStart: 0)
        window.receive(granted: 50, asked: 50, total: 50, windowStart: 0)
        #expect(window.take(40, windowStart: 0) == .taken)
        window.refund(30, windowStart: 0)
        #expect(window.balance == 40 && window.used == 10)
        #expect(window.remaining == 90)
        // Real usage beyond the reservation: the balance goes negative and asks to be covered.
        #expect(window.charge(55, windowStart: 0) == 15)
        #expect(window.balance == -15 && window.used == 65)
        window.receive(granted: 15, asked: 15, total: 65, windowStart: 0)
        #expect(window.balance == 0)
        // A refund for an ended window does nothing.
        _ = window.take(1, windowStart: 60)
        window.refund(30, windowStart: 0)
        #expect(window.balance == 0 && window.windowStart == 60)
    }

    @Test func surplusBeyondTwoSlicesIsReleasedDownToOneSlice() {
        var window = WindowAllowance(limit: 100, sliceFraction: 0.1, windowStart: 0)
        window.receive(granted: 40, asked: 40, total: 40, windowStart: 0)
        #expect(window.surplus == 30)
        #expect(window.releaseSurplus() == 30)
        #expect(window.balance == 10 && window.releaseSurplus() == 0)
        window.noteTotal(10, windowStart: 0)
        #expect(window.remaining == 100)
    }

    @Test func slotsAreUsedWhileHeldLeasedInSlicesAndNotAskedForAgainRightAfterARefusal() {
        var slots = SlotAllowance(limit: 4, sliceFraction: 0.5, retryDelayMicros: 1_000)
        #expect(slots.acquire(now: 0) == .lease(target: 2))
        slots.receive(held: 2, target: 2, now: 0)
        #expect(slots.acquire(now: 0) == .taken)
        #expect(slots.acquire(now: 0) == .taken)
        #expect(slots.acquire(now: 0) == .lease(target: 4))
        // Another instance holds the other two.
        slots.receive(held: 2, target: 4, now: 10)
        #expect(slots.acquire(now: 500) == .refused)
        #expect(slots.acquire(now: 1_010) == .lease(target: 4))
        slots.release()
        #expect(slots.acquire(now: 1_010) == .taken)
        slots.release()
        slots.release()
        #expect(slots.inFlight == 0 && slots.trimmedTarget == nil)
        slots.receive(held: 4, target: 4, now: 2_000)
        #expect(slots.holdsIdleSurplus)
        #expect(slots.beginTrim() == 2)
        #expect(slots.held == 2)
    }

    @Test func slotsNeverExceedTheLimitEvenWhenMoreAreHeld() {
        var slots = SlotAllowance(limit: 2, sliceFraction: 1)
        slots.receive(held: 3, target: 3, now: 0)
        #expect(slots.acquire(now: 0) == .taken)
        #expect(slots.acquire(now: 0) == .taken)
        #expect(slots.acquire(now: 0) == .refused)
    }

    @Test func rulesCoverRequestsByEveryScopeTheyNameAndWindowsAlignToTheEpoch() {
        let rule = RateLimitRule(id: "r", keyID: "k1", model: "gpt", requestsPerWindow: 1, windowSeconds: 60)
        #expect(rule.covers(keyID: "k1", teamID: "t", model: "gpt"))
        #expect(!rule.covers(keyID: "k1", teamID: "t", model: "other"))
        #expect(!rule.covers(keyID: "k2", teamID: "t", model: "gpt"))
        #expect(!rule.covers(keyID: nil, teamID: nil, model: "gpt"))
        #expect(rule.windowStart(at: 125_500_000) == 120)
        #expect(RateLimitRule(id: "x", teamID: "t").problem != nil)
        #expect(RateLimitRule(id: "x", requestsPerWindow: 1).problem != nil)
        #expect(RateLimitRule(id: "x", teamID: "t", requestsPerWindow: 0).problem != nil)
        #expect(RateLimitRule(id: "x", teamID: "t", requestsPerWindow: 1, windowSeconds: 0).problem != nil)
        #expect(rule.problem == nil)
    }

    @Test(arguments: [
        (0.0004, "1ms"), (0.02, "20ms"), (1.0, "1s"), (8.64, "8.64s"), (59.9991, "1m0s"), (360.0, "6m0s"),
        (90.5, "1m30.5s"), (3_723.0, "1h2m3s"), (7_200.0, "2h0m0s"),
    ])
    func resetsAreWrittenAsOpenAIWritesThem(seconds: Double, text: String) {
        #expect(RateLimitReset.text(seconds: seconds) == text)
    }
}
