public import KeelCore

/// Routing overrides in force (`route_override`), shared by every instance.
public protocol RouteOverrideStore: Sendable {
    /// Oldest first.
    func overrides() async throws -> [RouteOverride]
    func insert(_ override: RouteOverride) async throws
    /// `false` when there was none.
    func delete(id: String) async throws -> Bool
    /// A value that changes whenever an override is added or removed.
    func stamp() async throws -> String
}
