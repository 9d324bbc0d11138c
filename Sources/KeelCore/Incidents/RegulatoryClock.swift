/// A regulatory deadline an incident's classification started: the time by which the
/// authority or the people affected must be told, with reminders at 50 % and 80 % of it.
///
/// - EU AI Act Art. 73 (serious incident): 15 days; 2 days for a widespread infringement or a
///   serious disruption of critical infrastructure; 10 days in the event of a death.
/// - HIPAA Breach Notification Rule (§164.404): 60 days from discovery.
/// - GDPR Art. 33 (personal-data breach): 72 hours.
public struct RegulatoryClock: Sendable, Equatable, Codable {
    public enum Classification: String, Sendable, Hashable, Codable, CaseIterable {
        case euAIActSerious = "eu_ai_act_serious"
        case euAIActWidespread = "eu_ai_act_widespread"
        case euAIActDeath = "eu_ai_act_death"
        case hipaaBreach = "hipaa_breach"
        case gdprBreach = "gdpr_breach"

        /// The time allowed, in µs.
        public var allowance: Int64 {
            let day: Int64 = 86_400_000_000
            return switch self {
            case .euAIActSerious: 15 * day
            case .euAIActWidespread: 2 * day
            case .euAIActDeath: 10 * day
            case .hipaaBreach: 60 * day
            case .gdprBreach: 3 * day
            }
        }

        /// Who must be told, for the notification text.
        public var authority: String {
            switch self {
            case .euAIActSerious, .euAIActWidespread, .euAIActDeath:
                "the market surveillance authority (EU AI Act Art. 73)"
            case .hipaaBreach: "affected individuals and HHS (HIPAA §164.404–408)"
            case .gdprBreach: "the supervisory authority (GDPR Art. 33)"
            }
        }
    }

    /// The reminders and the deadline, in the order they fall due.
    public enum Mark: String, Sendable, Hashable, Codable, CaseIterable {
        case half = "50%"
        case fourFifths = "80%"
        case deadline = "deadline"
    }

    public var classification: Classification
    /// Unix µs: when the clock started (the classification, or the awareness it names).
    public var startedAt: Int64
    public var deadline: Int64
    /// Marks already announced on the timeline.
    public var announced: [Mark]
    /// Unix µs the report was filed: the clock stops.
    public var reportedAt: Int64?

    public init(
        classification: Classification,
        startedAt: Int64,
        announced: [Mark] = [],
        reportedAt: Int64? = nil
    ) {
        self.classification = classification
        self.startedAt = startedAt
        self.deadline = startedAt + classification.allowance
        self.announced = announced
        self.reportedAt = reportedAt
    }

    /// The unix µs a mark falls due.
    public func time(of mark: Mark) -> Int64 {
        let allowance = self.deadline - self.startedAt
        return switch mark {
        case .half: self.startedAt + allowance / 2
        case .fourFifths: self.startedAt + allowance * 4 / 5
        case .deadline: self.deadline
        }
    }

    /// Marks due at `now` and not yet announced (none once reported).
    public func dueMarks(at now: Int64) -> [Mark] {
        guard self.reportedAt == nil else { return [] }
        return Mark.allCases.filter { !self.announced.contains($0) && self.time(of: $0) <= now }
    }

    public func isOverdue(at now: Int64) -> Bool { self.reportedAt == nil && now > self.deadline }

    /// The fraction of the allowance used at `now` (1 and beyond: overdue).
    public func elapsed(at now: Int64) -> Double {
        Double((self.reportedAt ?? now) - self.startedAt) / Double(self.deadline - self.startedAt)
    }
}
