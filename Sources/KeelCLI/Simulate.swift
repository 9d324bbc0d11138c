import ArgumentParser
import Foundation
import KeelSimulator
import Logging
import ServiceLifecycle
import UnixSignals

/// `keel simulate`: runs the simulated provider on its own.
struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the simulated OpenAI-compatible provider (for load tests and demos).")

    @Option(name: .long, help: "Port to listen on.")
    var port: Int = 9090

    @Option(name: .long, help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "Time to first token of the chat models, in milliseconds.")
    var ttftMs: Int = 0

    @Option(name: .long, help: "Streaming pace of the chat models, tokens per second (0: as fast as possible).")
    var tokensPerSecond: Int = 0

    @Option(name: .long, help: "Delay before every response head, in milliseconds.")
    var latencyMs: Int = 0

    func run() async throws {
        var models = SimulatedModel.defaults
        for index in models.indices where models[index].kind == .chat {
            models[index].ttftMs = self.ttftMs
            models[index].tokensPerSecond = self.tokensPerSecond
            models[index].latencyMs = self.latencyMs
        }
        var configuration = SimulatorConfiguration()
        configuration.host = self.host
        configuration.port = self.port
        configuration.models = models
        var logger = Logger(label: "keel.simulator")
        logger.logLevel = .warning
        let simulator = KeelSimulator(configuration: configuration, logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: simulator)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let bound = try await simulator.listeningPort()
            print("Keel simulator listening on http://\(self.host):\(bound)/v1  (models: \(models.map(\.name).joined(separator: ", ")))")
            fflush(nil)
            try await tasks.waitForAll()
        }
    }
}

extension Simulate: EventLoopSizing {
    func eventLoopThreads() -> Int { 1 }
}
