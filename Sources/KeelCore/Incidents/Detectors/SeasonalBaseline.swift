/// The seasonal memory of one cost scope: for every hour of the week, what
/// that hour looked like over the last few weeks, plus an hour-of-day memory
/// that stands in while less than a week of history exists.
///
/// Busy working hours, quiet nights and weekends repeat every week, so a
/// Monday 10:00 is compared with past Mondays 10:00 rather than with Sunday
/// night. Each slot holds one `HourSummary` (32 bytes); with the default four
/// weeks that is 168 × 4 × 32 B = 21.5 KB for the weekly rings plus
/// 24 × 7 × 32 B = 5.4 KB for the daily rings and 384 B of ring cursors:
/// about 27 KB per scope, fixed for the life of the scope.
struct SeasonalBaseline: Sendable {
    /// Hours in the weekly season (hour-of-week buckets).
    static let hoursPerWeek = 168
    /// Hours in the daily season (hour-of-day buckets).
    static let hoursPerDay = 24
    /// Past days kept per hour-of-day bucket.
    static let daysKept = 7

    /// Past weeks kept per hour-of-week bucket.
    let weeksKept: Int

    private var weekly: [HourSummary]
    private var weeklyFilled: [UInt8]
    private var weeklyCursor: [UInt8]
    private var daily: [HourSummary]
    private var dailyFilled: [UInt8]
    private var dailyCursor: [UInt8]

    /// Creates an empty baseline keeping `weeksKept` weeks per hour of week.
    init(weeksKept: Int) {
        self.weeksKept = weeksKept
        weekly = Array(repeating: .empty, count: Self.hoursPerWeek * weeksKept)
        weeklyFilled = Array(repeating: 0, count: Self.hoursPerWeek)
        weeklyCursor = Array(repeating: 0, count: Self.hoursPerWeek)
        daily = Array(repeating: .empty, count: Self.hoursPerDay * Self.daysKept)
        dailyFilled = Array(repeating: 0, count: Self.hoursPerDay)
        dailyCursor = Array(repeating: 0, count: Self.hoursPerDay)
    }

    /// Bytes of state held for `weeksKept` weeks (slots plus cursors).
    static func stateBytes(weeksKept: Int) -> Int {
        let slot = MemoryLayout<HourSummary>.stride
        return slot * (hoursPerWeek * weeksKept + hoursPerDay * daysKept)
            + 2 * (hoursPerWeek + hoursPerDay)
    }

    /// Stores the summary of a completed hour (`hour` = Unix minute / 60),
    /// replacing the oldest week (and day) of that bucket once full.
    mutating func record(_ summary: HourSummary, hour: Int64) {
        let week = Self.weekBucket(hour)
        let weekSlot = week * weeksKept + Int(weeklyCursor[week])
        weekly[weekSlot] = summary
        weeklyCursor[week] = UInt8((Int(weeklyCursor[week]) + 1) % weeksKept)
        weeklyFilled[week] = UInt8(min(weeksKept, Int(weeklyFilled[week]) + 1))

        let day = Self.dayBucket(hour)
        let daySlot = day * Self.daysKept + Int(dailyCursor[day])
        daily[daySlot] = summary
        dailyCursor[day] = UInt8((Int(dailyCursor[day]) + 1) % Self.daysKept)
        dailyFilled[day] = UInt8(min(Self.daysKept, Int(dailyFilled[day]) + 1))
    }

    /// Expected spend for `hour` from the same hour of past weeks, or nil
    /// until at least one week of that hour has been seen.
    func weeklyEstimate(hour: Int64) -> SeasonalEstimate? {
        let bucket = Self.weekBucket(hour)
        let filled = Int(weeklyFilled[bucket])
        guard filled > 0 else { return nil }
        let start = bucket * weeksKept
        return SeasonalEstimate.combining(Array(weekly[start..<(start + filled)]), source: .hourOfWeek)
    }

    /// Expected spend for `hour` from the same hour of past days, or nil
    /// until that hour of the day has been seen once.
    func dailyEstimate(hour: Int64) -> SeasonalEstimate? {
        let bucket = Self.dayBucket(hour)
        let filled = Int(dailyFilled[bucket])
        guard filled > 0 else { return nil }
        let start = bucket * Self.daysKept
        return SeasonalEstimate.combining(Array(daily[start..<(start + filled)]), source: .hourOfDay)
    }

    /// The most specific estimate available for `hour`: hour of week, then
    /// hour of day.
    func estimate(hour: Int64) -> SeasonalEstimate? {
        weeklyEstimate(hour: hour) ?? dailyEstimate(hour: hour)
    }

    private static func weekBucket(_ hour: Int64) -> Int {
        Int(RobustStatistics.flooredModulo(hour, Int64(hoursPerWeek)))
    }

    private static func dayBucket(_ hour: Int64) -> Int {
        Int(RobustStatistics.flooredModulo(hour, Int64(hoursPerDay)))
    }
}
