import KeelCore
import KeelStorage
import Testing

@Suite("AuditLogStore conformance")
struct AuditLogStoreConformanceTests {
    /// An admin-change entry of `instance`, number `seq`.
    static func leaf(_ instance: String, _ seq: UInt64, time: Int64 = 1_765_000_000_000_000) throws -> AuditLeaf {
        let change = try AuditEntry.AdminChange(
            actorKeyID: "key-admin",
            actorRole: .admin,
            action: "keys.create",
            targetType: "key",
            targetID: "key-\(seq)"
        )
        return AuditLeaf(
            AuditEntry(instanceID: instance, seq: seq, time: time + Int64(seq), payload: .adminChange(change))
        )
    }

    static func requestLeaf(_ record: RequestRecord, _ instance: String, _ seq: UInt64) -> AuditLeaf {
        AuditLeaf(
            AuditEntry(
                instanceID: instance,
                seq: seq,
                time: record.startedAt,
                payload: .request(AuditEntry.Request(record))
            )
        )
    }

    @Test(arguments: StoreBackend.enabled)
    func entriesAreStoredInOrderWithTheTreeOfTheirBytes(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let empty = try await stores.audit.head()
            #expect(empty == AuditTreeHead(size: 0, rootHash: MerkleTree.emptyRoot))
            var leaves: [AuditLeaf] = []
            for part in [1, 2, 5, 1, 9] {
                let batch = try (0..<part).map { try Self.leaf("i1", UInt64(leaves.count + $0 + 1)) }
                let result = try await stores.audit.append(batch)
                #expect(
                    result == AuditAppendResult(firstIndex: UInt64(leaves.count), treeSize: UInt64(leaves.count + part))
                )
                leaves += batch
                let head = try await stores.audit.head()
                #expect(head.size == UInt64(leaves.count))
                #expect(head.rootHash == MerkleTree.rootHash(ofEntries: leaves.map(\.bytes)))
            }
            let stored = try await stores.audit.entries(from: 0, to: 100)
            #expect(stored.map(\.index) == Array(0..<UInt64(leaves.count)))
            #expect(stored.map(\.bytes) == leaves.map(\.bytes))
            #expect(try await stores.audit.entries(from: 3, to: 5).map(\.index) == [3, 4])
            #expect(try await stores.audit.leafHashes(from: 0, to: 100) == leaves.map(\.hash))

            // Every inclusion and consistency proof from the stored nodes checks out.
            let size = UInt64(leaves.count)
            let root = try await stores.audit.head().rootHash
            for index in 0..<size {
                let proof = try await MerkleProof.inclusion(leafIndex: index, treeSize: size, from: stores.audit)
                try MerkleProof.verifyInclusion(
                    leafIndex: index,
                    treeSize: size,
                    leafHash: leaves[Int(index)].hash,
                    proof: proof,
                    rootHash: root
                )
            }
            for old in 1..<size {
                let proof = try await MerkleProof.consistency(oldSize: old, newSize: size, from: stores.audit)
                let oldRoot = MerkleTree.rootHash(ofEntries: leaves.prefix(Int(old)).map(\.bytes))
                try MerkleProof.verifyConsistency(
                    oldSize: old,
                    newSize: size,
                    oldRoot: oldRoot,
                    newRoot: root,
                    proof: proof
                )
            }
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func recordsAndTheirEntriesAreWrittenTogetherOrNotAtAll(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let first = [RequestRecord.fixture("req-1", at: 1_000), RequestRecord.fixture("req-2", at: 2_000)]
            let leaves = [Self.requestLeaf(first[0], "i1", 1), Self.requestLeaf(first[1], "i1", 2)]
            let result = try await stores.requests.append(first, audit: leaves)
            #expect(result == AuditAppendResult(firstIndex: 0, treeSize: 2))
            #expect(
                try await stores.audit.entry(forRequest: "req-2") == StoredAuditEntry(index: 1, bytes: leaves[1].bytes)
            )
            #expect(try await stores.audit.entry(forRequest: "req-9") == nil)

            // A batch the store refuses (a record id already stored) leaves no entry either.
            let refused = [RequestRecord.fixture("req-3", at: 3_000), RequestRecord.fixture("req-1", at: 1_000)]
            await #expect(throws: StorageError.self) {
                try await stores.requests.append(
                    refused,
                    audit: refused.enumerated().map { Self.requestLeaf($1, "i1", UInt64(3 + $0)) }
                )
            }
            #expect(try await stores.audit.head().size == 2)
            #expect(try await stores.requests.count(matching: RequestRecordQuery()) == 2)
            #expect(try await stores.audit.entry(forRequest: "req-3") == nil)

            // The tree in memory was not moved by the refused batch.
            let next = RequestRecord.fixture("req-4", at: 4_000)
            let nextLeaf = Self.requestLeaf(next, "i1", 3)
            #expect(
                try await stores.requests.append([next], audit: [nextLeaf])
                    == AuditAppendResult(firstIndex: 2, treeSize: 3)
            )
            #expect(
                try await stores.audit.head().rootHash
                    == MerkleTree.rootHash(ofEntries: (leaves + [nextLeaf]).map(\.bytes))
            )
        }
    }

    /// A request's entry is kept as a reference to its record and rebuilt on reading: the bytes
    /// read back are the bytes hashed, for records of every shape, with and without digests.
    @Test(arguments: StoreBackend.enabled)
    func requestEntriesKeptAsTheirRecordsReadBackAsTheBytesHashed(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            var records: [RequestRecord] = []
            var entries: [AuditEntry] = []
            let digester = AuditContentDigester(saltID: "org-x/2026-12", salt: AuditContentDigester.generateSalt())
            for index in 0..<40 {
                var record = RequestRecord.fixture(
                    "ref-\(index)",
                    at: 1_700_000_000_000_000 + Int64(index),
                    keyID: index % 3 == 0 ? nil : KeyID("key-\(index)"),
                    teamID: index % 4 == 0 ? nil : "team \"q\" \\ ü",
                    model: index % 5 == 0 ? nil : "model-𝄞-\(index)",
                    status: [200, 429, 502][index % 3],
                    outcome: [.success, .error, .interrupted][index % 3],
                    cost: Int64(index) * 1_234_567,
                    orgID: index % 2 == 0 ? "org-x" : nil,
                    agentID: index % 6 == 0 ? "agent" : nil,
                    taskID: index % 6 == 0 ? "task-\(index)" : nil
                )
                record.stream = index % 2 == 1
                record.ttftMicros = index % 2 == 1 ? Int64(index) * 10 : nil
                record.usage = TokenUsage(
                    inputTokens: Int64(index) * 1_000,
                    outputTokens: 7,
                    cachedInputTokens: Int64(index),
                    cacheWriteTokens: 3,
                    cacheWrite1hTokens: 2,
                    reasoningTokens: 1,
                    webSearchRequests: Int64(index % 2)
                )
                record.cacheHit = index % 7 == 0
                record.usageEstimated = index % 8 == 0
                record.errorClass = record.outcome == .success ? nil : "line\nbreak"
                let digests: AuditEntry.ContentDigests? =
                    switch index % 3 {
                    case 0: nil
                    case 1: digester.contentDigests(prompt: Array("prompt \(index)".utf8), answer: nil)
                    default:
                        digester.contentDigests(prompt: Array("prompt \(index)".utf8), answer: Array("answer".utf8))
                    }
                records.append(record)
                entries.append(
                    AuditEntry(
                        instanceID: "i-ref",
                        seq: UInt64(index + 1),
                        time: record.startedAt,
                        payload: .request(.init(record, contentDigests: digests))
                    )
                )
            }
            let leaves = entries.map { AuditLeaf(recordedWith: $0) }
            #expect(leaves.allSatisfy { if case .record = $0.storage { true } else { false } })
            // An entry of a record not in the batch is kept as bytes.
            let stray = AuditLeaf(
                recordedWith: AuditEntry(
                    instanceID: "i-ref",
                    seq: 41,
                    time: 5,
                    payload: .request(.init(.fixture("elsewhere", at: 5)))
                )
            )
            try await stores.requests.append(records, audit: leaves + [stray])
            let stored = try await stores.audit.entries(from: 0, to: 41)
            #expect(stored.map(\.bytes) == entries.map { $0.canonicalBytes() } + [stray.bytes])
            #expect(try await stores.audit.head().rootHash == MerkleTree.rootHash(ofEntries: stored.map(\.bytes)))
            #expect(try await stores.audit.entry(forRequest: "ref-7")?.bytes == entries[7].canonicalBytes())
            let kept = try await stores.database.rows("SELECT length(entry) AS bytes FROM audit_entry ORDER BY idx").map
            { try $0.decode("bytes", as: Int64.self) }
            #expect(kept.dropLast().allSatisfy { $0 == 0 } && kept.last == Int64(stray.bytes.count))
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func twoInstancesAppendOneLog(backend: StoreBackend) async throws {
        try await backend.withTwoInstances { first, second async throws in
            // Interleaved appends, each instance with its own tree in memory: each sees the
            // other's entries and reads the frontier back before appending its own.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (stores, instance) in [(first, "a"), (second, "b")] {
                    group.addTask {
                        for batch in 0..<8 {
                            let leaves = try (0..<3).map { try Self.leaf(instance, UInt64(batch * 3 + $0 + 1)) }
                            try await stores.audit.append(leaves)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let stored = try await first.audit.entries(from: 0, to: 1_000)
            #expect(stored.count == 48)
            #expect(stored.map(\.index) == Array(0..<48))
            let root = MerkleTree.rootHash(ofEntries: stored.map(\.bytes))
            #expect(try await first.audit.head() == AuditTreeHead(size: 48, rootHash: root))
            #expect(try await second.audit.head() == AuditTreeHead(size: 48, rootHash: root))
            #expect(
                try await first.audit.leafHashes(from: 0, to: 48) == stored.map { MerkleTree.leafHash(of: $0.bytes) }
            )
            let summary = try await second.audit.sequenceSummary(from: 0)
            #expect(
                summary == [
                    AuditSequenceSummary(
                        instanceID: "a",
                        firstSeq: 1,
                        lastSeq: 24,
                        count: 24,
                        lastIndex: summary.first?.lastIndex ?? 0
                    ),
                    AuditSequenceSummary(
                        instanceID: "b",
                        firstSeq: 1,
                        lastSeq: 24,
                        count: 24,
                        lastIndex: summary.last?.lastIndex ?? 0
                    ),
                ]
            )
            #expect(Set(summary.map(\.lastIndex)).contains(47))
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func checkpointsAreKeptOncePerSize(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            #expect(try await stores.audit.latestCheckpoint() == nil)
            let zero = StoredAuditCheckpoint(
                treeSize: 0,
                rootHash: MerkleTree.emptyRoot,
                note: "note 0\n",
                signedAt: 10,
                instanceID: "a"
            )
            let five = StoredAuditCheckpoint(
                treeSize: 5,
                rootHash: MerkleTree.leafHash(of: [1]),
                note: "note 5\n",
                signedAt: 20,
                instanceID: "b"
            )
            try await stores.audit.addCheckpoint(five)
            try await stores.audit.addCheckpoint(zero)
            var again = five
            again.note = "another note\n"
            try await stores.audit.addCheckpoint(again)
            #expect(try await stores.audit.checkpoints() == [zero, five])
            #expect(try await stores.audit.latestCheckpoint() == five)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func eachOrgHasOneSaltEveryCallerAgreesOn(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let audit = stores.audit
            let now: Int64 = 1_796_515_200_000_000  // 2026-12-06
            let salts = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let (id, salt) = try await audit.salt(forOrg: "org-1", now: now)
                        return id + ":" + salt.withExposedValue { $0.map(String.init).joined(separator: ",") }
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(salts.count == 1)
            #expect(salts.first?.hasPrefix("org-1/2026-12:") == true)
            let other = try await audit.salt(forOrg: "", now: now)
            #expect(other.id == "-/2026-12")
            #expect(
                !salts.contains(
                    other.id + ":" + other.salt.withExposedValue { $0.map(String.init).joined(separator: ",") }
                )
            )
            #expect(other.salt.withExposedValue { $0.count } == 32)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func oneInstanceHoldsTheSignerLeaseUntilItExpires(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            #expect(try await stores.audit.acquireSignerLease(instanceID: "a", now: 100, expiresAt: 200))
            #expect(try await !stores.audit.acquireSignerLease(instanceID: "b", now: 150, expiresAt: 250))
            #expect(try await stores.audit.acquireSignerLease(instanceID: "a", now: 190, expiresAt: 290))
            #expect(try await !stores.audit.acquireSignerLease(instanceID: "b", now: 250, expiresAt: 350))
            #expect(try await stores.audit.acquireSignerLease(instanceID: "b", now: 291, expiresAt: 391))
            #expect(try await !stores.audit.acquireSignerLease(instanceID: "a", now: 300, expiresAt: 400))
        }
    }
}
