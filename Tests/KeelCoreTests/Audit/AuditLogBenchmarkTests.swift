import Foundation
import KeelCore
import Testing

/// What the audit log's pure parts cost on one core. Not a timed test: it prints the figures, and
/// runs only with `KEEL_AUDIT_BENCH=1` (never in CI). Run it in release:
///
///     KEEL_AUDIT_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter AuditLogBenchmarkTests
///
/// - Appending: 200,000 request entries (the shape of the recorder benchmark's records, with both
///   content digests) encoded as canonical JSON, leaf-hashed and appended in batches of 64, with
///   the new nodes collected for storage; the median of 5 runs, and each step alone.
/// - Proofs: a tree of 10,000,000 leaves in ``InMemoryMerkleNodeStore``; 10,000 inclusion and
///   10,000 consistency proofs between random sizes, made through the node source and verified.
/// - Verifying: ``AuditLogVerifier`` over the 200,000 entries.
@Suite("Audit log benchmark", .serialized, .enabled(if: ProcessInfo.processInfo.environment["KEEL_AUDIT_BENCH"] == "1"))
struct AuditLogBenchmarkTests {
    static let entryCount = 200_000
    static let runs = 5

    static func entries() -> [AuditEntry] {
        let digester = AuditContentDigester(saltID: "org/2026", salt: AuditContentDigester.generateSalt())
        let t0: Int64 = 1_793_491_200_000_000
        return (0..<Self.entryCount).map { index in
            let key = index % 200
            let model = "model-\(index % 5)"
            let record = RequestRecord(
                id: RequestID("req_bench_\(index)"),
                startedAt: t0 + Int64(index) * 20_000,
                operation: "chat.completions",
                keyID: KeyID("key-\(key)"),
                orgID: OrgID("org-\(key % 4)"),
                teamID: TeamID("team-\(key % 20)"),
                projectID: ProjectID("project-\(key % 40)"),
                userID: UserID("user-\(index % 500)"),
                requestedModel: model,
                model: model,
                provider: "provider-\(index % 3)",
                deployment: "\(model)-2025-01-01",
                stream: index % 2 == 0,
                status: 200,
                outcome: .success,
                attempts: 1,
                ttftMicros: 120_000,
                upstreamMicros: 250_000,
                totalMicros: 251_000,
                usage: TokenUsage(inputTokens: 900 + Int64(index % 100), outputTokens: 120, cachedInputTokens: 256),
                cost: USDNanos(1_000 + Int64(index % 977))
            )
            let digests = AuditEntry.ContentDigests(
                saltID: digester.saltID,
                prompt: digester.digest(of: Array("prompt \(index)".utf8)),
                answer: digester.digest(of: Array("answer \(index)".utf8))
            )
            return AuditEntry(
                instanceID: "bench",
                seq: UInt64(index + 1),
                time: record.startedAt,
                payload: .request(.init(record, contentDigests: digests))
            )
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    @Test func appendingEntries() {
        let entries = Self.entries()
        let clock = ContinuousClock()
        var total: [Double] = []
        var encoding: [Double] = []
        var hashing: [Double] = []
        var appending: [Double] = []
        var bytes = 0
        for _ in 0..<Self.runs {
            var appender = MerkleTreeAppender()
            var nodes: [MerkleNode] = []
            let elapsed = clock.measure {
                var offset = 0
                while offset < entries.count {
                    let end = min(offset + 64, entries.count)
                    nodes.removeAll(keepingCapacity: true)
                    for entry in entries[offset..<end] {
                        appender.append(MerkleTree.leafHash(of: entry.canonicalBytes()), recordingNodesIn: &nodes)
                    }
                    _ = appender.rootHash
                    offset = end
                }
            }
            total.append(Self.seconds(elapsed))

            var encoded: [[UInt8]] = []
            encoded.reserveCapacity(entries.count)
            encoding.append(
                Self.seconds(clock.measure { for entry in entries { encoded.append(entry.canonicalBytes()) } })
            )
            bytes = encoded.reduce(0) { $0 + $1.count }
            var leafHashes: [MerkleHash] = []
            leafHashes.reserveCapacity(entries.count)
            hashing.append(
                Self.seconds(
                    clock.measure { for bytes in encoded { leafHashes.append(MerkleTree.leafHash(of: bytes)) } }
                )
            )
            var fresh = MerkleTreeAppender()
            appending.append(Self.seconds(clock.measure { _ = fresh.append(contentsOf: leafHashes) }))
        }
        let count = Double(entries.count)
        print(
            """
            Audit append, \(entries.count) request entries (\(bytes / entries.count) bytes each on average), median of \(Self.runs):
              encode + leaf hash + append (batches of 64, nodes collected, root per batch): \(Int(count / Self.median(total))) entries/s
              canonical encoding alone: \(Int(count / Self.median(encoding))) entries/s
              leaf hashing alone: \(Int(count / Self.median(hashing))) entries/s
              appending leaf hashes alone: \(Int(count / Self.median(appending))) leaves/s
            """
        )
    }

    @Test func proofsInATreeOfTenMillionLeaves() async throws {
        let size = 10_000_000
        let clock = ContinuousClock()
        var store = InMemoryMerkleNodeStore()
        store.reserveCapacity(leaves: size)
        var appender = MerkleTreeAppender()
        var nodes: [MerkleNode] = []
        nodes.reserveCapacity(2_100)
        let build = clock.measure {
            var index: UInt64 = 0
            while index < UInt64(size) {
                nodes.removeAll(keepingCapacity: true)
                for _ in 0..<1_024 where index < UInt64(size) {
                    let leaf = withUnsafeBytes(of: index.bigEndian) { MerkleTree.leafHash(of: Array($0)) }
                    appender.append(leaf, recordingNodesIn: &nodes)
                    index += 1
                }
                store.insert(nodes)
            }
        }
        let root = appender.rootHash

        var generator = SplitMix64(seed: 10_000_000)
        let samples = 10_000
        let leaves = (0..<samples).map { _ in UInt64.random(in: 0..<UInt64(size), using: &generator) }
        var inclusionNodes = 0
        var inclusionProofs: [[MerkleHash]] = []
        let inclusion = try await clock.measure {
            for leaf in leaves {
                let plan = try MerkleProof.inclusionPlan(leafIndex: leaf, treeSize: UInt64(size))
                inclusionNodes += plan.nodeIDs.count
                inclusionProofs.append(try await MerkleProof.hashes(of: plan, from: store))
            }
        }
        let inclusionCheck = try clock.measure {
            for (leaf, proof) in zip(leaves, inclusionProofs) {
                let leafHash = withUnsafeBytes(of: leaf.bigEndian) { MerkleTree.leafHash(of: Array($0)) }
                try MerkleProof.verifyInclusion(
                    leafIndex: leaf,
                    treeSize: UInt64(size),
                    leafHash: leafHash,
                    proof: proof,
                    rootHash: root
                )
            }
        }

        let oldSizes = (0..<samples).map { _ in UInt64.random(in: 1..<UInt64(size), using: &generator) }
        var consistencyNodes = 0
        var consistencyProofs: [[MerkleHash]] = []
        let consistency = try await clock.measure {
            for oldSize in oldSizes {
                let plan = try MerkleProof.consistencyPlan(oldSize: oldSize, newSize: UInt64(size))
                consistencyNodes += plan.nodeIDs.count
                consistencyProofs.append(try await MerkleProof.hashes(of: plan, from: store))
            }
        }
        // The old roots come from the store's frontier nodes, as a client would hold them.
        let oldRoots = try await oldSizes.asyncMap { try await MerkleTreeAppender(size: $0, from: store).rootHash }
        let consistencyCheck = try clock.measure {
            for (index, oldSize) in oldSizes.enumerated() {
                try MerkleProof.verifyConsistency(
                    oldSize: oldSize,
                    newSize: UInt64(size),
                    oldRoot: oldRoots[index],
                    newRoot: root,
                    proof: consistencyProofs[index]
                )
            }
        }
        func micros(_ duration: Duration) -> String {
            String(format: "%.2f", Self.seconds(duration) * 1e6 / Double(samples))
        }
        print(
            """
            Audit proofs, tree of \(size) leaves (built in \(String(format: "%.1f", Self.seconds(build))) s):
              inclusion: \(micros(inclusion)) µs per proof made from the node source, \(Double(inclusionNodes) / Double(samples)) nodes read; verified in \(micros(inclusionCheck)) µs
              consistency: \(micros(consistency)) µs per proof made from the node source, \(Double(consistencyNodes) / Double(samples)) nodes read; verified in \(micros(consistencyCheck)) µs
            """
        )
    }

    @Test func verifyingALog() throws {
        let signer = try NoteSigner.generate(name: "keel.bench/audit")
        let encoded = Self.entries().map { $0.canonicalBytes() }
        let root = MerkleTree.rootHash(ofEntries: encoded)
        let checkpoint = try AuditCheckpoint(origin: "keel.bench/audit", size: UInt64(encoded.count), rootHash: root)
            .signedNote(by: signer)
        let leafHashes = encoded.map { MerkleTree.leafHash(of: $0) }
        var result: AuditLogVerifier.Result?
        let elapsed = ContinuousClock().measure {
            var verifier = AuditLogVerifier(
                keys: [signer.verifierKey],
                origin: "keel.bench/audit",
                checkpoints: [checkpoint]
            )
            for (bytes, hash) in zip(encoded, leafHashes) { verifier.add(.init(bytes: bytes, storedLeafHash: hash)) }
            result = verifier.finish()
        }
        guard case .verified = result else {
            Issue.record("\(String(describing: result))")
            return
        }
        print(
            "Audit verify, \(encoded.count) entries with stored leaf hashes: \(Int(Double(encoded.count) / Self.seconds(elapsed))) entries/s"
        )
    }
}

extension Sequence {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
