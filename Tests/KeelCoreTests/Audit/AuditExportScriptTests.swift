import Foundation
import KeelCore
import KeelTesting
import Testing

/// `scripts/audit-verify.py`, the independent check documented in `docs/audit-log.md`, run on a
/// log this code wrote. CI installs `python3`.
@Suite("Audit log export checked by the Python script")
struct AuditExportScriptTests {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/audit-verify.py").path

    @Test func thePythonScriptRecomputesTheRootAndChecksTheCheckpoint() async throws {
        let log = try AuditLogVerifierTests.Log(count: 21, checkpointSizes: [20])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func export(_ entries: [[UInt8]], as name: String) throws {
            try Data(entries.map { $0 + [0x0A] }.joined()).write(to: directory.appendingPathComponent(name))
        }
        try export(log.entries, as: "entries.jsonl")
        try Data(log.checkpoints[0].utf8).write(to: directory.appendingPathComponent("checkpoint.txt"))
        let key = AuditLogVerifierTests.signer.verifierKey.description

        func script(_ entries: String) async throws -> ChildProcess.Completion {
            try await ChildProcess.run(
                "/usr/bin/env",
                ["python3", Self.script, entries, "--checkpoint", "checkpoint.txt", "--key", key],
                directory: directory.path
            )
        }
        let root = MerkleTree.rootHash(ofLeafHashes: log.leafHashes)
        let good = try await script("entries.jsonl")
        #expect(good.termination == .exited(0), "\(good.output)")
        #expect(good.output == "entries 21\nroot \(root.hex) \(root.base64)\ncheckpoint ok keel.test/audit 20\n")

        var tampered = log.entries
        tampered.swapAt(3, 4)
        try export(tampered, as: "tampered.jsonl")
        let bad = try await script("tampered.jsonl")
        #expect(bad.termination == .exited(1))
        #expect(
            bad.output.hasSuffix("checkpoint FAILED: the first 20 entries do not have the signed root\n"),
            "\(bad.output)"
        )

        try export(Array(log.entries.prefix(19)), as: "short.jsonl")
        #expect(try await script("short.jsonl").termination == .exited(1))
    }

    @Test func theDocumentedExampleIsWhatTheScriptPrints() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(RFC6962Vectors.leaves.map { $0 + [0x0A] }.joined()).write(
            to: directory.appendingPathComponent("entries.jsonl")
        )
        try Data(SignedNoteTests.DocsExample.checkpoint.utf8).write(
            to: directory.appendingPathComponent("checkpoint.txt")
        )
        let result = try await ChildProcess.run(
            "/usr/bin/env",
            [
                "python3", Self.script, "entries.jsonl", "--checkpoint", "checkpoint.txt", "--key",
                SignedNoteTests.DocsExample.verifierKey,
            ],
            directory: directory.path
        )
        #expect(result.termination == .exited(0))
        #expect(
            result.output == """
                entries 8
                root 5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328 XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=
                checkpoint ok keel.example/audit 8

                """
        )
    }
}
