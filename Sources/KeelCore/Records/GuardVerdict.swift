/// What the content guard found in one request and its answer, and what it did, as the request's
/// record keeps it (``RequestRecord/guardVerdict``): finding types and counts, the injection
/// score, the strongest action taken. Never a matched value.
///
/// Stored as a JSON object, so incidents and audits can query it:
/// `{"action":"redacted","findings":[{"type":"email","count":2,"action":"redact"}],
/// "answer_findings":[…],"injection":{"score":0.82,"flagged":true,"action":"flag","role":"tool",
/// "signals":["instruction_override"]}}`.
public struct GuardVerdict: Sendable, Equatable, Codable {
    /// The strongest thing the guard did, from the mildest.
    public enum Action: String, Sendable, Codable, CaseIterable, Comparable {
        /// Findings were only counted (`log`).
        case logged
        /// An injection was flagged (`flag`).
        case flagged
        /// Values were replaced by placeholders (`redact`).
        case redacted
        /// The request or its answer was refused (`block`).
        case blocked

        public static func < (lhs: Self, rhs: Self) -> Bool {
            Self.allCases.firstIndex(of: lhs)! < Self.allCases.firstIndex(of: rhs)!
        }
    }

    /// How many values of one type were found, and what the rules did with them.
    public struct Count: Sendable, Equatable, Codable {
        public var type: GuardFindingType
        public var count: Int
        public var action: ContentRule.Action

        public init(type: GuardFindingType, count: Int, action: ContentRule.Action) {
            self.type = type
            self.count = count
            self.action = action
        }
    }

    /// The highest injection score among the texts scored.
    public struct Injection: Sendable, Equatable, Codable {
        public var score: Double
        /// The score reached the threshold.
        public var flagged: Bool
        /// What the rules did, when it was flagged.
        public var action: InjectionRule.Action?
        /// Whose content scored highest.
        public var role: ContentRole
        public var signals: [InjectionSignal]

        public init(score: Double, flagged: Bool, action: InjectionRule.Action?, role: ContentRole, signals: [InjectionSignal]) {
            self.score = score
            self.flagged = flagged
            self.action = action
            self.role = role
            self.signals = signals
        }
    }

    /// `nil` when nothing was found that a rule acts on.
    public var action: Action?
    /// Personal data and credentials in the request.
    public var findings: [Count]
    /// Personal data and credentials the answer carried (redacted or blocking it).
    public var answerFindings: [Count]
    public var injection: Injection?

    public init(action: Action? = nil, findings: [Count] = [], answerFindings: [Count] = [], injection: Injection? = nil) {
        self.action = action
        self.findings = findings
        self.answerFindings = answerFindings
        self.injection = injection
    }

    enum CodingKeys: String, CodingKey {
        case action, findings, injection
        case answerFindings = "answer_findings"
    }

    /// Nothing to keep: no finding and no injection signal.
    public var isEmpty: Bool {
        self.action == nil && self.findings.isEmpty && self.answerFindings.isEmpty && self.injection == nil
    }

    /// Counts one finding of `type` handled with `action`, in the answer when `answer`.
    public mutating func count(_ type: GuardFindingType, action: ContentRule.Action, answer: Bool = false) {
        if answer {
            Self.add(type, action, to: &self.answerFindings)
        } else {
            Self.add(type, action, to: &self.findings)
        }
        self.raise(to: Self.action(for: action))
    }

    /// Adds `other`'s counts (an answer's, screened apart from its request) to these.
    public mutating func merge(_ other: GuardVerdict) {
        for count in other.findings { Self.add(count.type, count.action, count: count.count, to: &self.findings) }
        for count in other.answerFindings { Self.add(count.type, count.action, count: count.count, to: &self.answerFindings) }
        if let action = other.action { self.raise(to: action) }
        if let injection = other.injection {
            self.score(
                InjectionVerdict(score: injection.score, flagged: injection.flagged, signals: injection.signals),
                role: injection.role, action: injection.action)
        }
    }

    /// Keeps the strongest action taken.
    public mutating func raise(to action: Action) {
        if self.action.map({ $0 < action }) ?? true { self.action = action }
    }

    /// Keeps the highest injection score of the texts scored (with its role and signals),
    /// whether any was flagged, and the strongest action taken.
    public mutating func score(_ verdict: InjectionVerdict, role: ContentRole, action: InjectionRule.Action?) {
        guard verdict.score > 0 || verdict.flagged else { return }
        let taken = verdict.flagged ? action : nil
        var merged = self.injection ?? Injection(score: verdict.score, flagged: false, action: nil, role: role, signals: verdict.signals)
        if verdict.score > merged.score {
            merged.score = verdict.score
            merged.role = role
            merged.signals = verdict.signals
        }
        merged.flagged = merged.flagged || verdict.flagged
        if taken == .block || (taken == .flag && merged.action == nil) { merged.action = taken }
        self.injection = merged
        switch taken {
        case .block: self.raise(to: .blocked)
        case .flag: self.raise(to: .flagged)
        case nil: break
        }
    }

    private static func action(for action: ContentRule.Action) -> Action {
        switch action {
        case .log: .logged
        case .redact: .redacted
        case .block: .blocked
        }
    }

    private static func add(_ type: GuardFindingType, _ action: ContentRule.Action, count: Int = 1, to counts: inout [Count]) {
        if let index = counts.firstIndex(where: { $0.type == type && $0.action == action }) {
            counts[index].count += count
        } else {
            counts.append(Count(type: type, count: count, action: action))
        }
    }
}

extension ContentRule.Action: Codable {}
extension InjectionRule.Action: Codable {}
