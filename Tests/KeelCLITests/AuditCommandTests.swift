import Foundation
import KeelTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `keel audit verify` and `keel audit checkpoint` as a user runs them, after `keel serve`
/// stopped: exit 0 on the untouched log, 1 naming the first bad index after tampering, 2 when it
/// cannot run; and the exported checkpoint checked by `scripts/audit-verify.py`, an Ed25519 and
/// Merkle implementation independent of Keel's.
@Suite("keel audit")
struct AuditCommandTests {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/audit-verify.py").path

    @Test func verifyExitsZeroOneOrTwoAndTheCheckpointVerifiesWithoutKeel() async throws {
        let directory = try KeelProcessTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try GatewayProcess.writeConfig(
            in: directory,
            extra: "compliance: { audit: { checkpoint_interval_ms: 1000 } }"
        )
        let started = try await GatewayProcess.start(config: config, log: directory.appendingPathComponent("keel.log"))
        defer { started.server.signal(SIGKILL) }
        for index in 0..<5 {
            let answered = try await KeelProcessTests.shell(
                "curl -s http://127.0.0.1:\(started.port)/v1/chat/completions -H 'authorization: Bearer \(GatewayProcess.adminKey)' "
                    + "-H 'content-type: application/json' -d '{\"model\":\"keel-sim-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"n \(index)\"}]}'"
            )
            #expect(answered.contains("chat.completion"))
        }
        let key = try await KeelProcessTests.shell(
            "curl -s http://127.0.0.1:\(started.port)/admin/v1/audit/key -H 'authorization: Bearer \(GatewayProcess.adminKey)'"
        )
        started.server.signal(SIGTERM)
        _ = await started.server.wait()

        let good = try await KeelProcessTests.run(["audit", "verify", "--config", config.path])
        #expect(good.status == 0, "\(good.output)")
        #expect(good.output.contains("audit log ok: 7 entries"), "\(good.output)")

        // The exported checkpoint and the entries, checked by the Python script alone.
        let checkpoint = directory.appendingPathComponent("checkpoint.txt")
        let exported = try await KeelProcessTests.run([
            "audit", "checkpoint", "--config", config.path, "--out", checkpoint.path,
        ])
        #expect(exported.status == 0, "\(exported.output)")
        let entries = directory.appendingPathComponent("entries.jsonl")
        let database = directory.appendingPathComponent("keel.sqlite").path
        let export = try await KeelProcessTests.run(["audit", "export", "--config", config.path, "--out", entries.path])
        #expect(export.status == 0 && export.output.contains("7 entries written"), "\(export.output)")
        let printed = try await KeelProcessTests.run(["audit", "export", "--config", config.path, "--out", "-"])
        #expect(printed.status == 0)
        #expect(printed.output == (try String(contentsOf: entries, encoding: .utf8)), "'-' prints the same lines")
        let independent = try await ChildProcess.run(
            "/usr/bin/env",
            [
                "python3", Self.script, entries.path, "--checkpoint", checkpoint.path, "--key",
                key.trimmingCharacters(in: .whitespacesAndNewlines),
            ]
        )
        #expect(independent.termination == .exited(0), "\(independent.output)")
        #expect(independent.output.contains("checkpoint ok keel/audit 7"), "\(independent.output)")

        // An evidence pack of the day: the five requests, their digest, proofs, access review.
        let today = ISO8601DateFormatter.string(
            from: Date(),
            timeZone: TimeZone(identifier: "UTC")!,
            formatOptions: [.withFullDate]
        )
        let tomorrow = ISO8601DateFormatter.string(
            from: Date().addingTimeInterval(86_400),
            timeZone: TimeZone(identifier: "UTC")!,
            formatOptions: [.withFullDate]
        )
        let pack = directory.appendingPathComponent("evidence")
        let evidence = try await KeelProcessTests.run(
            [
                "compliance", "evidence", "--config", config.path, "--framework", "hipaa", "--from", today, "--to",
                tomorrow, "--out", pack.path,
            ])
        #expect(evidence.status == 0, "\(evidence.output)")
        #expect(evidence.output.contains("5 records"), "\(evidence.output)")
        let population = try String(
            contentsOf: pack.appendingPathComponent("population/requests.jsonl"),
            encoding: .utf8
        )
        #expect(population.split(separator: "\n").count == 5)
        let digest = try await KeelProcessTests.shell("cd \(pack.path)/population && sha256sum -c requests.sha256")
        #expect(digest.contains("requests.jsonl: OK"), "\(digest)")
        let controls = try String(contentsOf: pack.appendingPathComponent("controls.json"), encoding: .utf8)
        #expect(controls.contains("§164.312(b)") && controls.contains(#""evidence":["#))
        let proofs = try String(
            contentsOf: pack.appendingPathComponent("audit/inclusion-proofs.jsonl"),
            encoding: .utf8
        )
        #expect(proofs.split(separator: "\n").count == 7, "every entry of the day is in the sample of 25")
        let review = try String(contentsOf: pack.appendingPathComponent("access-review.csv"), encoding: .utf8)
        #expect(review.hasPrefix("key_id,name,role,org,team,project,user,state,created_at,last_used_at,flag\n"))
        let manifest = try String(contentsOf: pack.appendingPathComponent("manifest.json"), encoding: .utf8)
        #expect(manifest.contains(#""framework":"hipaa""#) && manifest.contains("population/requests.jsonl"))
        #expect(
            try await KeelProcessTests.run(
                [
                    "compliance", "evidence", "--config", config.path, "--framework", "iso", "--from", today, "--to",
                    tomorrow, "--out", pack.path,
                ]).status != 0
        )

        // Entry 4 is a request's: its entry is rebuilt from the record row, so changing the row's
        // cost changes the entry.
        _ = try await KeelProcessTests.shell(
            "python3 -c \"import sqlite3; c=sqlite3.connect('\(database)'); "
                + "assert c.execute('SELECT kind, length(entry) FROM audit_entry WHERE idx=4').fetchone() == ('request', 0); "
                + "c.execute('UPDATE request_record SET cost_nanos=cost_nanos+1 WHERE id=(SELECT request_id FROM audit_entry WHERE idx=4)'); c.commit()\""
        )
        let bad = try await KeelProcessTests.run(["audit", "verify", "--config", config.path])
        #expect(bad.status == 1, "\(bad.output)")
        #expect(bad.output.contains("first bad index: 4"), "\(bad.output)")

        #expect(
            try await KeelProcessTests.run([
                "audit", "verify", "--config", directory.appendingPathComponent("missing.yaml").path,
            ]).status == 2
        )
        #expect(try await KeelProcessTests.run(["audit", "verify", "--no-such-option"]).status == 2)
        let elsewhere = try GatewayProcess.writeConfig(
            in: directory.appendingPathComponent("empty", isDirectory: true).creatingDirectory()
        )
        #expect(
            try await KeelProcessTests.run(["audit", "verify", "--config", elsewhere.path]).status == 2,
            "no database there"
        )
    }
}

extension URL {
    fileprivate func creatingDirectory() throws -> URL {
        try FileManager.default.createDirectory(at: self, withIntermediateDirectories: true)
        return self
    }
}
