/// A change of routing made while an incident lasts: a provider benched (its deployments take no
/// traffic, so requests fail over to the other deployments and to fallbacks), or a model pinned
/// to one of its deployments.
public struct RouteOverride: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case bench
        case pin
    }

    public var id: String
    public var kind: Kind
    /// The provider benched (`bench`).
    public var provider: String?
    /// The model pinned, and the upstream model it is pinned to (`pin`); a pin without a
    /// deployment takes the model's own deployments out, so its fallbacks serve it.
    public var model: String?
    public var deployment: String?
    public var reason: String
    /// Unix µs.
    public var createdAt: Int64

    public init(
        id: String,
        kind: Kind,
        provider: String? = nil,
        model: String? = nil,
        deployment: String? = nil,
        reason: String,
        createdAt: Int64
    ) {
        self.id = id
        self.kind = kind
        self.provider = provider
        self.model = model
        self.deployment = deployment
        self.reason = reason
        self.createdAt = createdAt
    }

    /// Whether a request for `model` may go to the deployment of `provider` serving
    /// `upstreamModel` under every override of `overrides`.
    public static func allows(
        _ overrides: [RouteOverride],
        model: String,
        provider: String,
        upstreamModel: String
    ) -> Bool {
        for override in overrides {
            switch override.kind {
            case .bench where override.provider == provider: return false
            case .pin where override.model == model && override.deployment != upstreamModel: return false
            default: continue
            }
        }
        return true
    }
}
