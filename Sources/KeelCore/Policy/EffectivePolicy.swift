/// What the policies that apply to one request demand together: the strictest reading of each
/// rule.
///
/// - Models and providers: a name must pass every applying policy's allow- and deny-list.
/// - Regions: a provider's region must be in every applying policy's list that has one (a
///   provider without a region passes none of them).
/// - A business associate agreement is needed when any applying policy requires it.
public struct EffectivePolicy: Sendable, Equatable {
    /// The applying policies, in configuration order (their ids go into records and evidence).
    public let policies: [Policy]

    public init(_ policies: [Policy]) {
        self.policies = policies
    }

    /// No policy applies: everything is allowed, and the request path does no policy work.
    public var isEmpty: Bool { self.policies.isEmpty }

    public var ids: [String] { self.policies.map(\.id) }

    public var baaRequired: Bool { self.policies.contains { $0.baaRequired } }

    /// The first policy that forbids `model`, or `nil` when every applying policy allows it.
    public func forbidding(model: String) -> Policy? {
        self.policies.first { !$0.models.permits(model) }
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
