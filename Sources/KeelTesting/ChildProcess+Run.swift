public import Foundation

extension ChildProcess {
    /// What a child that ran to its end printed, and how it ended.
    public struct Completion: Sendable {
        public let termination: ChildProcess.Termination
        public let output: String
    }

    /// Runs `executable` to its end and returns its standard output — and its standard error,
    /// interleaved as on a terminal, unless `standardError` sends that elsewhere.
    public static func run(
        _ executable: String,
        _ arguments: [String] = [],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: String? = nil,
        standardError: Output = .capture
    ) async throws -> Completion {
        let child = try Self.spawn(
            executable,
            arguments,
            environment: environment,
            directory: directory,
            standardOutput: .capture,
            standardError: standardError
        )
        let output = await child.readAllOutput()
        return Completion(termination: await child.wait(), output: output)
    }
}
