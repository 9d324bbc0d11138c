public import KeelCore
public import KeelProviders

/// The configured models, resolved to provider instances. Immutable; built at start.
public struct ModelRegistry: Sendable {
    /// One deployment of a model: an upstream model on a provider.
    public struct Deployment: Sendable {
        public let provider: any ModelProvider
        public let upstreamModel: String
        /// What policies read of its provider: name, region, business associate agreement.
        public var compliance: EffectivePolicy.ProviderTraits
    }

    /// A model clients can name.
    public struct Entry: Sendable {
        public let name: String
        public let deployments: [Deployment]
        public let fallbacks: [String]
        public let retryPolicy: RetryPolicy
        /// The deployments' live routing state: breakers, in-flight counts, latency averages,
        /// RPM/TPM windows, and the strategy that orders them.
        let group: DeploymentGroup
        /// Ask the second deployment too when the first has not answered after this long.
        let hedgeAfter: Duration?
        /// Continue a stream cut after content on another deployment (``StreamResume``).
        let streamResume: Bool
        /// Unix seconds when the gateway learned of the model (the `created` field of `/v1/models`).
        public let created: Int64
        public let ownedBy: String
    }

    public let entries: [String: Entry]
    /// Model names in configuration order, for `/v1/models`.
    public let order: [String]

    /// `onTrip` hears of every breaker that opens: the model, the deployment's provider and
    /// upstream model, why, its trip count, and where the model's traffic goes meanwhile.
    init(
        configuration: KeelConfiguration,
        providers: [String: any ModelProvider],
        created: Int64,
        onTrip: (@Sendable (BreakerTrip) -> Void)? = nil
    ) {
        var entries: [String: Entry] = [:]
        var order: [String] = []
        let router = configuration.router
        let prices = PriceCatalog.builtIn(overrides: configuration.prices)
        var traits: [String: EffectivePolicy.ProviderTraits] = [:]
        for provider in configuration.providers {
            traits[provider.name] = EffectivePolicy.ProviderTraits(
                name: provider.name,
                region: provider.region,
                baa: provider.baa
            )
        }
        for var model in configuration.models {
            // Validation refuses routes to unknown providers; dropping them here keeps the
            // routing table aligned with the deployments all the same.
            model.routes = model.routes.filter { providers[$0.provider] != nil }
            let deployments = model.routes.map { route in
                Deployment(
                    provider: providers[route.provider]!,
                    upstreamModel: route.model,
                    compliance: traits[route.provider] ?? EffectivePolicy.ProviderTraits(name: route.provider)
                )
            }
            entries[model.name] = Entry(
                name: model.name,
                deployments: deployments,
                fallbacks: model.fallbacks,
                retryPolicy: RetryPolicy(
                    maxRetries: model.maxRetries ?? router.maxRetries,
                    initialBackoff: .milliseconds(router.backoffMs),
                    maxBackoff: .milliseconds(router.maxBackoffMs),
                    maxRetryAfter: .milliseconds(router.maxRetryAfterMs)
                ),
                group: DeploymentGroup(
                    configuration: model.routing(prices: prices),
                    onTrip: onTrip.map { Self.tripListener(model, $0) }
                ),
                hedgeAfter: model.hedgeAfter,
                streamResume: model.streamResume,
                created: created,
                ownedBy: model.routes.first?.provider ?? "keel"
            )
            order.append(model.name)
        }
        self.entries = entries
        self.order = order
    }

    /// What a deployment group of `model` calls when a breaker opens.
    private static func tripListener(
        _ model: KeelConfiguration.Model,
        _ onTrip: @escaping @Sendable (BreakerTrip) -> Void
    ) -> DeploymentGroup.TripListener {
        let routes = model.routes.map { (provider: $0.provider, model: $0.model) }
        let name = model.name
        let fallbacks = model.fallbacks
        return { index, reason, trip in
            guard routes.indices.contains(index) else { return }
            var failover: [String] = []
            for (other, route) in routes.enumerated() where other != index {
                failover.append("\(route.provider)/\(route.model)")
            }
            for fallback in fallbacks { failover.append("model \(fallback)") }
            onTrip(
                BreakerTrip(
                    model: name,
                    provider: routes[index].provider,
                    upstreamModel: routes[index].model,
                    reason: reason,
                    trip: trip,
                    failover: failover
                )
            )
        }
    }

    /// The model and its fallbacks, in the order the router tries them (each at most once).
    func candidates(for name: String) -> [Entry] {
        guard let first = self.entries[name] else { return [] }
        var result = [first]
        var seen: Set<String> = [name]
        for fallback in first.fallbacks where seen.insert(fallback).inserted {
            if let entry = self.entries[fallback] { result.append(entry) }
        }
        return result
    }
}

/// A circuit breaker that opened: which deployment, why, and where its model's traffic goes
/// while it cools down (the model's other deployments, then its fallbacks).
struct BreakerTrip: Sendable {
    let model: String
    let provider: String
    let upstreamModel: String
    let reason: String
    let trip: Int
    let failover: [String]
}

extension ModelRegistry {
    /// Every model's deployments with their live health, in configuration order.
    func health() -> [(entry: Entry, health: [DeploymentHealth<ContinuousClock.Instant>])] {
        self.order.compactMap { name in
            self.entries[name].map { ($0, $0.group.health()) }
        }
    }
}
