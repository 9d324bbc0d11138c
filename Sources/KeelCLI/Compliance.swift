import ArgumentParser
import Foundation
import KeelServer

/// `keel compliance evidence`: an evidence pack for a framework and period, from the store
/// `keel serve` uses.
struct Compliance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compliance evidence from the store.",
        subcommands: [Evidence.self]
    )

    struct Evidence: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Write an evidence pack (controls, population, checkpoints and proofs, policies, access review) into a directory."
        )

        @Option(name: .long, help: "soc2, hipaa or eu-ai-act.")
        var framework: String

        @Option(name: .long, help: "First day of the period, YYYY-MM-DD (UTC).")
        var from: String

        @Option(name: .long, help: "Day after the period, YYYY-MM-DD (UTC).")
        var to: String

        @Option(name: .long, help: "Directory to write the pack into (created).")
        var out: String

        @Option(name: .long, help: "Path of keel.yaml (default: $KEEL_CONFIG, else the built-in configuration).")
        var config: String?

        func run() async throws {
            guard let from = EvidencePack.day(self.from), let to = EvidencePack.day(self.to), from < to else {
                throw ValidationError("--from and --to are days YYYY-MM-DD, --from before --to.")
            }
            let started = Date()
            let pack = EvidencePack(framework: self.framework, from: from, to: to)
            let written = try await Audit.running {
                let configuration = try Audit.loadConfiguration(self.config)
                return try await pack.build(configuration, logger: Audit.logger, into: self.out)
            }
            print(
                "evidence pack for \(self.framework), \(self.from) to \(self.to): \(written.records) records, \(written.digests.count) files in \(self.out) (\(String(format: "%.1f", Date().timeIntervalSince(started))) s)"
            )
        }
    }
}
