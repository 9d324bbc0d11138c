#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// How often a budget resets: its periods are calendar days, weeks or months in the budget's time zone.
public enum BudgetCycle: String, Sendable, Hashable, CaseIterable {
    case daily
    case weekly
    case monthly

    /// The period of this cycle that contains `date`: from local midnight to local midnight, end excluded.
    ///
    /// `calendar` gives the time zone and, for weekly budgets, the first day of the week (set
    /// `firstWeekday = 2` for weeks that start on Monday). Periods that contain a daylight-saving change
    /// are an hour shorter or longer than their nominal length; they still hold whole local days.
    public func period(containing date: Date, in calendar: Calendar) -> DateInterval {
        let component: Calendar.Component =
            switch self {
            case .daily: .day
            case .weekly: .weekOfYear
            case .monthly: .month
            }
        guard let interval = calendar.dateInterval(of: component, for: date) else {
            preconditionFailure("the Gregorian calendar has a \(self.rawValue) period around every date")
        }
        return interval
    }
}
