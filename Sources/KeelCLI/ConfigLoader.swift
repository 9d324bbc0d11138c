import Foundation
import KeelServer

/// Reads the configuration file, or the built-in default when there is none.
enum ConfigLoader {
    static func load(path: String?, environment: [String: String]) throws -> KeelConfiguration {
        guard let path else { return try KeelConfiguration.builtInDefault(environment: environment) }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(issues: [.init(key: "(file)", reason: "cannot read \(path)")])
        }
        var configuration = try KeelConfiguration.parse(yaml: text, environment: environment)
        configuration.loadedFrom = .init(source: path, text: text)
        return configuration
    }
}
