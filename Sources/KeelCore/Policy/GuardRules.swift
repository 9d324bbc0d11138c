/// The content rules of the policies that apply to one request, merged: for each finding type
/// the strictest action any of them gives it (block > redact > log), and for each role the
/// strictest injection action (block > flag).
///
/// Types and roles are bit sets, so merging and every lookup on the request path are a few
/// integer operations, without allocation. Empty (``isEmpty``) when no applying policy has a
/// content rule: the request path then does no content work at all.
public struct GuardRules: Sendable, Equatable {
    /// Types whose findings refuse the request (and end an answer).
    public private(set) var block = GuardTypeSet()
    /// Types replaced by placeholders before the request leaves, and in the answer.
    public private(set) var redact = GuardTypeSet()
    /// Types only counted.
    public private(set) var log = GuardTypeSet()
    /// Redacted types whose values are put back into the answer: every applying policy that
    /// redacts the type asks for it (`restore: true`).
    public private(set) var restore = GuardTypeSet()
    /// Roles whose content is refused when it scores as an injection.
    public private(set) var injectionBlock = ContentRoleSet()
    /// Roles whose content is only marked when it scores as an injection.
    public private(set) var injectionFlag = ContentRoleSet()
    /// Lowercased literals whose presence in any prompt text refuses the request, with the id of
    /// the policy each comes from.
    public private(set) var blockedPatterns: [BlockedPattern] = []

    /// A blocked literal and the policy it comes from.
    public struct BlockedPattern: Sendable, Equatable {
        public var pattern: String
        public var policy: String
    }

    public init() {}

    /// The merged rules of `policies`.
    public init(_ policies: [Policy]) {
        var restoreAsked = GuardTypeSet()
        var restoreRefused = GuardTypeSet()
        for policy in policies {
            if let rule = policy.pii { self.add(rule, restoreAsked: &restoreAsked, restoreRefused: &restoreRefused) }
            if let rule = policy.secrets {
                self.add(rule, restoreAsked: &restoreAsked, restoreRefused: &restoreRefused)
            }
            for pattern in policy.blockedPatterns {
                self.blockedPatterns.append(BlockedPattern(pattern: pattern.lowercased(), policy: policy.id))
            }
            if let injection = policy.injection {
                switch injection.action {
                case .block: self.injectionBlock.formUnion(injection.roles)
                case .flag: self.injectionFlag.formUnion(injection.roles)
                }
            }
        }
        self.redact.subtract(self.block)
        self.log.subtract(self.block.union(self.redact))
        self.restore = restoreAsked.subtracting(restoreRefused).intersection(self.redact)
        self.injectionFlag.subtract(self.injectionBlock)
    }

    private mutating func add(_ rule: ContentRule, restoreAsked: inout GuardTypeSet, restoreRefused: inout GuardTypeSet)
    {
        switch rule.action {
        case .block: self.block.formUnion(rule.types)
        case .redact:
            self.redact.formUnion(rule.types)
            if rule.restore { restoreAsked.formUnion(rule.types) } else { restoreRefused.formUnion(rule.types) }
        case .log: self.log.formUnion(rule.types)
        }
    }

    /// No content rule applies.
    public var isEmpty: Bool {
        self.scanned.isEmpty && self.injectionRoles.isEmpty && self.blockedPatterns.isEmpty
    }

    /// The blocked pattern `text` contains, and its policy, if any.
    public func blockedPattern(in text: String) -> BlockedPattern? {
        guard !self.blockedPatterns.isEmpty else { return nil }
        let lowered = text.lowercased()
        return self.blockedPatterns.first { lowered.contains($0.pattern) }
    }

    /// Every type the request's content is scanned for.
    public var scanned: GuardTypeSet { self.block.union(self.redact).union(self.log) }

    /// The types an answer is scanned for: those that block or redact.
    public var answerScanned: GuardTypeSet { self.block.union(self.redact) }

    /// The roles whose content is scored for injection.
    public var injectionRoles: ContentRoleSet { self.injectionBlock.union(self.injectionFlag) }

    /// What the rules do with a finding of `type`; `nil` when no rule covers it.
    public func action(for type: GuardFindingType) -> ContentRule.Action? {
        if self.block.contains(type) { return .block }
        if self.redact.contains(type) { return .redact }
        if self.log.contains(type) { return .log }
        return nil
    }

    /// What the rules do with injection in content of `role`; `nil` when it is not scored.
    public func injectionAction(for role: ContentRole) -> InjectionRule.Action? {
        if self.injectionBlock.contains(role) { return .block }
        if self.injectionFlag.contains(role) { return .flag }
        return nil
    }
}
