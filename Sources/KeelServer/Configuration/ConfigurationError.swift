/// Everything wrong with a configuration: each problem with its key path and the reason.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public struct Issue: Sendable, Equatable, CustomStringConvertible {
        /// Dotted path of the offending key, e.g. `models[2].routes[0].provider`.
        public let key: String
        public let reason: String

        public init(key: String, reason: String) {
            self.key = key
            self.reason = reason
        }

        public var description: String { "\(self.key): \(self.reason)" }
    }

    public let issues: [Issue]

    public init(issues: [Issue]) {
        self.issues = issues
    }

    public var description: String {
        "invalid configuration:\n" + self.issues.map { "  - \($0)" }.joined(separator: "\n")
    }
}
