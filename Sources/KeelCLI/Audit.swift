import ArgumentParser
import Foundation
import KeelCore
import KeelServer
import Logging

/// `keel audit verify`, `keel audit checkpoint` and `keel audit export`: the audit log in the
/// store `keel serve` uses.
///
/// Exit status: 0 when the log verifies, 1 when it was altered (an entry changed, deleted,
/// inserted, reordered or cut), 2 when the check cannot run (usage, configuration, I/O).
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify the audit log, or export its latest checkpoint or its entries.",
        subcommands: [Verify.self, Checkpoint.self, Export.self]
    )

    /// The exit status of a check that cannot run.
    static let cannotRun: Int32 = 2

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the audit log's tree and check every checkpoint; exit 0 ok, 1 altered, 2 cannot run."
        )

        @Option(name: .long, help: "Path of keel.yaml (default: $KEEL_CONFIG, else the built-in configuration).")
        var config: String?

        func run() async throws {
            let report = try await Audit.running {
                try await AuditLogCheck.verify(try Audit.loadConfiguration(self.config), logger: Audit.logger)
            }
            switch report.result {
            case .verified(let summary):
                print("audit log ok: \(summary.leafCount) entries, root \(summary.rootHash.base64)")
                print("checkpoints: \(summary.checkpointCount) verified, the latest of size \(summary.signedSize)")
                print("instances: \(summary.lastSequence.count), each sequence without gaps")
                print("keys: \(report.keys.joined(separator: ", "))")
            case .failed(let failure):
                print("audit log FAILED: \(Audit.describe(failure.problem))")
                if let index = failure.index { print("first bad index: \(index)") }
                throw ExitCode(1)
            }
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the latest signed checkpoint to a file, to keep it elsewhere (a witness, an object store)."
        )

        @Option(name: .long, help: "Path of keel.yaml (default: $KEEL_CONFIG, else the built-in configuration).")
        var config: String?

        @Option(name: .long, help: "Where to write the checkpoint (a signed note); '-' prints it.")
        var out: String

        func run() async throws {
            let note = try await Audit.running {
                try await AuditLogCheck.latestCheckpoint(try Audit.loadConfiguration(self.config), logger: Audit.logger)
            }
            if self.out == "-" {
                print(note, terminator: "")
                return
            }
            guard FileManager.default.createFile(atPath: self.out, contents: Data(note.utf8)) else {
                Audit.fail("cannot write \(self.out)")
            }
            print("checkpoint of size \(note.split(separator: "\n").dropFirst().first ?? "?") written to \(self.out)")
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Write the audit log's entries, one per line (each the exact leaf bytes), for scripts/audit-verify.py or an archive."
        )

        @Option(name: .long, help: "Path of keel.yaml (default: $KEEL_CONFIG, else the built-in configuration).")
        var config: String?

        @Option(name: .long, help: "Where to write the entries (JSON Lines); '-' prints them.")
        var out: String

        func run() async throws {
            let file: FileHandle
            if self.out == "-" {
                file = FileHandle.standardOutput
            } else {
                guard FileManager.default.createFile(atPath: self.out, contents: nil),
                    let opened = FileHandle(forWritingAtPath: self.out)
                else {
                    Audit.fail("cannot write \(self.out)")
                }
                file = opened
            }
            defer { if self.out != "-" { try? file.close() } }
            let count = try await Audit.running {
                try await AuditLogCheck.exportEntries(try Audit.loadConfiguration(self.config), logger: Audit.logger) {
                    lines in
                    try file.write(contentsOf: lines)
                }
            }
            if self.out != "-" { print("\(count) entries written to \(self.out)") }
        }
    }

    static var logger: Logger {
        var logger = Logger(label: "keel.audit")
        logger.logLevel = .error
        return logger
    }

    static func loadConfiguration(_ path: String?) throws -> KeelConfiguration {
        let environment = ProcessInfo.processInfo.environment
        return try ConfigLoader.load(path: path ?? environment["KEEL_CONFIG"], environment: environment)
    }

    /// Runs `body`; anything it throws means the check could not run (exit 2).
    static func running<Result>(_ body: () async throws -> Result) async -> Result {
        do {
            return try await body()
        } catch let error as ConfigurationError {
            Self.fail(error.issues.map { "\($0.key): \($0.reason)" }.joined(separator: "\n"))
        } catch {
            Self.fail("\(error)")
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("keel audit: \(message)\n".utf8))
        Foundation.exit(Self.cannotRun)
    }

    static func describe(_ problem: AuditLogVerifier.Problem) -> String {
        switch problem {
        case .invalidCheckpoint(let position, let error): "checkpoint \(position + 1) does not verify (\(error))"
        case .conflictingCheckpoints(let size): "two checkpoints of size \(size) have different roots"
        case .unreadableEntry(let error): "an entry is not a canonical entry of a known version (\(error))"
        case .leafHashMismatch: "an entry's bytes do not match the leaf hash stored for its position"
        case .sequenceGap(let instance, let expected, let found):
            "instance \(instance) skips from seq \(expected - 1) to \(found)"
        case .sequenceRegression(let instance, let expected, let found):
            "instance \(instance) repeats or reorders: seq \(found) where \(expected) was next"
        case .checkpointRootMismatch(let size, _, _): "the entries do not give the root signed at size \(size)"
        case .truncated(let count, let size):
            "the log holds \(count) entries, less than the \(size) a checkpoint covers"
        case .missingEntry(let size): "an entry is missing from the store (its size is \(size))"
        }
    }
}
