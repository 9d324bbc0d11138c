import ArgumentParser
import Foundation
import KeelServer
import Logging
import NIOPosix

/// `keel serve`: runs the gateway.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway (SQLite and the built-in simulator when no config is given).")

    @Option(name: .long, help: "Path of keel.yaml (default: $KEEL_CONFIG, else the built-in configuration).")
    var config: String?

    @Option(name: .long, help: "Override server.port.")
    var port: Int?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var configuration = try ConfigLoader.load(path: self.config ?? environment["KEEL_CONFIG"], environment: environment)
        if let port = self.port { configuration.server.port = port }
        let level = Logger.Level(rawValue: self.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "keel")
        let app = KeelApp(
            configuration: configuration,
            environment: environment,
            logger: logger,
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton
        )
        try await app.run { info in
            let scheme = info.tls ? "https" : "http"
            var lines = ["Keel listening on \(scheme)://\(info.host):\(info.port)  (storage: \(info.storage))"]
            lines.append("Models: " + info.models.joined(separator: ", "))
            let key: String
            if let generated = info.generatedAdminKey {
                lines.append("Admin key (generated now and shown only this once; it is also a client key):")
                lines.append("  \(generated)")
                key = generated
            } else {
                key = "$KEEL_ADMIN_KEY"
            }
            let model = info.models.first { $0.contains("chat") } ?? info.models.first ?? "keel-sim-chat"
            lines.append("Try:")
            lines.append(
                "  curl \(scheme)://\(info.host):\(info.port)/v1/chat/completions -H \"Authorization: Bearer \(key)\" -H \"Content-Type: application/json\" -d '{\"model\":\"\(model)\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'"
            )
            print(lines.joined(separator: "\n"))
            fflush(nil)
        }
    }
}

extension Serve: EventLoopSizing {
    /// `server.threads` of the configuration (an unreadable file is reported by `run()`).
    func eventLoopThreads() -> Int {
        let environment = ProcessInfo.processInfo.environment
        let configuration = try? ConfigLoader.load(path: self.config ?? environment["KEEL_CONFIG"], environment: environment)
        return configuration?.server.threads ?? 1
    }
}
