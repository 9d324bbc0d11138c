public import KeelCore
public import KeelStorage
import Synchronization

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A budget as the data plane checks it: which requests it covers and the period a moment falls
/// in, with the current period cached so a request costs no calendar arithmetic.
public final class BudgetRule: Sendable {
    public let budget: Budget
    private let calendar: Calendar
    private let tagKey: String
    private let tagValue: String
    /// The current period as Unix seconds `[start, end)`.
    private let current = Mutex<(start: Int64, end: Int64)?>(nil)

    public init(_ budget: Budget) {
        self.budget = budget
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: budget.timeZone) ?? TimeZone(identifier: "UTC")!
        // Weeks start on Monday, as ISO 8601 has them.
        calendar.firstWeekday = 2
        self.calendar = calendar
        if budget.scopeKind == .tag, let equals = budget.scopeValue.firstIndex(of: "=") {
            self.tagKey = String(budget.scopeValue[..<equals])
            self.tagValue = String(budget.scopeValue[budget.scopeValue.index(after: equals)...])
        } else {
            self.tagKey = ""
            self.tagValue = ""
        }
    }

    public var id: BudgetID { self.budget.id }

    /// Whether the request of `record` counts against this budget.
    public func covers(_ record: RequestRecord) -> Bool {
        let value = self.budget.scopeValue
        switch self.budget.scopeKind {
        case .org: return record.orgID?.rawValue == value
        case .team: return record.teamID?.rawValue == value
        case .project: return record.projectID?.rawValue == value
        case .user: return record.userID?.rawValue == value
        case .key: return record.keyID?.rawValue == value
        case .tag: return !self.tagKey.isEmpty && record.tags[self.tagKey] == self.tagValue
        }
    }

    /// The period containing `seconds` (Unix), or `nil` outside a fixed budget's window.
    public func period(at seconds: Int64) -> (start: Int64, end: Int64)? {
        if let cached = self.current.withLock({ $0 }), cached.start <= seconds, seconds < cached.end { return cached }
        let period: (start: Int64, end: Int64)?
        switch self.budget.period {
        case .fixed:
            guard let start = self.budget.startsAt, let end = self.budget.endsAt, start <= seconds, seconds < end else { return nil }
            period = (start, end)
        case .daily, .weekly, .monthly:
            let cycle = BudgetCycle(rawValue: self.budget.period.rawValue)!
            let interval = cycle.period(containing: Date(timeIntervalSince1970: Double(seconds)), in: self.calendar)
            period = (Int64(interval.start.timeIntervalSince1970), Int64(interval.end.timeIntervalSince1970))
        }
        self.current.withLock { $0 = period }
        return period
    }

    /// The budget's calendar (its time zone, weeks from Monday).
    public var zoneCalendar: Calendar { self.calendar }
}
