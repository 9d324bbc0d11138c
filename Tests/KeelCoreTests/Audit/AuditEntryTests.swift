import Foundation
import KeelCore
import NIOCore
import Testing

@Suite("Audit entries: versioned canonical JSON")
struct AuditEntryTests {
    static let record = RequestRecord(
        id: "req_01",
        startedAt: 1_793_491_200_123_456,
        operation: "chat.completions",
        keyID: "key_1",
        orgID: "org_1",
        teamID: "team_1",
        projectID: "proj_1",
        userID: "user_1",
        requestedModel: "gpt-4o-mini",
        model: "gpt-4o-mini",
        provider: "openai",
        deployment: "gpt-4o-mini-2024-07-18",
        stream: true,
        status: 200,
        outcome: .success,
        attempts: 2,
        attemptLog: [.init(provider: "azure", deployment: "x", errorClass: "upstream_unavailable", durationMicros: 9)],
        ttftMicros: 120_000,
        upstreamMicros: 250_000,
        totalMicros: 251_000,
        usage: TokenUsage(inputTokens: 900, outputTokens: 120, cachedInputTokens: 256, reasoningTokens: 7),
        cost: USDNanos(1_234),
        tags: ["env": "prod"],
        agentID: "agent-7",
        taskID: "task-9",
        taskOutcome: .success
    )

    static let digester = AuditContentDigester(
        saltID: "org_1/2026-01",
        salt: Secret([UInt8](repeating: 0x0b, count: 20))
    )

    static func requestEntry(seq: UInt64 = 42) -> AuditEntry {
        let digests = Self.digester.contentDigests(prompt: Array("Hi There".utf8), answer: Array("Hello".utf8))
        return AuditEntry(
            instanceID: "i-1",
            seq: seq,
            time: Self.record.startedAt,
            payload: .request(AuditEntry.Request(Self.record, contentDigests: digests))
        )
    }

    @Test func aRequestEntryIsItsRecordsMetadataInCanonicalForm() throws {
        let bytes = Self.requestEntry().canonicalBytes()
        let expected =
            #"{"agent_id":"agent-7","answer_sha256":"\#(Self.digester.digest(of: Array("Hello".utf8)))","#
            + #""attempts":2,"cache_hit":false,"cost_nanos":1234,"deployment":"gpt-4o-mini-2024-07-18","#
            + #""digest_salt_id":"org_1/2026-01","instance_id":"i-1","key_id":"key_1","kind":"request","#
            + #""model":"gpt-4o-mini","operation":"chat.completions","org_id":"org_1","outcome":"success","#
            + #""project_id":"proj_1","prompt_sha256":"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7","#
            + #""provider":"openai","request_id":"req_01","requested_model":"gpt-4o-mini","seq":42,"status":200,"#
            + #""stream":true,"task_id":"task-9","task_outcome":"success","team_id":"team_1","time":1793491200123456,"#
            + #""tokens":{"cache_write":0,"cache_write_1h":0,"cached_input":256,"input":900,"output":120,"reasoning":7,"web_searches":0},"#
            + #""total_us":251000,"ttft_us":120000,"upstream_us":250000,"usage_estimated":false,"user_id":"user_1","v":1}"#
        #expect(String(decoding: bytes, as: UTF8.self) == expected)
        #expect(try CanonicalJSON.canonicalize(bytes) == bytes)
        // No body text, no tags, no attempt log.
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(!text.contains("Hi There") && !text.contains("prod") && !text.contains("azure"))
    }

    @Test func digestsAreHMACSHA256KeyedWithTheOrganisationsSalt() {
        // RFC 4231 test case 1: key 0x0b × 20, data "Hi There".
        #expect(
            Self.digester.digest(of: Array("Hi There".utf8))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        )
        var incremental = Self.digester.makeDigest()
        Array("Hi ".utf8).withUnsafeBytes { incremental.update($0) }
        incremental.update(ByteBuffer(string: "There"))
        #expect(incremental.finalize() == Self.digester.digest(of: Array("Hi There".utf8)))
        let otherOrg = AuditContentDigester(saltID: "org_2/2026-01", salt: AuditContentDigester.generateSalt())
        #expect(otherOrg.digest(of: Array("Hi There".utf8)) != Self.digester.digest(of: Array("Hi There".utf8)))
        #expect("\(AuditContentDigester.generateSalt())" == "<redacted>")
    }

    static let entries: [AuditEntry] = [
        Self.requestEntry(),
        AuditEntry(
            instanceID: "i-1",
            seq: 43,
            time: 1_793_491_201_000_000,
            payload: .request(
                AuditEntry.Request(
                    RequestRecord(
                        id: "req_02",
                        startedAt: 0,
                        operation: "embeddings",
                        requestedModel: "m",
                        status: 401,
                        outcome: .error,
                        errorClass: "unauthenticated",
                        totalMicros: 80
                    )
                )
            )
        ),
        AuditEntry(
            instanceID: "i-2",
            seq: 1,
            time: 1_793_491_202_000_000,
            payload: .adminChange(
                try! AuditEntry.AdminChange(
                    actorKeyID: "key_admin",
                    actorRole: .admin,
                    action: "keys.create",
                    targetType: "key",
                    targetID: "key_9",
                    requestID: "req_admin_1",
                    summary: try! JSONValue(
                        parsing:
                            #"{"team":"search","api_key":"sk-live-123","limits":{"rpm":60,"max_tokens":1000,"Admin_Secret":"x"},"roles":[{"token":"t"}]}"#
                    )
                )
            )
        ),
        AuditEntry(
            instanceID: "i-2",
            seq: 2,
            time: 1_793_491_203_000_000,
            payload: .configLoaded(.init(configSHA256: String(repeating: "ab", count: 32), source: "/etc/keel.yaml"))
        ),
        AuditEntry(
            instanceID: "i-2",
            seq: 3,
            time: 1_793_491_204_000_000,
            payload: .purge(.init(target: "request_log", before: 1_790_000_000_000_000, rows: 1_204))
        ),
        AuditEntry(
            instanceID: "i-2",
            seq: 4,
            time: 1_793_491_205_000_000,
            payload: .checkpoint(
                .init(treeSize: 4, rootHash: RFC6962Vectors.roots[4], verifierKey: SignedNoteTests.Go.verifierKey)
            )
        ),
        AuditEntry(
            instanceID: "i-3",
            seq: 1,
            time: Self.record.startedAt,
            payload: .requestStarted(.init(Self.record))
        ),
    ]

    @Test func aStartedEntryNamesTheRequestAndWhoAskedBeforeItIsAnswered() {
        let bytes = Self.entries.last!.canonicalBytes()
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == #"{"instance_id":"i-3","key_id":"key_1","kind":"request_started","operation":"chat.completions","org_id":"org_1","#
                + #""project_id":"proj_1","request_id":"req_01","requested_model":"gpt-4o-mini","seq":1,"team_id":"team_1","#
                + #""time":1793491200123456,"user_id":"user_1","v":1}"#
        )
    }

    @Test func everyKindRoundTripsThroughItsCanonicalBytes() throws {
        #expect(Set(Self.entries.map(\.kind)) == Set(AuditEntry.Kind.allCases))
        for entry in Self.entries {
            let bytes = entry.canonicalBytes()
            #expect(try AuditEntry(canonicalBytes: bytes) == entry, "\(entry.kind)")
            #expect(try CanonicalJSON.canonicalize(bytes) == bytes)
            #expect(!bytes.contains(0x0A), "one entry per line in an export")
            // Built in canonical order already, so encoding does not sort.
            #expect(entry.jsonValue.jsonText == String(decoding: bytes, as: UTF8.self), "\(entry.kind)")
        }
    }

    /// Request and request-started entries are written straight from their fields; the bytes must
    /// be those of the general encoder for every shape of record: fields absent or present,
    /// strings to escape, characters beyond ASCII, negative and large integers.
    @Test func requestEntriesWrittenFromTheirFieldsEqualTheGeneralEncoding() throws {
        var generator = SystemRandomNumberGenerator()
        let texts = ["", "a", "quote \" and \\ slash", "line\nbreak\u{01}\u{1F}", "Zürich ✓ 𝄞", "\u{7F}\u{FEFF}"]
        func text() -> String {
            texts.randomElement(using: &generator)! + String(Int.random(in: 0...999, using: &generator))
        }
        func maybe<T>(_ value: @autoclosure () -> T) -> T? { Bool.random(using: &generator) ? value() : nil }
        func int64() -> Int64 {
            [
                0, 1, -1, 9, 10, 99_999, (1 << 53) - 1, -((1 << 53) - 1),
                Int64.random(in: -(1 << 40)...(1 << 40), using: &generator),
            ].randomElement(using: &generator)!
        }
        for round in 0..<500 {
            var record = Self.record
            record.id = RequestID(text())
            record.operation = text()
            record.orgID = maybe(OrgID(text()))
            record.teamID = maybe(TeamID(text()))
            record.projectID = maybe(ProjectID(text()))
            record.userID = maybe(UserID(text()))
            record.keyID = maybe(KeyID(text()))
            record.agentID = maybe(text())
            record.taskID = maybe(text())
            record.taskOutcome = maybe(AgentTask.Outcome.allCases.randomElement(using: &generator)!)
            record.requestedModel = text()
            record.model = maybe(text())
            record.provider = maybe(text())
            record.deployment = maybe(text())
            record.stream = Bool.random(using: &generator)
            record.status = Int(int64() % 1000)
            record.outcome = RequestRecord.Outcome.allCases.randomElement(using: &generator)!
            record.errorClass = maybe(text())
            record.attempts = Int(int64())
            record.usage = TokenUsage(
                inputTokens: int64(),
                outputTokens: int64(),
                cachedInputTokens: int64(),
                cacheWriteTokens: int64(),
                cacheWrite1hTokens: int64(),
                reasoningTokens: int64(),
                webSearchRequests: int64()
            )
            record.cost = USDNanos(int64())
            record.cacheHit = Bool.random(using: &generator)
            record.usageEstimated = Bool.random(using: &generator)
            record.ttftMicros = maybe(int64())
            record.upstreamMicros = maybe(int64())
            record.totalMicros = int64()
            let digests = maybe(
                AuditEntry.ContentDigests(
                    saltID: text(),
                    prompt: maybe(Self.digester.digest(of: Array(text().utf8))),
                    answer: maybe(Self.digester.digest(of: Array(text().utf8)))
                )
            )
            let time = int64()
            for payload in [
                AuditEntry.Payload.request(.init(record, contentDigests: digests)), .requestStarted(.init(record)),
            ] {
                let entry = AuditEntry(
                    instanceID: text(),
                    seq: UInt64(round + 1) * 1_000_003,
                    time: time,
                    payload: payload
                )
                let direct = entry.canonicalBytes()
                #expect(
                    direct == (try CanonicalJSON.encode(entry.jsonValue)),
                    "\(String(decoding: direct, as: UTF8.self))"
                )
                #expect(try AuditEntry(canonicalBytes: direct) == entry)
            }
        }
    }

    @Test func adminChangeSummariesHaveTheirCredentialsRedacted() throws {
        guard case .adminChange(let change) = Self.entries[2].payload else {
            Issue.record("not an admin change")
            return
        }
        // Redacted, and normalized: members sorted, numbers in canonical form.
        #expect(
            change.summary.jsonText
                == #"{"api_key":"<redacted>","limits":{"Admin_Secret":"<redacted>","max_tokens":1000,"rpm":60},"roles":[{"token":"<redacted>"}],"team":"search"}"#
        )
        let numbers = try AuditEntry.AdminChange(
            actorKeyID: "k",
            actorRole: .admin,
            action: "routes.update",
            targetType: "route",
            targetID: "r",
            summary: JSONValue(parsing: #"{"weight":0.50,"b":1E2}"#)
        )
        #expect(numbers.summary.jsonText == #"{"b":100,"weight":0.5}"#)
        #expect(throws: CanonicalJSONError.invalidNumber("1e400")) {
            try AuditEntry.AdminChange(
                actorKeyID: "k",
                actorRole: .admin,
                action: "a",
                targetType: "t",
                targetID: "i",
                summary: JSONValue(parsing: #"{"weight":1e400}"#)
            )
        }
        let text = String(decoding: Self.entries[2].canonicalBytes(), as: UTF8.self)
        #expect(text.contains(#""actor":{"key_id":"key_admin","role":"admin"}"#))
        #expect(text.contains(#""target":{"id":"key_9","type":"key"}"#))
        #expect(!text.contains("sk-live"))
    }

    @Test func bytesThatAreNotACanonicalVersion1EntryAreRefused() throws {
        let good = String(decoding: Self.entries[4].canonicalBytes(), as: UTF8.self)
        func decode(_ text: String) throws(AuditEntryError) -> AuditEntry {
            try AuditEntry(canonicalBytes: Array(text.utf8))
        }
        #expect(throws: AuditEntryError.notCanonical) { try decode(good.replacingOccurrences(of: ",", with: ", ")) }
        #expect(throws: AuditEntryError.notCanonical) {
            try decode(good.replacingOccurrences(of: "1204", with: "1204.0"))
        }
        #expect(throws: AuditEntryError.invalidJSON) { try decode(String(good.dropLast())) }
        #expect(throws: AuditEntryError.unsupportedVersion(2)) {
            try decode(good.replacingOccurrences(of: #""v":1"#, with: #""v":2"#))
        }
        #expect(throws: AuditEntryError.unexpectedMember("zz")) {
            try decode(good.replacingOccurrences(of: "}", with: #","zz":1}"#))
        }
        #expect(throws: AuditEntryError.missingMember("rows")) {
            try decode(good.replacingOccurrences(of: #""rows":1204,"#, with: ""))
        }
        #expect(throws: AuditEntryError.invalidMember("seq")) {
            try decode(good.replacingOccurrences(of: #""seq":3"#, with: #""seq":"3""#))
        }
        #expect(throws: AuditEntryError.unknownKind("purges")) {
            try decode(good.replacingOccurrences(of: #""purge""#, with: #""purges""#))
        }
    }
}
