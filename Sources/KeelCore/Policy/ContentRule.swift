/// What a policy does with personal data (`pii:`) or credentials (`secrets:`) found in the
/// requests it applies to, and in their answers.
public struct ContentRule: Sendable, Equatable {
    /// The actions, from the mildest to the strictest: when several policies apply to a request,
    /// each type gets the strictest action any of them gives it.
    public enum Action: String, Sendable, CaseIterable, Comparable {
        /// Let the request pass; count the finding on its record and in `/metrics`.
        case log
        /// Replace each value with a typed placeholder (`[EMAIL_1]`) before the request leaves,
        /// and in the answer.
        case redact
        /// Refuse the request (400 `content_policy_violation`); end an answer that carries one.
        case block

        public static func < (lhs: Self, rhs: Self) -> Bool {
            Self.allCases.firstIndex(of: lhs)! < Self.allCases.firstIndex(of: rhs)!
        }
    }

    public var action: Action
    /// The finding types the rule covers (a `pii:` rule names personal data types, a `secrets:`
    /// rule credential types).
    public var types: GuardTypeSet
    /// With `redact`: put the original values back into the answer the client receives (the
    /// upstream only ever sees the placeholders).
    public var restore: Bool

    public init(action: Action, types: GuardTypeSet, restore: Bool = false) {
        self.action = action
        self.types = types
        self.restore = restore
    }
}

/// What a policy does when prompt injection is detected in the content of the roles it names.
public struct InjectionRule: Sendable, Equatable {
    public enum Action: String, Sendable, CaseIterable {
        /// Let the request pass; mark its record with the score and signals.
        case flag
        /// Refuse the request (400 `content_policy_violation`).
        case block
    }

    public var action: Action
    /// Whose content is scored: by default the user's and tool results (indirect injection).
    public var roles: ContentRoleSet

    public init(action: Action, roles: ContentRoleSet = [.user, .tool]) {
        self.action = action
        self.roles = roles
    }
}
