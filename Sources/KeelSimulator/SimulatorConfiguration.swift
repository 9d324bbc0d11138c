/// Settings of a ``KeelSimulator``: where it listens and which models it serves.
///
/// Every field has a default, so `SimulatorConfiguration()` serves the built-in models on an
/// ephemeral loopback port (read it back with ``KeelSimulator/listeningPort()``).
public struct SimulatorConfiguration: Sendable {
    /// The address to bind; loopback by default.
    public var host: String
    /// The port to bind; `0` lets the system choose one.
    public var port: Int
    /// The models served, looked up by ``SimulatedModel/name``; the first model of a name wins.
    /// Every chat model answers in every dialect.
    public var models: [SimulatedModel]
    /// The API key clients must send, each in its dialect's header (OpenAI `Authorization:
    /// Bearer`, Anthropic `x-api-key` or Bearer, Gemini `x-goog-api-key` or `?key=`, Azure
    /// `api-key` or Bearer); `nil` accepts any credentials or none. Bedrock routes check the
    /// shape of a SigV4 signature whatever this says.
    public var apiKey: String?

    /// Creates a configuration; every field has a default.
    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        models: [SimulatedModel] = SimulatedModel.defaults,
        apiKey: String? = nil
    ) {
        self.host = host
        self.port = port
        self.models = models
        self.apiKey = apiKey
    }
}
