/// What the policies that apply to one request demand together: the strictest reading of each
/// rule.
///
/// - Models and providers: a name must pass every applying policy's allow- and deny-list.
/// - Regions: a provider's region must be in every applying policy's list that has one (a
///   provider without a region passes none of them).
/// - A business associate agreement is needed when any applying policy requires it.
/// - Content: each finding type gets the strictest action (block > redact > log), each role the
///   strictest injection action (block > flag) (``GuardRules``).
public struct EffectivePolicy: Sendable, Equatable {
    /// The applying policies, in configuration order (their ids go into records and evidence).
    public let policies: [Policy]
    /// Their content rules, merged; empty when none has one.
    public let rules: GuardRules

    public init(_ policies: [Policy]) {
        self.policies = policies
        self.rules = policies.isEmpty ? GuardRules() : GuardRules(policies)
    }

    /// No policy applies: everything is allowed, and the request path does no policy work.
    public var isEmpty: Bool { self.policies.isEmpty }

    public var ids: [String] { self.policies.map(\.id) }

    public var baaRequired: Bool { self.policies.contains { $0.baaRequired } }

    /// Whether the request's bodies are kept: one applying policy is enough.
    public var keepsBodies: Bool { self.policies.contains { $0.keepBodies } }

    /// The refusal of `model` by the first policy that does not allow it, or `nil` when every
    /// applying policy allows it.
    public func violation(model: String) -> KeelError? {
        guard let policy = self.policies.first(where: { !$0.models.permits(model) }) else { return nil }
        return .policyViolation("Policy '\(policy.id)' does not allow the model '\(model)'.")
    }

    /// Why a provider may not serve the request, or `nil` when it may.
    public func refusal(provider: ProviderTraits) -> Refusal? {
        for policy in self.policies {
            if !policy.providers.permits(provider.name) { return Refusal(policy: policy, reason: .providerNotAllowed) }
            if !policy.regions.isEmpty, !(provider.region.map(policy.regions.contains) ?? false) {
                return Refusal(policy: policy, reason: .regionNotAllowed)
            }
            if policy.baaRequired, !provider.baa { return Refusal(policy: policy, reason: .noBAA) }
        }
        return nil
    }

    /// The refusal of content holding `types` (in the request's `param`, or in its answer when
    /// `answer`): names the first policy that blocks one of them and every type found, never a
    /// value.
    public func contentRefusal(types: [GuardFindingType], answer: Bool = false, param: String = "messages") -> KeelError
    {
        let blocking = self.policies.first { policy in
            types.contains { type in
                [policy.pii, policy.secrets].contains { $0?.action == .block && $0?.types.contains(type) == true }
            }
        }
        let names = Self.uniqueNames(types.map(\.rawValue))
        let subject = answer ? "the answer" : "this request"
        return .contentPolicyViolation(
            "Policy '\(blocking?.id ?? "?")' blocks \(subject): it contains \(names.joined(separator: ", ")).",
            param: answer ? nil : param
        )
    }

    /// The refusal of content of `role` that scored as a prompt injection.
    public func injectionRefusal(role: ContentRole, score: Double) -> KeelError {
        let blocking = self.policies.first {
            $0.injection?.action == .block && $0.injection?.roles.contains(role) == true
        }
        return .contentPolicyViolation(
            "Policy '\(blocking?.id ?? "?")' blocks this request: prompt injection detected in \(role.rawValue) content (score \(score)).",
            param: "messages"
        )
    }

    private static func uniqueNames(_ names: [String]) -> [String] {
        var seen: Set<String> = []
        return names.filter { seen.insert($0).inserted }
    }

    /// The compliance facts of a provider a policy reads.
    public struct ProviderTraits: Sendable, Equatable {
        public var name: String
        /// Where it processes data (`providers[].region`).
        public var region: String?
        /// Whether a business associate agreement covers it (`providers[].baa`).
        public var baa: Bool

        public init(name: String, region: String? = nil, baa: Bool = false) {
            self.name = name
            self.region = region
            self.baa = baa
        }
    }

    public struct Refusal: Sendable, Equatable {
        public enum Reason: String, Sendable {
            case providerNotAllowed = "provider_not_allowed"
            case regionNotAllowed = "region_not_allowed"
            case noBAA = "baa_required"
        }

        public let policy: Policy
        public let reason: Reason

        /// The client's message when this refusal left `model` no deployment: which policy, and
        /// why `provider` could not serve.
        public func error(provider: ProviderTraits, model: String) -> KeelError {
            let why =
                switch self.reason {
                case .providerNotAllowed: "the provider '\(provider.name)' is not allowed"
                case .regionNotAllowed:
                    "the provider '\(provider.name)' is in region '\(provider.region ?? "unknown")', not in \(self.policy.regions)"
                case .noBAA: "the provider '\(provider.name)' has no business associate agreement (baa_required)"
                }
            return .policyViolation(
                "No deployment of '\(model)' may serve this request under policy '\(self.policy.id)': \(why)."
            )
        }
    }
}

/// Every configured policy, and which of them apply to a request.
public struct PolicySet: Sendable {
    public let policies: [Policy]

    public init(_ policies: [Policy]) {
        self.policies = policies
    }

    public var isEmpty: Bool { self.policies.isEmpty }

    /// The policies that apply to a request of this principal naming `model`.
    public func effective(org: OrgID?, team: TeamID?, key: KeyID?, model: String) -> EffectivePolicy {
        guard !self.policies.isEmpty else { return EffectivePolicy([]) }
        return EffectivePolicy(self.policies.filter { $0.scope.contains(org: org, team: team, key: key, model: model) })
    }
}
