import Foundation
import KeelCore
import Testing

@Suite("Audit log verifier: the first bad index of a tampered log")
struct AuditLogVerifierTests {
    static let origin = "keel.test/audit"
    static let signer = try! NoteSigner.generate(name: origin)

    /// A log of 20 entries from two instances, interleaved unevenly (i-1 writes entries 0, 1, 3,
    /// 4, 6, 7…; i-2 every third), with its signed checkpoints at sizes 5, 12 and 20.
    struct Log {
        var entries: [[UInt8]]
        var leafHashes: [MerkleHash]
        var checkpoints: [String]

        init(count: Int = 20, checkpointSizes: [Int] = [5, 12, 20]) throws {
            var seq: [String: UInt64] = [:]
            self.entries = (0..<count).map { index in
                let instance = index % 3 == 2 ? "i-2" : "i-1"
                seq[instance, default: 0] += 1
                let record = RequestRecord(
                    id: RequestID("req_\(index)"),
                    startedAt: 1_793_491_200_000_000 + Int64(index),
                    operation: "chat.completions",
                    requestedModel: "m",
                    status: 200,
                    outcome: .success,
                    totalMicros: 1_000 + Int64(index),
                    usage: TokenUsage(inputTokens: 100 + Int64(index), outputTokens: 10)
                )
                return AuditEntry(
                    instanceID: instance,
                    seq: seq[instance]!,
                    time: record.startedAt,
                    payload: .request(.init(record))
                ).canonicalBytes()
            }
            let leafHashes = self.entries.map { MerkleTree.leafHash(of: $0) }
            self.leafHashes = leafHashes
            self.checkpoints = try checkpointSizes.map { size in
                try AuditCheckpoint(
                    origin: AuditLogVerifierTests.origin,
                    size: UInt64(size),
                    rootHash: MerkleTree.rootHash(ofLeafHashes: leafHashes[0..<size])
                ).signedNote(by: AuditLogVerifierTests.signer)
            }
        }

        /// Verifies `entries`, pairing each with the leaf hash stored at its position when
        /// `storedHashes` is given.
        func verify(
            _ entries: [[UInt8]],
            storedHashes: [MerkleHash]? = nil,
            checkpoints: [String]? = nil
        ) -> AuditLogVerifier.Result {
            var verifier = AuditLogVerifier(
                keys: [AuditLogVerifierTests.signer.verifierKey],
                origin: AuditLogVerifierTests.origin,
                checkpoints: checkpoints ?? self.checkpoints
            )
            for (index, bytes) in entries.enumerated() {
                let stored = storedHashes.flatMap { index < $0.count ? $0[index] : nil }
                verifier.add(AuditLogVerifier.Leaf(bytes: bytes, storedLeafHash: stored))
            }
            return verifier.finish()
        }
    }

    static func failure(_ result: AuditLogVerifier.Result) -> AuditLogVerifier.Failure? {
        if case .failed(let failure) = result { failure } else { nil }
    }

    @Test func anIntactLogVerifies() throws {
        let log = try Log()
        guard case .verified(let summary) = log.verify(log.entries, storedHashes: log.leafHashes) else {
            Issue.record("\(log.verify(log.entries))")
            return
        }
        #expect(summary.leafCount == 20 && summary.checkpointCount == 3 && summary.signedSize == 20)
        #expect(summary.rootHash == MerkleTree.rootHash(ofLeafHashes: log.leafHashes))
        #expect(summary.lastSequence == ["i-1": 14, "i-2": 6])
        // Entries past the last checkpoint are fine: they are not signed yet.
        let longer = try Log(count: 25)
        #expect(Self.failure(longer.verify(longer.entries)) == nil)
    }

    @Test func aFlippedByteIsReportedAtItsIndex() throws {
        let log = try Log()
        var tampered = log.entries
        // 100 + 7 input tokens → 117: still a canonical entry of the same shape.
        let text = String(decoding: tampered[7], as: UTF8.self)
        tampered[7] = Array(text.replacingOccurrences(of: #""input":107"#, with: #""input":117"#).utf8)
        #expect(tampered[7] != log.entries[7])

        let withHashes = Self.failure(log.verify(tampered, storedHashes: log.leafHashes))
        #expect(withHashes?.index == 7)
        #expect(
            withHashes?.problem
                == .leafHashMismatch(stored: log.leafHashes[7], computed: MerkleTree.leafHash(of: tampered[7]))
        )

        // Stored hashes rewritten to match: the checkpoint at 12 catches it, naming 5, the first
        // index after the last checkpoint that held.
        let rewritten = Self.failure(log.verify(tampered, storedHashes: tampered.map { MerkleTree.leafHash(of: $0) }))
        #expect(rewritten?.index == 5)
        guard case .checkpointRootMismatch(let size, _, _) = rewritten?.problem else {
            Issue.record("\(String(describing: rewritten))")
            return
        }
        #expect(size == 12)

        // A flip that breaks the JSON is caught at the entry itself.
        var broken = log.entries
        broken[7][0] = UInt8(ascii: "[")
        #expect(Self.failure(log.verify(broken)) == .init(index: 7, problem: .unreadableEntry(.invalidJSON)))
    }

    @Test func aDeletedEntryIsReportedAtItsIndex() throws {
        let log = try Log()
        var tampered = log.entries
        tampered.remove(at: 9)  // i-1's seq 7; i-1's next entry (seq 8) was at 10, now at 9
        #expect(Self.failure(log.verify(tampered, storedHashes: log.leafHashes))?.index == 9)
        #expect(
            Self.failure(log.verify(tampered))
                == .init(index: 9, problem: .sequenceGap(instanceID: "i-1", expected: 7, found: 8))
        )
    }

    @Test func anInsertedEntryIsReportedAtItsIndex() throws {
        let log = try Log()
        var tampered = log.entries
        tampered.insert(log.entries[3], at: 6)  // a replay of i-1's seq 3
        #expect(Self.failure(log.verify(tampered, storedHashes: log.leafHashes))?.index == 6)
        #expect(
            Self.failure(log.verify(tampered))
                == .init(index: 6, problem: .sequenceRegression(instanceID: "i-1", expected: 5, found: 3))
        )
    }

    @Test func reorderedEntriesAreReportedAtTheFirstMovedIndex() throws {
        let log = try Log()
        var tampered = log.entries
        tampered.swapAt(13, 14)  // i-2 and i-1: each instance's seq still runs on
        #expect(Self.failure(log.verify(tampered, storedHashes: log.leafHashes))?.index == 13)
        // Without stored hashes only the checkpoint at 20 sees it: the first index it vouches for.
        guard case .checkpointRootMismatch(20, _, _) = Self.failure(log.verify(tampered))?.problem else {
            Issue.record("\(log.verify(tampered))")
            return
        }
        #expect(Self.failure(log.verify(tampered))?.index == 12)

        var sameInstance = log.entries
        sameInstance.swapAt(15, 16)  // i-1's seq 11 and 12
        #expect(
            Self.failure(log.verify(sameInstance))
                == .init(index: 15, problem: .sequenceGap(instanceID: "i-1", expected: 11, found: 12))
        )
    }

    @Test func aTruncatedLogIsReportedAtItsFirstMissingIndex() throws {
        let log = try Log()
        #expect(
            Self.failure(log.verify(Array(log.entries.prefix(17)), storedHashes: log.leafHashes))
                == .init(index: 17, problem: .truncated(leafCount: 17, checkpointSize: 20))
        )
        #expect(Self.failure(log.verify([]))?.index == 0)
    }

    @Test func checkpointsMustBeSignedByTheLogsKeyAndAgree() throws {
        let log = try Log()
        let forged = try AuditCheckpoint(origin: Self.origin, size: 12, rootHash: MerkleTree.emptyRoot)
            .signedNote(by: NoteSigner.generate(name: Self.origin))
        #expect(
            Self.failure(log.verify(log.entries, checkpoints: log.checkpoints + [forged]))
                == .init(index: nil, problem: .invalidCheckpoint(position: 3, .noVerifiedSignature))
        )

        // The log's own key signing a second history at one size: a split view.
        let conflicting = try AuditCheckpoint(origin: Self.origin, size: 12, rootHash: MerkleTree.emptyRoot)
            .signedNote(by: Self.signer)
        #expect(
            Self.failure(log.verify(log.entries, checkpoints: log.checkpoints + [conflicting]))
                == .init(index: nil, problem: .conflictingCheckpoints(size: 12))
        )

        let otherLog = try AuditCheckpoint(origin: "keel.test/other", size: 5, rootHash: MerkleTree.emptyRoot)
            .signedNote(by: Self.signer)
        #expect(
            Self.failure(log.verify(log.entries, checkpoints: [otherLog]))
                == .init(index: nil, problem: .invalidCheckpoint(position: 0, .unexpectedOrigin("keel.test/other")))
        )

        // Checkpoints in any order, repeated: the same result as the ordered list.
        #expect(Self.failure(log.verify(log.entries, checkpoints: log.checkpoints.reversed() + log.checkpoints)) == nil)
    }
}
