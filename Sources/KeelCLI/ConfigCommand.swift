import ArgumentParser
import Foundation
import KeelServer

/// `keel config check FILE`.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Work with configuration files.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate a keel.yaml as `keel serve` would; prints each problem with its key.")

        @Argument(help: "Path of the configuration file.")
        var file: String

        func run() async throws {
            do {
                let configuration = try ConfigLoader.load(path: self.file, environment: ProcessInfo.processInfo.environment)
                try configuration.server.tls?.check()
                let tracing = configuration.tracing.enabled ? "; traces to \(configuration.tracing.endpoint)" : ""
                print(
                    "\(self.file): OK (\(configuration.providers.count) providers, \(configuration.models.count) models, \(configuration.keys.count) static keys\(tracing))"
                )
            } catch let error as ConfigurationError {
                var lines = ["\(self.file): \(error.issues.count) problem(s)"]
                for issue in error.issues { lines.append("  \(issue.key): \(issue.reason)") }
                FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
                throw ExitCode(1)
            }
        }
    }
}

