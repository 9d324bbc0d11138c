import Foundation
import KeelCore
import KeelServer
import KeelStorage
import KeelTesting
import Logging
import NIOHTTP1
import Testing

/// The audit log written by a running gateway: one entry per recorded request, signed
/// checkpoints, the `/admin/v1/audit` API, and `AuditLogCheck` (what `keel audit verify` runs)
/// catching every kind of tampering on both backends.
@Suite("Audit log of a running gateway")
struct AuditLogTests {
    static let logger = Logger(label: "keel.test.audit", factory: { _ in SwiftLogNoOpLogHandler() })

    static func configure(_ database: TestDatabase) -> @Sendable (inout KeelConfiguration) -> Void {
        let url = TestKeel.postgresURL
        let schema = TestKeel.uniquePostgresSchema()
        return { configuration in
            configuration.compliance.audit.checkpointIntervalMs = 1_000
            if database == .postgres, let url {
                configuration.storage = .init(url: url, schema: schema, maxConnections: 4)
            }
        }
    }

    /// Sends `count` chat requests (every third for a model that does not exist, so errors are
    /// logged too); returns their request ids.
    static func traffic(_ keel: TestGateway, count: Int) async throws -> [String] {
        var ids: [String] = []
        for index in 0..<count {
            let model = index % 3 == 2 ? "no-such-model" : "keel-sim-chat"
            let answer = try await keel.post("/v1/chat/completions", json: chatBody("entry \(index)", model: model))
            #expect(answer.status == (index % 3 == 2 ? 404 : 200), "\(answer.body)")
            ids.append(try #require(answer.headers["x-keel-request-id"]))
        }
        return ids
    }

    /// The bytes of a base64 member of the API's answers.
    static func bytes(_ value: Any?) throws -> [UInt8] {
        let text = try #require(value as? String)
        return try #require(Base64Coding.decode(text))
    }

    static func hashes(_ value: Any?) throws -> [MerkleHash] {
        try #require(value as? [String]).map { try #require(MerkleHash(base64: $0)) }
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any],
            "\(response.body)"
        )
    }

    @Test(arguments: TestDatabase.enabled)
    func everyRequestHasAnEntryAndTheAPIServesProofsThatVerify(database: TestDatabase) async throws {
        try await TestKeel.run(configure: Self.configure(database)) { keel in
            let ids = try await Self.traffic(keel, count: 6)

            // A request's entry is written shortly after its answer (on PostgreSQL with the whole
            // suite running, seconds after).
            var found = try await keel.send(.GET, "/admin/v1/audit/requests/\(ids[5])")
            for _ in 0..<750 where found.status == 404 {
                try await Task.sleep(for: .milliseconds(20))
                found = try await keel.send(.GET, "/admin/v1/audit/requests/\(ids[5])")
            }
            #expect(found.status == 200, "\(found.body)")
            let located = try Self.json(found)
            let entryBytes = try Self.bytes(located["entry"])
            let entry = try AuditEntry(canonicalBytes: entryBytes)
            guard case .request(let request) = entry.payload else {
                Issue.record("not a request entry: \(entry)")
                return
            }
            #expect(request.requestID.rawValue == ids[5])
            #expect(request.status == 404)
            #expect(entry.instanceID.hasPrefix("keel-"))
            #expect(!String(decoding: entryBytes, as: UTF8.self).contains("entry 5"), "no prompt text in the log")

            // The log starts with the key's checkpoint entry and the configuration loaded.
            let first = try Self.json(try await keel.send(.GET, "/admin/v1/audit/entries?start=0&end=2"))
            let firstEntries = try #require(first["entries"] as? [[String: Any]])
            let kinds = try firstEntries.map { try AuditEntry(canonicalBytes: try Self.bytes($0["entry"])).kind }
            #expect(kinds == [.checkpoint, .configLoaded])
            #expect(firstEntries.map { $0["index"] as? Int } == [0, 1])

            // A checkpoint covering every request.
            let keyText = try await keel.send(.GET, "/admin/v1/audit/key")
            #expect(keyText.status == 200)
            #expect(keyText.headers["content-type"]?.hasPrefix("text/plain") == true)
            let key = try NoteVerifierKey(parsing: String(keyText.body.dropLast()))
            #expect(keyText.body.hasSuffix("\n") && !keyText.body.dropLast().contains("\n"))
            var checkpoint = try AuditCheckpoint.verified(
                try await keel.send(.GET, "/admin/v1/audit/checkpoint").body,
                by: key
            )
            for _ in 0..<200 where checkpoint.size < 8 {
                try await Task.sleep(for: .milliseconds(50))
                checkpoint = try AuditCheckpoint.verified(
                    try await keel.send(.GET, "/admin/v1/audit/checkpoint").body,
                    by: key
                )
            }
            #expect(checkpoint.size == 8, "two start entries and six requests")
            #expect(checkpoint.origin == key.name)

            // Every entry's inclusion proof against the checkpoint, and the entries' own root.
            let listed = try Self.json(try await keel.send(.GET, "/admin/v1/audit/entries?start=0&end=100"))
            let all = try #require(listed["entries"] as? [[String: Any]]).map { try Self.bytes($0["entry"]) }
            #expect(all.count == 8)
            #expect(MerkleTree.rootHash(ofEntries: all) == checkpoint.rootHash)
            for index in 0..<8 {
                let proof = try Self.json(
                    try await keel.send(.GET, "/admin/v1/audit/proof/inclusion?index=\(index)&tree_size=8")
                )
                #expect(proof["index"] as? Int == index && proof["tree_size"] as? Int == 8)
                let hashes = try Self.hashes(proof["hashes"])
                try MerkleProof.verifyInclusion(
                    leafIndex: UInt64(index),
                    treeSize: 8,
                    leafHash: MerkleTree.leafHash(of: all[index]),
                    proof: hashes,
                    rootHash: checkpoint.rootHash
                )
            }
            let consistency = try Self.json(
                try await keel.send(.GET, "/admin/v1/audit/proof/consistency?first=3&second=8")
            )
            #expect(consistency["first"] as? Int == 3 && consistency["second"] as? Int == 8)
            try MerkleProof.verifyConsistency(
                oldSize: 3,
                newSize: 8,
                oldRoot: MerkleTree.rootHash(ofEntries: all.prefix(3)),
                newRoot: checkpoint.rootHash,
                proof: try Self.hashes(consistency["hashes"])
            )

            // Bad ranges are the client's error.
            for path in [
                "/admin/v1/audit/entries?start=5&end=5", "/admin/v1/audit/entries?start=99&end=100",
                "/admin/v1/audit/entries?start=x&end=2",
                "/admin/v1/audit/proof/inclusion?index=8&tree_size=8",
                "/admin/v1/audit/proof/inclusion?index=0&tree_size=999",
                "/admin/v1/audit/proof/consistency?first=0&second=8",
                "/admin/v1/audit/proof/consistency?first=5&second=4",
            ] {
                let refused = try await keel.send(.GET, path)
                #expect(refused.status == 400, "\(path): \(refused.status) \(refused.body)")
            }
            #expect(try await keel.send(.GET, "/admin/v1/audit/requests/req_nothing").status == 404)
            let metrics = try await keel.send(.GET, "/metrics", key: nil)
            #expect(metrics.body.contains("keel_audit_gap 0"))

            await keel.shutdown()
            // The final checkpoint covers everything, and the whole stored log verifies.
            let report = try await AuditLogCheck.verify(keel.app.configuration, logger: Self.logger)
            guard case .verified(let summary) = report.result else {
                Issue.record("\(report.result)")
                return
            }
            #expect(summary.leafCount == 8 && summary.signedSize == 8)
            #expect(report.keys == [key.description])
        }
    }

    @Test func onlyAdminsAndAuditorsReadTheLog() async throws {
        try await TestKeel.run(configure: Self.configure(.sqlite)) { keel in
            var keys: [String: String] = [:]
            #expect(try await keel.post("/admin/v1/orgs", json: #"{"id":"o1","name":"o1"}"#).status == 201)
            #expect(try await keel.post("/admin/v1/teams", json: #"{"id":"t1","org":"o1","name":"t1"}"#).status == 201)
            for role in ["none", "viewer", "auditor", "team_admin"] {
                let scope = role == "auditor" ? "" : #","team":"t1""#
                let created = try await keel.post("/admin/v1/keys", json: #"{"role":"\#(role)"\#(scope)}"#)
                keys[role] = try #require((try Self.json(created))["key"] as? String, "\(created.body)")
            }
            for path in ["/admin/v1/audit/checkpoint", "/admin/v1/audit/key", "/admin/v1/audit/entries?start=0&end=1"] {
                #expect(try await keel.send(.GET, path, key: keys["auditor"]).status == 200, "\(path)")
                #expect(try await keel.send(.GET, path).status == 200, "\(path)")
                for role in ["none", "viewer", "team_admin"] {
                    #expect(try await keel.send(.GET, path, key: keys[role]).status == 403, "\(path) as \(role)")
                }
                #expect(try await keel.send(.GET, path, key: nil).status == 401, "\(path)")
            }
        }
    }

    /// A stored log's rows, to put back after each tampering.
    /// The audit tables as they were, and the request records' columns a test alters, to put
    /// back after each kind of tampering.
    struct SavedLog {
        var entries: [SQLRow]
        var nodes: [SQLRow]
        var size: Int64
        var records: [SQLRow]

        static func save(_ database: any SQLDatabase) async throws -> SavedLog {
            SavedLog(
                entries: try await database.rows(
                    "SELECT idx, instance_id, seq, kind, time_us, request_id, entry, digest_salt_id, prompt_digest, answer_digest FROM audit_entry ORDER BY idx"
                ),
                nodes: try await database.rows("SELECT level, idx, hash FROM audit_node"),
                size: try #require(try await database.row("SELECT tree_size FROM audit_head")).decode("tree_size"),
                records: try await database.rows("SELECT id, total_us FROM request_record")
            )
        }

        func restore(_ database: any SQLDatabase) async throws {
            try await database.transaction { tx in
                try await tx.run("DELETE FROM audit_entry")
                try await tx.run("DELETE FROM audit_node")
                try await tx.run("UPDATE audit_head SET tree_size = \(self.size)")
                for row in self.entries {
                    try await tx.run(Self.insertEntry(row, index: try row.decode("idx")))
                }
                for row in self.nodes {
                    try await tx.run(
                        "INSERT INTO audit_node (level, idx, hash) VALUES (\(try row.value("level")), \(try row.value("idx")), \(try row.value("hash")))"
                    )
                }
                for row in self.records {
                    try await tx.run(
                        "UPDATE request_record SET total_us = \(try row.value("total_us")) WHERE id = \(try row.value("id"))"
                    )
                }
            }
        }

        static func insertEntry(_ row: SQLRow, index: Int64, bytes: [UInt8]? = nil) throws -> SQLStatement {
            let entry: SQLValue = try bytes.map { .blob($0) } ?? row.value("entry")
            return """
                INSERT INTO audit_entry (idx, instance_id, seq, kind, time_us, request_id, entry, digest_salt_id, prompt_digest, answer_digest) VALUES \
                (\(index), \(try row.value("instance_id")), \(try row.value("seq")), \(try row.value("kind")), \(try row.value("time_us")), \
                \(try row.value("request_id")), \(entry), \(try row.value("digest_salt_id")), \(try row.value("prompt_digest")), \(try row.value("answer_digest")))
                """
        }
    }

    /// `checkpoint_entries` arriving signs a checkpoint at once, not at the next tick (here 5 s
    /// away: a quarter of a 20 s interval, at most 5 s).
    @Test func enoughEntriesAreSignedWithoutWaitingForTheTick() async throws {
        try await TestKeel.run(configure: { configuration in
            configuration.compliance.audit.checkpointIntervalMs = 20_000
            configuration.compliance.audit.checkpointEntries = 4
        }) { keel in
            _ = try await Self.traffic(keel, count: 6)
            // From the moment the entries are stored (on a loaded machine the recorder's
            // low-priority writer may take a while), the checkpoint follows within far less than
            // the tick.
            func stored() async throws -> Int {
                let page = try AuditLogTests.json(try await keel.send(.GET, "/admin/v1/audit/entries?start=0&end=100"))
                return (page["entries"] as? [Any])?.count ?? 0
            }
            let waiting = ContinuousClock.now
            while try await stored() < 5, ContinuousClock.now - waiting < .seconds(30) {
                try await Task.sleep(for: .milliseconds(20))
            }
            let started = ContinuousClock.now
            var size = 0
            while size < 4, ContinuousClock.now - started < .milliseconds(1_500) {
                try await Task.sleep(for: .milliseconds(50))
                let note = try await keel.send(.GET, "/admin/v1/audit/checkpoint").body
                size = Int(note.split(separator: "\n").dropFirst().first ?? "") ?? 0
            }
            #expect(size >= 4, "signed within \(ContinuousClock.now - started) of the entries being stored")
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func verifyNamesTheFirstIndexOfEveryKindOfTampering(database: TestDatabase) async throws {
        try await TestKeel.run(configure: Self.configure(database)) { keel in
            _ = try await Self.traffic(keel, count: 10)
            await keel.shutdown()
            let configuration = keel.app.configuration
            func verify() async throws -> AuditLogVerifier.Result {
                try await AuditLogCheck.verify(configuration, logger: Self.logger).result
            }
            guard case .verified(let summary) = try await verify() else {
                Issue.record("the untouched log must verify")
                return
            }
            #expect(summary.leafCount == 12 && summary.signedSize == 12)

            try await keel.withStores { stores in
                let database = stores.database
                let saved = try await SavedLog.save(database)
                func expectFailure(
                    at index: UInt64,
                    _ what: String,
                    sourceLocation: SourceLocation = #_sourceLocation
                ) async throws {
                    let result = try await verify()
                    guard case .failed(let failure) = result else {
                        Issue.record("\(what): the log still verifies", sourceLocation: sourceLocation)
                        return
                    }
                    #expect(failure.index == index, "\(what): \(failure)", sourceLocation: sourceLocation)
                    try await saved.restore(database)
                    guard case .verified = try await verify() else {
                        Issue.record("\(what): the restored log does not verify", sourceLocation: sourceLocation)
                        return
                    }
                }

                // The entries' bytes as verification reads them (a request's are rebuilt from its
                // record row: its stored entry is empty).
                let bytes = try await stores.audit.entries(from: 0, to: 12).map(\.bytes)
                #expect(try saved.entries[5].decode("kind", as: String.self) == "request")
                #expect(
                    try saved.entries[5].decode("entry", as: [UInt8].self).isEmpty,
                    "a request's entry refers to its record"
                )

                // One byte of one entry changed.
                var flipped = bytes[5]
                flipped[flipped.count / 2] ^= 0x01
                try await database.run("UPDATE audit_entry SET entry = \(flipped) WHERE idx = 5")
                try await expectFailure(at: 5, "a flipped byte")

                // One byte changed, and its leaf hash rewritten to match: the checkpoint catches it.
                try await database.run("UPDATE audit_entry SET entry = \(flipped) WHERE idx = 5")
                try await database.run(
                    "UPDATE audit_node SET hash = \(MerkleTree.leafHash(of: flipped).bytes) WHERE level = 0 AND idx = 5"
                )
                let caught = try await verify()
                guard case .failed = caught else {
                    Issue.record("a rewritten leaf hash: the log still verifies")
                    return
                }
                try await saved.restore(database)

                // A request's record row altered: its entry with it.
                let requestID: String = try saved.entries[6].decode("request_id")
                try await database.run("UPDATE request_record SET total_us = total_us + 1 WHERE id = \(requestID)")
                try await expectFailure(at: 6, "an altered record")

                // One entry deleted.
                try await database.run("DELETE FROM audit_entry WHERE idx = 7")
                try await expectFailure(at: 7, "a deleted entry")

                // A forged entry inserted at 4, the rest moved up.
                try await database.transaction { tx in
                    try await tx.run("UPDATE audit_entry SET idx = idx + 1000 WHERE idx >= 4")
                    try await tx.run("UPDATE audit_entry SET idx = idx - 999 WHERE idx >= 1000")
                    let forged = AuditEntry(
                        instanceID: "keel-forged",
                        seq: 1,
                        time: 1_796_000_000_000_000,
                        payload: .configLoaded(.init(configSHA256: String(repeating: "0", count: 64), source: "forged"))
                    )
                    try await tx.run(
                        """
                        INSERT INTO audit_entry (idx, instance_id, seq, kind, time_us, request_id, entry) \
                        VALUES (4, 'keel-forged', 1, 'config_loaded', 1796000000000000, NULL, \(forged.canonicalBytes()))
                        """
                    )
                }
                try await expectFailure(at: 4, "an inserted entry")

                // Two entries swapped.
                let (third, fourth) = (bytes[3], bytes[4])
                try await database.run("UPDATE audit_entry SET entry = \(fourth) WHERE idx = 3")
                try await database.run("UPDATE audit_entry SET entry = \(third) WHERE idx = 4")
                try await expectFailure(at: 3, "two entries reordered")

                // The log cut after 9 entries, its tree and size too.
                try await database.transaction { tx in
                    try await tx.run("DELETE FROM audit_entry WHERE idx >= 9")
                    // Keep only the complete subtrees within the first 9 leaves.
                    for level in 0..<8 {
                        try await tx.run(
                            "DELETE FROM audit_node WHERE level = \(Int64(level)) AND idx >= \(Int64(9 >> level))"
                        )
                    }
                    try await tx.run("UPDATE audit_head SET tree_size = 9")
                }
                try await expectFailure(at: 9, "a truncated log")

                // A record deleted outside retention (which writes its entry out first).
                try await database.run("DELETE FROM request_record WHERE id = \(requestID)")
                let gone = try await verify()
                guard case .failed(let failure) = gone else {
                    Issue.record("a deleted record: the log still verifies")
                    return
                }
                #expect(failure.index == 6, "a deleted record: \(failure)")
            }
        }
    }
}

/// Strict audit mode: an organisation's requests are answered only once their `request_started`
/// entry is stored; when the store cannot take it, they are refused, never answered unaudited.
@Suite("Strict audit mode")
struct StrictAuditTests {
    @Test(arguments: TestDatabase.enabled)
    func aStrictOrgIsRefusedWhileTheLogCannotBeWrittenAndOthersAreServed(database: TestDatabase) async throws {
        let base = AuditLogTests.configure(database)
        try await TestKeel.run(configure: { configuration in
            base(&configuration)
            configuration.compliance.orgs = [.init(org: "strict-org", audit: .strict), .init(org: "plain-org")]
            // Long enough for a loaded machine's write (3 s was not, on PostgreSQL with the whole
            // suite running), short enough for the refusal below.
            configuration.compliance.audit.strictTimeoutMs = 8_000
        }) { keel in
            var keys: [String: String] = [:]
            for org in ["strict-org", "plain-org"] {
                #expect(
                    try await keel.post("/admin/v1/orgs", json: #"{"id":"\#(org)","name":"\#(org)"}"#).status == 201
                )
                #expect(
                    try await keel.post("/admin/v1/teams", json: #"{"id":"\#(org)-team","org":"\#(org)","name":"t"}"#)
                        .status == 201
                )
                let created = try await keel.post("/admin/v1/keys", json: #"{"team":"\#(org)-team"}"#)
                keys[org] = try #require((try AuditLogTests.json(created))["key"] as? String, "\(created.body)")
            }

            // While the log can be written, a strict request is logged before it is answered.
            let served = try await keel.post("/v1/chat/completions", json: chatBody("strict"), key: keys["strict-org"])
            #expect(served.status == 200, "\(served.body)")
            let servedID = try #require(served.headers["x-keel-request-id"])

            // Another connection holds the log's head: the gateway's writes wait behind it.
            let (refused, plain) = try await keel.withStores { stores in
                try await stores.database.transaction { tx in
                    try await tx.run("UPDATE audit_head SET tree_size = tree_size WHERE id = 1")
                    let refused = try await keel.post(
                        "/v1/chat/completions",
                        json: chatBody("strict"),
                        key: keys["strict-org"]
                    )
                    let plain = try await keel.post(
                        "/v1/chat/completions",
                        json: chatBody("plain"),
                        key: keys["plain-org"]
                    )
                    return (refused, plain)
                }
            }
            #expect(refused.status == 503, "\(refused.body)")
            #expect(refused.body.contains(#""code":"audit_unavailable""#), "\(refused.body)")
            #expect(plain.status == 200, "a standard org is answered; its entry follows: \(plain.body)")
            let refusedID = try #require(refused.headers["x-keel-request-id"])

            await keel.shutdown()
            let records = try await keel.records()
            #expect(records.first { $0.id.rawValue == refusedID }?.status == 503, "the refused request is recorded")
            let entries = try await keel.withStores { stores in
                try await stores.audit.entries(from: 0, to: 1_000).map { try AuditEntry(canonicalBytes: $0.bytes) }
            }
            let started = entries.firstIndex {
                if case .requestStarted(let start) = $0.payload { return start.requestID.rawValue == servedID }
                return false
            }
            let finished = entries.firstIndex {
                if case .request(let request) = $0.payload { return request.requestID.rawValue == servedID }
                return false
            }
            #expect(started != nil && finished != nil && started! < finished!, "started before its record's entry")
            #expect(
                entries.filter { if case .request = $0.payload { return true } else { return false } }.count
                    == records.count
            )
            guard
                case .verified = try await AuditLogCheck.verify(keel.app.configuration, logger: AuditLogTests.logger)
                    .result
            else {
                Issue.record("the log verifies")
                return
            }
        }
    }
}

@Suite("Admin changes in the audit log")
struct AdminChangeAuditTests {
    @Test func everySuccessfulChangeIsAnEntryWithItsActorTargetAndRedactedSummary() async throws {
        try await TestKeel.run(configure: AuditLogTests.configure(.sqlite)) { keel in
            #expect(try await keel.post("/admin/v1/orgs", json: #"{"id":"acme","name":"Acme"}"#).status == 201)
            #expect(
                try await keel.post("/admin/v1/orgs", json: #"{"id":"acme","name":"Acme"}"#).status == 409,
                "a refused change"
            )
            #expect(
                try await keel.post("/admin/v1/teams", json: #"{"id":"search","org":"acme","name":"Search"}"#).status
                    == 201
            )
            let created = try await keel.post("/admin/v1/keys", json: #"{"role":"admin","name":"ci"}"#)
            #expect(created.status == 201)
            let body = try AuditLogTests.json(created)
            let secret = try #require(body["key"] as? String, "the answer reaches the client whole: \(created.body)")
            let keyID = try #require(body["id"] as? String)
            // A change made by a key with an admin role is attributed to that key.
            let patched = try await keel.send(
                .PATCH,
                "/admin/v1/teams/search",
                body: #"{"name":"Search 2"}"#,
                key: secret
            )
            #expect(patched.status == 200, "\(patched.body)")
            #expect(try await keel.send(.DELETE, "/admin/v1/keys/\(keyID)").status == 200)
            #expect(try await keel.send(.GET, "/admin/v1/keys").status == 200)

            await keel.shutdown()
            let changes = try await keel.withStores { stores in
                try await stores.audit.entries(from: 0, to: 1_000).compactMap { stored -> AuditEntry.AdminChange? in
                    guard case .adminChange(let change) = try AuditEntry(canonicalBytes: stored.bytes).payload else {
                        return nil
                    }
                    return change
                }
            }
            let expected = [
                ("orgs.create", "org", "acme"), ("teams.create", "team", "search"), ("keys.create", "key", keyID),
                ("teams.update", "team", "search"),
                ("keys.revoke", "key", keyID),
            ]
            #expect(
                changes.map { "\($0.action) \($0.targetType) \($0.targetID)" }
                    == expected.map { "\($0.0) \($0.1) \($0.2)" }
            )
            #expect(changes.first?.actorKeyID == "admin" && changes.first?.actorRole == .admin)
            #expect(
                changes.count == 5 && changes[3].actorKeyID == KeyID(keyID),
                "the change by the admin-role key is its own"
            )
            #expect(
                changes.first?.summary
                    == .object([.init(key: "id", value: .string("acme")), .init(key: "name", value: .string("Acme"))])
            )
            let text = try await keel.withStores { stores in
                try await stores.audit.entries(from: 0, to: 1_000).map { String(decoding: $0.bytes, as: UTF8.self) }
                    .joined()
            }
            #expect(!text.contains(secret), "no key secret in the log")
        }
    }
}

@Suite("One audit log from two instances", .enabled(if: TestKeel.postgresURL != nil))
struct TwoInstanceAuditTests {
    @Test func twoGatewaysOnOnePostgreSQLDatabaseWriteOneLogThatVerifies() async throws {
        let configure = AuditLogTests.configure(.postgres)
        try await TestKeel.run(configure: configure) { first in
            let storage = first.app.configuration.storage
            try await TestKeel.run(configure: { configuration in
                configure(&configuration)
                configuration.storage = storage
            }) { second in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for gateway in [first, second] {
                        group.addTask {
                            for index in 0..<20 {
                                let answer = try await gateway.post(
                                    "/v1/chat/completions",
                                    json: chatBody("two \(index)")
                                )
                                #expect(answer.status == 200)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                await second.shutdown()
            }
            await first.shutdown()
            let report = try await AuditLogCheck.verify(first.app.configuration, logger: AuditLogTests.logger)
            guard case .verified(let summary) = report.result else {
                Issue.record("\(report.result)")
                return
            }
            // Each instance: its key entry (the first only), its configuration, its 20 requests.
            #expect(summary.leafCount == 43, "\(summary)")
            #expect(summary.signedSize == 43)
            #expect(summary.lastSequence.count == 2)
            #expect(summary.lastSequence.values.sorted() == [21, 22])
        }
    }
}

@Suite("Content digests in the audit log")
struct ContentDigestAuditTests {
    @Test(arguments: TestDatabase.enabled)
    func promptAndAnswerDigestsAreTheHMACOfTheBytesWithTheOrgsSalt(database: TestDatabase) async throws {
        try await TestKeel.run(configure: AuditLogTests.configure(database)) { keel in
            let complete = chatBody("digest me")
            let streamed = chatBody("digest my stream", extra: #""stream":true"#)
            let first = try await keel.post("/v1/chat/completions", json: complete)
            let second = try await keel.post("/v1/chat/completions", json: streamed)
            #expect(first.status == 200 && second.status == 200)
            await keel.shutdown()
            let (salt, entries) = try await keel.withStores { stores in
                let salt = try await stores.audit.salt(forOrg: "", now: 0)
                let entries = try await stores.audit.entries(from: 0, to: 100).map {
                    try AuditEntry(canonicalBytes: $0.bytes)
                }
                return (salt, entries)
            }
            let digester = AuditContentDigester(saltID: salt.id, salt: salt.salt)
            for (prompt, answer) in [(complete, first), (streamed, second)] {
                let id = try #require(answer.headers["x-keel-request-id"])
                let request = try #require(
                    entries.lazy.compactMap { entry -> AuditEntry.Request? in
                        if case .request(let request) = entry.payload, request.requestID.rawValue == id {
                            return request
                        }
                        return nil
                    }.first
                )
                #expect(request.contentDigests?.saltID == salt.id)
                #expect(request.contentDigests?.prompt == digester.digest(of: Array(prompt.utf8)))
                #expect(
                    request.contentDigests?.answer == digester.digest(of: Array(answer.body.utf8)),
                    "stream: \(request.stream)"
                )
            }
        }
    }
}

@Suite("Audit completeness monitor")
struct AuditCompletenessTests {
    @Test(arguments: TestDatabase.enabled)
    func aGapInAnInstancesSequenceFiresAuditGapAndShowsInMetrics(database: TestDatabase) async throws {
        try await TestKeel.run(configure: AuditLogTests.configure(database)) { keel in
            #expect(try await keel.post("/v1/chat/completions", json: chatBody("before")).status == 200)
            // Another writer's entries: seq 1 and 2, then 4 — entry 3 never reached the log.
            try await keel.withStores { stores in
                for seqs in [[UInt64(1), 2], [4]] {
                    let leaves = try seqs.map { seq in
                        AuditLeaf(
                            AuditEntry(
                                instanceID: "keel-other",
                                seq: seq,
                                time: 1_796_000_000_000_000,
                                payload: .adminChange(
                                    try .init(
                                        actorKeyID: "admin",
                                        actorRole: .admin,
                                        action: "keys.create",
                                        targetType: "key",
                                        targetID: "k\(seq)"
                                    )
                                )
                            )
                        )
                    }
                    try await stores.audit.append(leaves)
                    try await Task.sleep(for: .milliseconds(600))
                }
            }
            var metrics = try await keel.send(.GET, "/metrics", key: nil)
            for _ in 0..<100 where !metrics.body.contains("keel_audit_gap 1") {
                try await Task.sleep(for: .milliseconds(100))
                metrics = try await keel.send(.GET, "/metrics", key: nil)
            }
            #expect(metrics.body.contains("keel_audit_gap 1"))
            // The flag is set before the alert is delivered: on a loaded machine the alert can
            // come a moment after the metric.
            var alerts = try await keel.send(.GET, "/admin/v1/alerts")
            for _ in 0..<50 where !alerts.body.contains(#""rule":"audit_gap""#) {
                try await Task.sleep(for: .milliseconds(100))
                alerts = try await keel.send(.GET, "/admin/v1/alerts")
            }
            #expect(alerts.body.contains(#""rule":"audit_gap""#), "\(alerts.body)")
            #expect(alerts.body.contains("keel-other"), "\(alerts.body)")
        }
    }
}

@Suite("Retention")
struct RetentionTests {
    static let day: Int64 = 86_400_000_000

    @Test(arguments: TestDatabase.enabled)
    func expiredRecordsAndTheLogsOldPrefixArePurgedLoggedAndTheTreeStillVerifies(database: TestDatabase) async throws {
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "keel-retention-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let schema = TestKeel.uniquePostgresSchema()
        var storage = KeelConfiguration.Storage()
        storage.url = "sqlite://" + directory.appendingPathComponent("keel.sqlite").path
        if database == .postgres, let url = TestKeel.postgresURL {
            storage = .init(url: url, schema: schema, maxConnections: 4)
        }

        // A log and records from before this gateway: three entries older than six years, one
        // of 100 days; records of 40 days without an organisation and of a HIPAA organisation.
        let old = [
            RequestRecord.fixtureForRetention("old-plain", at: now - 40 * Self.day, org: nil),
            RequestRecord.fixtureForRetention("old-acme", at: now - 40 * Self.day, org: "acme"),
            RequestRecord.fixtureForRetention("recent", at: now - Self.day, org: nil),
        ]
        let times = [now - 3_000 * Self.day, now - 2_900 * Self.day, now - 2_800 * Self.day, now - 100 * Self.day]
        let adminLeaves = try times.enumerated().map { index, time in
            AuditLeaf(
                AuditEntry(
                    instanceID: "keel-earlier",
                    seq: UInt64(index + 1),
                    time: time,
                    payload: .adminChange(
                        try .init(
                            actorKeyID: "admin",
                            actorRole: .admin,
                            action: "orgs.create",
                            targetType: "org",
                            targetID: "o\(index)"
                        )
                    )
                )
            )
        }
        // The records' own entries refer to them; the audit log outlives "old-plain".
        let requestEntries = old.enumerated().map { index, record in
            AuditEntry(
                instanceID: "keel-earlier",
                seq: UInt64(times.count + index + 1),
                time: record.startedAt,
                payload: .request(.init(record))
            )
        }
        let leaves = adminLeaves + requestEntries.map { AuditLeaf(recordedWith: $0) }
        #expect(leaves.last?.storage == .record(nil))
        var seeding = KeelConfiguration()
        seeding.storage = storage
        try await AuditLogCheck.withStores(seeding, logger: AuditLogTests.logger, creating: true) { stores in
            try await stores.requests.append(old, audit: leaves)
        }

        try await TestKeel.run(configure: { [storage] configuration in
            configuration.storage = storage
            configuration.compliance.retentionDays = 30
            configuration.compliance.retentionSweepIntervalMs = 1_000
            configuration.compliance.orgs = [.init(org: "acme", hipaa: true)]
            configuration.compliance.audit.checkpointIntervalMs = 1_000
        }) { keel in
            var purges: [AuditEntry.Purge] = []
            for _ in 0..<100 where purges.count < 2 {
                try await Task.sleep(for: .milliseconds(100))
                purges = try await keel.withStores { stores in
                    try await stores.audit.entries(from: 0, to: 1_000).compactMap { stored in
                        guard case .purge(let purge) = try AuditEntry(canonicalBytes: stored.bytes).payload else {
                            return nil
                        }
                        return purge
                    }
                }
            }
            #expect(Set(purges.map { "\($0.target) \($0.rows)" }) == ["request_log 1", "audit_log 3"], "\(purges)")
            await keel.shutdown()
            let ids = try await keel.records().map(\.id.rawValue)
            #expect(!ids.contains("old-plain"), "past compliance.retention_days")
            #expect(ids.contains("old-acme"), "a HIPAA organisation keeps six years")
            #expect(ids.contains("recent"))

            try await keel.withStores { stores in
                #expect(try await stores.audit.purgedBefore() == 3)
                // The purged record's entry was written out in full before the record went.
                let written = try await stores.database.row(
                    "SELECT length(entry) AS bytes FROM audit_entry WHERE request_id = 'old-plain'"
                )
                #expect(try written?.decode("bytes", as: Int64.self) ?? 0 > 0)
                let entry = try #require(try await stores.audit.entry(forRequest: "old-plain"))
                #expect(entry.bytes == requestEntries[0].canonicalBytes())
                #expect(try await stores.audit.entry(forRequest: "recent")?.bytes == requestEntries[2].canonicalBytes())
                #expect(try await stores.audit.entries(from: 0, to: 10).first?.index == 3)
                // A purged entry's inclusion proof still checks against the current root.
                let head = try await stores.audit.head()
                let proof = try await MerkleProof.inclusion(leafIndex: 1, treeSize: head.size, from: stores.audit)
                try MerkleProof.verifyInclusion(
                    leafIndex: 1,
                    treeSize: head.size,
                    leafHash: leaves[1].hash,
                    proof: proof,
                    rootHash: head.rootHash
                )
            }
            let report = try await AuditLogCheck.verify(keel.app.configuration, logger: AuditLogTests.logger)
            guard case .verified(let summary) = report.result else {
                Issue.record("\(report.result)")
                return
            }
            #expect(summary.signedSize == summary.leafCount)
        }
    }
}

extension RequestRecord {
    static func fixtureForRetention(_ id: String, at startedAt: Int64, org: OrgID?) -> RequestRecord {
        RequestRecord(
            id: RequestID(id),
            startedAt: startedAt,
            operation: "chat.completions",
            orgID: org,
            requestedModel: "keel-sim-chat",
            status: 200,
            outcome: .success,
            totalMicros: 1_000
        )
    }
}

@Suite("Compliance configuration")
struct ComplianceConfigurationTests {
    @Test func complianceIsReadFromYAMLAndMistakesNamed() throws {
        let valid = try KeelConfiguration.parse(
            yaml: """
                compliance:
                  retention_days: 200
                  retention_sweep_interval_ms: 60000
                  audit: { origin: acme.example/audit, signing_key_file: /etc/keel/audit.key, checkpoint_interval_ms: 30000, checkpoint_entries: 500, strict_timeout_ms: 2000 }
                  orgs:
                    - { org: acme-health, audit: strict, hipaa: true }
                    - { org: acme-eu, retention_days: 400 }
                """,
            environment: [:]
        )
        let compliance = valid.compliance
        #expect(
            compliance.audit.origin == "acme.example/audit" && compliance.audit.signingKeyFile == "/etc/keel/audit.key"
        )
        #expect(
            compliance.audit.checkpointIntervalMs == 30_000 && compliance.audit.checkpointEntries == 500
                && compliance.audit.strictTimeoutMs == 2_000
        )
        #expect(compliance.strictOrgs == ["acme-health"])
        #expect(compliance.orgs.map { compliance.retentionDays(of: $0) } == [2_190, 400])
        #expect(compliance.auditRetentionDays == 2_190)
        #expect(compliance.retentionDays == 200 && compliance.retentionSweepIntervalMs == 60_000)
        #expect(KeelConfiguration.Compliance().retentionDays == 183)

        let error = try #require(throws: ConfigurationError.self) {
            try KeelConfiguration.parse(
                yaml: """
                    compliance:
                      audit: { origin: "two words", trusted_keys: [nonsense], checkpoint_interval_ms: 120000 }
                      orgs: [ { org: a, audit: paranoid }, { audit: strict } ]
                    """,
                environment: [:]
            )
        }
        #expect(
            Set(error.issues.map(\.key))
                == [
                    "compliance.audit.origin", "compliance.audit.trusted_keys[0]",
                    "compliance.audit.checkpoint_interval_ms", "compliance.orgs[0].audit", "compliance.orgs[1].org",
                ],
            "\(error)"
        )
    }
}

@Suite("Compliance status")
struct ComplianceStatusTests {
    static func statuses(_ body: [String: Any]) -> [String: String] {
        var result: [String: String] = [:]
        for control in body["controls"] as? [[String: Any]] ?? [] {
            result["\(control["framework"] ?? "") \(control["reference"] ?? "") \(control["check"] ?? "")"] =
                control["status"] as? String
        }
        return result
    }

    @Test func everyMappedControlHasAStatusAndAReason() async throws {
        try await TestKeel.run(configure: { configuration in
            AuditLogTests.configure(.sqlite)(&configuration)
            configuration.compliance.orgs = [
                .init(org: "acme-health", hipaa: true), .init(org: "short", retentionDays: 30, hipaa: true),
            ]
        }) { keel in
            let all = try AuditLogTests.json(try await keel.send(.GET, "/admin/v1/compliance/status"))
            let controls = try #require(all["controls"] as? [[String: Any]])
            #expect(Set(controls.compactMap { $0["framework"] as? String }) == ["soc2", "hipaa", "eu-ai-act"])
            #expect(controls.allSatisfy { ($0["reason"] as? String)?.isEmpty == false })
            let status = Self.statuses(all)
            #expect(status["hipaa §164.312(c)(1) audit_log_integrity"] == "pass")
            #expect(status["hipaa §164.312(b) audit_completeness"] == "pass")
            #expect(status["soc2 CC6.7 ingress_encryption"] == "not_applicable", "plain HTTP on loopback")
            #expect(status["soc2 CC6.7 upstream_encryption"] == "pass", "the simulator on loopback")
            #expect(status["hipaa §164.312(a)(1) phi_routing"] == "fail", "HIPAA orgs without a baa_required policy")
            #expect(status["hipaa §164.316(b)(2) hipaa_retention"] == "fail", "a HIPAA org kept 30 days")
            #expect(status["eu-ai-act Art. 19, 26(6) record_retention"] == "fail", "an org kept 30 days")
            #expect(status["soc2 CC7.3, CC7.4 incident_response"] == "fail", "no receiver for incidents")
            #expect(status["hipaa §164.308(a)(6) incident_response"] == "fail")
            #expect(status["eu-ai-act Art. 73 incident_response"] == "fail")
            let reason = controls.first { $0["check"] as? String == "incident_response" }?["reason"] as? String
            #expect(reason?.contains("nobody is told") == true, "\(reason ?? "")")
            let summary = try #require(all["summary"] as? [String: Int])
            #expect(summary["fail"] == 6)

            let hipaa = try AuditLogTests.json(try await keel.send(.GET, "/admin/v1/compliance/status?framework=hipaa"))
            #expect(
                (hipaa["controls"] as? [[String: Any]])?.allSatisfy { $0["framework"] as? String == "hipaa" } == true
            )
            #expect(hipaa["framework"] as? String == "hipaa")
            #expect(try await keel.send(.GET, "/admin/v1/compliance/status?framework=iso").status == 400)
        }
    }
}

@Suite("Evidence pack over the admin API")
struct EvidenceEndpointTests {
    @Test func theEvidencePackIsAZipEveryToolOpens() async throws {
        try await TestKeel.run(configure: AuditLogTests.configure(.sqlite)) { keel in
            #expect(try await keel.post("/v1/chat/completions", json: chatBody("evidence")).status == 200)
            let day = CivilDate(unixMicros: Int64(Date().timeIntervalSince1970 * 1_000_000))
            let next = CivilDate(unixMicros: Int64(Date().timeIntervalSince1970 * 1_000_000) + 86_400_000_000)
            func text(_ date: CivilDate) -> String {
                "\(date.year)-\(CivilDate.padded(date.month, 2))-\(CivilDate.padded(date.day, 2))"
            }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "keel-evidence-\(UUID().uuidString)"
            )
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let url = "\(keel.baseURL)/admin/v1/compliance/evidence?framework=soc2&from=\(text(day))&to=\(text(next))"
            let listing = try await ChildProcess.run(
                "/bin/sh",
                [
                    "-c",
                    "curl -s -D headers.txt -o pack.zip -H 'authorization: Bearer \(TestKeel.adminKey)' '\(url)' && python3 -m zipfile -t pack.zip && python3 -m zipfile -l pack.zip && cat headers.txt",
                ],
                directory: directory.path
            )
            #expect(listing.termination == .exited(0), "\(listing.output)")
            for file in [
                "controls.json", "manifest.json", "population/requests.jsonl", "audit/checkpoint.txt",
                "access-review.csv", "incidents/incidents.jsonl", "incidents/playbooks.json",
            ] {
                #expect(listing.output.contains(file), "\(file): \(listing.output)")
            }
            #expect(listing.output.lowercased().contains("content-type: application/zip"))
            #expect(
                try await keel.send(.GET, "/admin/v1/compliance/evidence?framework=soc2&from=2026-13-01&to=2027-01-01")
                    .status == 400
            )
        }
    }
}
