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
    public var models: [SimulatedModel]

    /// Creates a configuration; every field has a default.
    public init(host: String = "127.0.0.1", port: Int = 0, models: [SimulatedModel] = SimulatedModel.defaults) {
        self.host = host
        self.port = port
        self.models = models
    }
}
