import Hummingbird
import HummingbirdCore
public import Logging
import NIOCore
public import ServiceLifecycle
import Synchronization

/// A simulated LLM provider served over HTTP in every dialect the gateway speaks: the upstream
/// of Keel's integration tests, load tests and demos, and what `keel simulate` runs.
///
/// Routes, each in the wire format of the provider's own SDKs:
/// - OpenAI: `POST /v1/chat/completions` (streaming, tools, JSON mode, `stop`, `max_tokens`),
///   `POST /v1/embeddings`, `GET /v1/models`, `GET /v1/models/{id}`.
/// - Azure OpenAI: `POST /openai/deployments/{deployment}/chat/completions?api-version=…` and
///   `…/embeddings?api-version=…`, the deployment being the model.
/// - Anthropic: `POST /v1/messages` (needs `anthropic-version`), `POST /v1/messages/count_tokens`.
/// - Gemini: `POST /v1beta/models/{model}:generateContent`, `:streamGenerateContent` (`?alt=sse`),
///   `:countTokens`, `:embedContent`, `:batchEmbedContents`.
/// - Bedrock: `POST /model/{modelId}/converse`, `POST /model/{modelId}/converse-stream` (AWS
///   event-stream framing; needs a SigV4-shaped `Authorization` and `x-amz-date`).
/// - `GET /_simulator/health`, `POST /_simulator/script` (body `{"model": optional, "count":
///   optional, "directives": "status=503 retry_after=1"}`) and `DELETE /_simulator/script`.
///
/// Credentials are accepted and ignored unless ``SimulatorConfiguration/apiKey`` is set.
///
/// Answers are deterministic: the same conversation gets the same text, streamed or not and in
/// every dialect, and the same body gets the same completion id. Usage is exact and follows ``SimulatedTokenizer``.
/// Behaviour per request (errors, latency, pacing, faults) comes from ``SimulatorDirectives``.
///
/// Run it as a `Service` (it serves until cancelled or gracefully shut down), then ask for its
/// port:
///
/// ```swift
/// let simulator = KeelSimulator(configuration: SimulatorConfiguration(), logger: logger)
/// try await withThrowingTaskGroup(of: Void.self) { group in
///     group.addTask { try await simulator.run() }
///     let port = try await simulator.listeningPort()
///     // … call http://127.0.0.1:\(port)/v1/chat/completions …
///     group.cancelAll()
/// }
/// ```
///
/// One instance serves every request concurrently; ``script`` and ``requestCount(path:model:)``
/// are thread-safe.
public final class KeelSimulator: Service, Sendable {
    /// The largest request body accepted; larger ones get 413.
    static let maxBodyBytes = 16 * 1024 * 1024

    /// Where it listens and which models it serves.
    public let configuration: SimulatorConfiguration
    /// Directives queued for the next requests; the highest-precedence source of behaviour.
    public let script: SimulatorScript
    let logger: Logger
    let models: [String: SimulatedModel]
    let counter = RequestCounter()
    private let sequence = Atomic<Int>(0)
    private let binding = PortBinding()

    /// Creates a simulator; nothing listens until ``run()``.
    public init(configuration: SimulatorConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.script = SimulatorScript()
        var models: [String: SimulatedModel] = [:]
        for model in configuration.models where models[model.name] == nil {
            models[model.name] = model
        }
        self.models = models
    }

    /// Serves until the task is cancelled or the service group shuts down gracefully.
    ///
    /// Call it once. Throws when the address cannot be bound; ``listeningPort()`` then throws too.
    public func run() async throws {
        let binding = self.binding
        let application = Application(
            router: self.router(),
            server: .http1(
                configuration: HTTP1Channel.Configuration(additionalChannelHandlers: [CloseOnInputClosedHandler()])),
            configuration: ApplicationConfiguration(
                address: .hostname(self.configuration.host, port: self.configuration.port),
                serverName: nil,
                // A load generator opens many connections at once; the default 256 drops some.
                backlog: 2048
            ),
            onServerRunning: { channel in
                binding.bind(port: channel.localAddress?.port ?? 0)
            },
            logger: self.logger
        )
        do {
            try await application.run()
        } catch {
            binding.stop("The simulator stopped with an error: \(error)")
            throw error
        }
        binding.stop("The simulator has stopped.")
    }

    /// The port the server listens on, once it is bound (the real one when configured with 0).
    ///
    /// Suspends until ``run()`` has bound its address.
    /// - Throws: when the server failed to start or has stopped, or `CancellationError`.
    public func listeningPort() async throws -> Int {
        try await self.binding.port()
    }

    /// How many requests were received on `path` (such as `/v1/chat/completions`), for `model`
    /// when given, including refused and failed ones.
    ///
    /// A request counts for a model once its body named one; malformed bodies count only under
    /// the path.
    public func requestCount(path: String, model: String? = nil) -> Int {
        self.counter.count(path: path, model: model)
    }

    /// A request id unique in this process: 24 hexadecimal digits from a sequence number.
    func requestID() -> String {
        let next = self.sequence.add(1, ordering: .relaxed).newValue
        var hash = StableHash()
        hash.combine(next)
        return StableHash.hex(hash.value) + String(StableHash.hex(UInt64(next)).suffix(8))
    }

    /// The directives of one request for `model`: the queued script entry, over an in-content
    /// `[sim …]` directive found in `text`, over the model's configuration.
    func directives(for model: SimulatedModel, text: String?) throws(SimulatorError) -> SimulatorDirectives {
        var directives = model.baseDirectives
        if let text {
            do {
                if let embedded = try SimulatorDirectives.embedded(in: text) {
                    directives = embedded.merged(over: directives)
                }
            } catch {
                throw SimulatorError.invalidDirective(error)
            }
        }
        if let scripted = self.script.take(model: model.name) {
            directives = scripted.merged(over: directives)
        }
        return directives
    }
}
