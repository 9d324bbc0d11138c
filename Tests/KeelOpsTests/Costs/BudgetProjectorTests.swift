import Foundation
import KeelCore
import KeelOps
import Testing

@Suite("Budget projection: calendar periods, period-end spend, exhaustion day")
struct BudgetProjectorTests {
    private static let dollar: Int64 = 1_000_000_000

    private static var berlin: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Berlin")!
        calendar.firstWeekday = 2
        return calendar
    }

    private static func instant(_ text: String) -> Date {
        try! Date(text, strategy: .iso8601)
    }

    private static func dollars(_ amount: Double) -> USDNanos { USDNanos(Int64((amount * 1e9).rounded())) }

    /// Four weeks of exactly $10 a day: the forecast is $10 a day with no spread.
    private static let flatHistory = [USDNanos](repeating: USDNanos(10 * dollar), count: 28)

    @Test func monthlyPeriodsRunFromLocalMidnightToLocalMidnightAcrossDaylightSaving() {
        let march = BudgetCycle.monthly.period(containing: Self.instant("2025-03-15T12:00:00Z"), in: Self.berlin)
        #expect(march.start == Self.instant("2025-02-28T23:00:00Z"))  // 1 March, CET
        #expect(march.end == Self.instant("2025-03-31T22:00:00Z"))  // 1 April, CEST
        #expect(march.duration == 31 * 86_400 - 3_600)

        let february = BudgetCycle.monthly.period(containing: Self.instant("2024-02-29T22:59:59Z"), in: Self.berlin)
        #expect(february.start == Self.instant("2024-01-31T23:00:00Z"))
        #expect(february.end == Self.instant("2024-02-29T23:00:00Z"))  // a leap year
        let nextMonth = BudgetCycle.monthly.period(containing: Self.instant("2024-02-29T23:00:00Z"), in: Self.berlin)
        #expect(nextMonth.start == february.end)
    }

    @Test func weeklyPeriodsStartOnTheCalendarsFirstWeekdayAcrossMonthEnds() {
        let week = BudgetCycle.weekly.period(containing: Self.instant("2025-04-30T10:00:00Z"), in: Self.berlin)
        #expect(week.start == Self.instant("2025-04-27T22:00:00Z"))  // Monday 28 April
        #expect(week.end == Self.instant("2025-05-04T22:00:00Z"))  // Monday 5 May
        let autumn = BudgetCycle.weekly.period(containing: Self.instant("2025-10-25T12:00:00Z"), in: Self.berlin)
        #expect(autumn.duration == 7 * 86_400 + 3_600)  // the week the clocks go back
        let day = BudgetCycle.daily.period(containing: Self.instant("2025-03-30T12:00:00Z"), in: Self.berlin)
        #expect(day.duration == 23 * 3_600)
    }

    @Test func periodEndSpendCountsTheRestOfTodayAndEveryLocalDayLeftAcrossASpringForward() throws {
        let period = BudgetCycle.monthly.period(containing: Self.instant("2025-03-29T11:00:00Z"), in: Self.berlin)
        let status = BudgetStatus(
            limit: USDNanos(220 * Self.dollar),
            period: period,
            spentInPeriod: USDNanos(200 * Self.dollar),
            spentToday: USDNanos(5 * Self.dollar)
        )
        // Saturday 29 March, 12:00 in Berlin: half of today is left, then 30 March (23 hours) and 31 March.
        let projection = BudgetProjector(calendar: Self.berlin)
            .project(status, dailyHistory: Self.flatHistory, now: Self.instant("2025-03-29T11:00:00Z"))
        #expect(projection.remainingDays == 3)
        let spend = try #require(projection.projectedSpend)
        #expect(spend.point == USDNanos(225 * Self.dollar))
        #expect(spend.lower == spend.point && spend.upper == spend.point)
        // 200 + 5 (rest of the 29th) + 10 (30th) = 215 < 220; + 10 (31st) = 225: it runs out on the 31st.
        #expect(projection.exhaustionDay == Self.instant("2025-03-30T22:00:00Z"))
        #expect(projection.earliestExhaustionDay == projection.exhaustionDay)
    }

    @Test func theRestOfADaylightSavingDayIsMeasuredInItsOwnTwentyThreeHours() throws {
        let now = Self.instant("2025-03-30T10:00:00Z")  // 12:00 CEST; the day began at 23:00Z
        let period = BudgetCycle.monthly.period(containing: now, in: Self.berlin)
        let status = BudgetStatus(
            limit: USDNanos(1_000 * Self.dollar),
            period: period,
            spentInPeriod: .zero,
            spentToday: .zero
        )
        let projection = BudgetProjector(calendar: Self.berlin).project(
            status,
            dailyHistory: Self.flatHistory,
            now: now
        )
        #expect(projection.remainingDays == 2)
        let spend = try #require(projection.projectedSpend)
        // 12 of 23 hours are left today, then all of the 31st.
        let expected = 10e9 * 12 / 23 + 10e9
        #expect(abs(Double(spend.point.rawValue) - expected) <= 1)
        #expect(projection.exhaustionDay == nil && projection.earliestExhaustionDay == nil)
    }

    @Test(arguments: [
        (limit: 95.0, day: "2025-01-12T23:00:00Z"),  // 55 + 4 × 10 = 95 reaches the limit on 13 January
        (limit: 95.000000001, day: "2025-01-13T23:00:00Z"),  // one nano-dollar more: the 14th
        (limit: 65.0, day: "2025-01-09T23:00:00Z"),  // today
        (limit: 275.0, day: "2025-01-30T23:00:00Z"),  // exactly at the end: the last day, 31 January
    ])
    func theExhaustionDayIsTheFirstDayTheCumulativeForecastReachesTheLimit(limit: Double, day: String) {
        let now = Self.instant("2025-01-09T23:00:00Z")  // midnight starting 10 January in Berlin
        let period = BudgetCycle.monthly.period(containing: now, in: Self.berlin)
        let status = BudgetStatus(
            limit: Self.dollars(limit),
            period: period,
            spentInPeriod: Self.dollars(55),
            spentToday: .zero
        )
        let projection = BudgetProjector(calendar: Self.berlin).project(
            status,
            dailyHistory: Self.flatHistory,
            now: now
        )
        #expect(projection.remainingDays == 22)
        #expect(projection.projectedSpend?.point == Self.dollars(275))
        #expect(projection.exhaustionDay == Self.instant(day))
    }

    @Test func aBudgetThatLastsThePeriodHasNoExhaustionDay() {
        let now = Self.instant("2025-01-09T23:00:00Z")
        let period = BudgetCycle.monthly.period(containing: now, in: Self.berlin)
        let status = BudgetStatus(
            limit: Self.dollars(275.000000001),
            period: period,
            spentInPeriod: Self.dollars(55),
            spentToday: .zero
        )
        let projection = BudgetProjector(calendar: Self.berlin).project(
            status,
            dailyHistory: Self.flatHistory,
            now: now
        )
        #expect(projection.exhaustionDay == nil)
        #expect(projection.earliestExhaustionDay == nil)
        #expect(!projection.isExhausted)
    }

    @Test func theUpperBoundGivesAnExhaustionDayNoLaterThanThePointForecast() throws {
        let history = (0..<42).map { (t: Int) -> USDNanos in
            let wobble: Double = 3 * Double(t % 5) - 4 * Double(t % 3)
            let weekend: Double = t % 7 >= 5 ? -40 : 0
            return Self.dollars(100 + wobble + weekend)
        }
        let now = Self.instant("2025-06-10T08:00:00Z")
        let period = BudgetCycle.monthly.period(containing: now, in: Self.berlin)
        let status = BudgetStatus(
            limit: Self.dollars(2_400),
            period: period,
            spentInPeriod: Self.dollars(800),
            spentToday: Self.dollars(20)
        )
        let projection = BudgetProjector(calendar: Self.berlin).project(status, dailyHistory: history, now: now)
        let spend = try #require(projection.projectedSpend)
        #expect(spend.lower < spend.point && spend.point < spend.upper)
        let exhaustion = try #require(projection.exhaustionDay as Date?)
        let earliest = try #require(projection.earliestExhaustionDay as Date?)
        #expect(earliest <= exhaustion)
        #expect(earliest >= Self.instant("2025-06-09T22:00:00Z"))
        #expect(exhaustion < period.end)
        guard case .holtWinters = projection.forecast?.method else {
            Issue.record("six weeks of history give Holt–Winters")
            return
        }
    }

    @Test func withoutHistoryThereIsNoProjectionOnlyWhatIsKnown() {
        let now = Self.instant("2025-01-20T12:00:00Z")
        let period = BudgetCycle.monthly.period(containing: now, in: Self.berlin)
        let open = BudgetStatus(
            limit: Self.dollars(100),
            period: period,
            spentInPeriod: Self.dollars(40),
            spentToday: Self.dollars(40)
        )
        let projection = BudgetProjector(calendar: Self.berlin).project(open, dailyHistory: [], now: now)
        #expect(projection.projectedSpend == nil && projection.forecast == nil)
        #expect(projection.exhaustionDay == nil)

        let spent = BudgetStatus(
            limit: Self.dollars(100),
            period: period,
            spentInPeriod: Self.dollars(100),
            spentToday: Self.dollars(1)
        )
        let exhausted = BudgetProjector(calendar: Self.berlin).project(spent, dailyHistory: [], now: now)
        #expect(exhausted.isExhausted)
        #expect(exhausted.exhaustionDay == Self.instant("2025-01-19T23:00:00Z"))
        #expect(exhausted.earliestExhaustionDay == exhausted.exhaustionDay)
    }

    @Test func theHistoryIsAlignedToWeekdaysCountingBackFromToday() throws {
        // Weekdays $100, weekends $20, ending yesterday (Sunday 8 June 2025); today is Monday.
        let days = (0..<28).map { offset -> USDNanos in
            // 28 days before a Monday is a Monday: offset % 7 is 0 for Monday … 6 for Sunday.
            offset % 7 >= 5 ? Self.dollars(20) : Self.dollars(100)
        }
        let now = Self.instant("2025-06-08T22:00:00Z")  // Monday 9 June, 00:00 in Berlin
        let period = BudgetCycle.weekly.period(containing: now, in: Self.berlin)
        let status = BudgetStatus(limit: Self.dollars(10_000), period: period, spentInPeriod: .zero, spentToday: .zero)
        let projection = BudgetProjector(calendar: Self.berlin).project(status, dailyHistory: days, now: now)
        let forecast = try #require(projection.forecast)
        #expect(forecast.firstWeekday == 2)  // Monday
        #expect(forecast.days.map(\.point) == [100, 100, 100, 100, 100, 20, 20].map(Self.dollars))
        #expect(projection.projectedSpend?.point == Self.dollars(540))
    }
}
