import KeelCore
import KeelStorage
import Synchronization

/// The routing overrides in force (providers benched, models pinned), in memory for the router:
/// an atomic flag says whether there are any, so the request path does no more than one load
/// while none is. Changes go through the store and apply here at once; other instances read
/// them within their sync interval (``reloadIfChanged()``).
final class RouteOverrides: Sendable {
    private let store: any RouteOverrideStore
    private let state = Mutex<(overrides: [RouteOverride], stamp: String?)>(([], nil))
    private let any = Atomic<Bool>(false)

    init(store: any RouteOverrideStore) {
        self.store = store
    }

    /// Whether the router may send a request for `model` to `deployment`.
    func allows(model: String, deployment: ModelRegistry.Deployment) -> Bool {
        guard self.any.load(ordering: .relaxed) else { return true }
        let overrides = self.state.withLock { $0.overrides }
        return RouteOverride.allows(
            overrides,
            model: model,
            provider: deployment.compliance.name,
            upstreamModel: deployment.upstreamModel
        )
    }

    var current: [RouteOverride] { self.state.withLock { $0.overrides } }

    /// Benches `provider`; returns the override's id.
    func bench(provider: String, reason: String, at now: Int64) async throws -> String {
        try await self.add(
            RouteOverride(id: Self.newID(), kind: .bench, provider: provider, reason: reason, createdAt: now)
        )
    }

    /// Routes `model` to its deployment serving `deployment` only; returns the override's id.
    func pin(model: String, deployment: String, reason: String, at now: Int64) async throws -> String {
        try await self.add(
            RouteOverride(
                id: Self.newID(),
                kind: .pin,
                model: model,
                deployment: deployment,
                reason: reason,
                createdAt: now
            )
        )
    }

    /// Takes `model`'s own deployments out of its routing, so its fallbacks serve it: a pin to no
    /// deployment. Returns the override's id.
    func moveToFallbacks(model: String, reason: String, at now: Int64) async throws -> String {
        try await self.add(
            RouteOverride(id: Self.newID(), kind: .pin, model: model, deployment: nil, reason: reason, createdAt: now)
        )
    }

    func remove(id: String) async throws {
        _ = try await self.store.delete(id: id)
        try await self.reload()
    }

    /// Reads the overrides again when the store's stamp changed.
    func reloadIfChanged() async throws {
        let stamp = try await self.store.stamp()
        guard stamp != self.state.withLock({ $0.stamp }) else { return }
        try await self.reload()
    }

    func reload() async throws {
        let stamp = try await self.store.stamp()
        let overrides = try await self.store.overrides()
        self.state.withLock { $0 = (overrides, stamp) }
        self.any.store(!overrides.isEmpty, ordering: .relaxed)
    }

    private func add(_ override: RouteOverride) async throws -> String {
        try await self.store.insert(override)
        try await self.reload()
        return override.id
    }

    private static func newID() -> String { "route-" + String(UInt64.random(in: .min ... .max), radix: 16) }
}
