public import KeelCore

/// An adapter between the gateway and one upstream API.
///
/// One instance serves every request concurrently, so conforming types hold no per-request
/// state. Adapters translate and transport; they never read or write storage, enforce budgets
/// or log request content. Failures are thrown as `KeelError`s whose `isRetryable` tells the
/// router whether another attempt may succeed.
public protocol ModelProvider: Sendable {
    /// The provider's configured name (`openai`, `sim`).
    var name: String { get }
    /// The dialect the upstream speaks; when it equals the client's, bodies pass through.
    var dialect: APIDialect { get }
    var capabilities: ProviderCapabilities { get }
    /// The time limits of this upstream's calls.
    var timeouts: UpstreamTimeouts { get }

    /// Sends one request upstream and returns once the response head is in.
    ///
    /// A non-success status is thrown as a `KeelError` (its body is read, bounded, to classify
    /// it); a success returns the body, which may still be streaming. Cancelling the calling task
    /// cancels the upstream call.
    func send(_ request: UpstreamRequest) async throws -> UpstreamResponse

    /// Releases connections. Called once, when the gateway stops.
    func shutdown() async throws
}
