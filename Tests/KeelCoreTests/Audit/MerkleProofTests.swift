import KeelCore
import Synchronization
import Testing

@Suite("Merkle proofs: inclusion and consistency from stored nodes")
struct MerkleProofTests {
    /// The node store of the eight reference leaves.
    static func referenceStore() -> InMemoryMerkleNodeStore {
        var store = InMemoryMerkleNodeStore()
        var appender = MerkleTreeAppender()
        store.insert(appender.append(contentsOf: RFC6962Vectors.leaves.map { MerkleTree.leafHash(of: $0) }))
        return store
    }

    @Test(arguments: RFC6962Vectors.inclusionProofs)
    func inclusionProofsMatchTheReferenceVectorsAndVerify(vector: RFC6962Vectors.Inclusion) async throws {
        let proof = try await MerkleProof.inclusion(
            leafIndex: vector.index,
            treeSize: vector.size,
            from: Self.referenceStore()
        )
        #expect(proof == vector.proof)
        let leafHash = MerkleTree.leafHash(of: RFC6962Vectors.leaves[Int(vector.index)])
        let root = RFC6962Vectors.roots[Int(vector.size)]
        try MerkleProof.verifyInclusion(
            leafIndex: vector.index,
            treeSize: vector.size,
            leafHash: leafHash,
            proof: vector.proof,
            rootHash: root
        )
        for probe in Self.corruptedInclusions(vector, leafHash: leafHash, root: root) {
            #expect(throws: MerkleTreeError.self, "\(probe.name)") {
                try MerkleProof.verifyInclusion(
                    leafIndex: probe.index,
                    treeSize: probe.size,
                    leafHash: probe.leafHash,
                    proof: probe.proof,
                    rootHash: probe.root
                )
            }
        }
    }

    @Test(arguments: RFC6962Vectors.consistencyProofs)
    func consistencyProofsMatchTheReferenceVectorsAndVerify(vector: RFC6962Vectors.Consistency) async throws {
        let proof = try await MerkleProof.consistency(
            oldSize: vector.oldSize,
            newSize: vector.newSize,
            from: Self.referenceStore()
        )
        #expect(proof == vector.proof)
        let oldRoot = RFC6962Vectors.roots[Int(vector.oldSize)]
        let newRoot = RFC6962Vectors.roots[Int(vector.newSize)]
        try MerkleProof.verifyConsistency(
            oldSize: vector.oldSize,
            newSize: vector.newSize,
            oldRoot: oldRoot,
            newRoot: newRoot,
            proof: vector.proof
        )
        guard !vector.proof.isEmpty else { return }
        for probe in Self.corruptedConsistencies(vector, oldRoot: oldRoot, newRoot: newRoot) {
            #expect(throws: MerkleTreeError.self, "\(probe.name)") {
                try MerkleProof.verifyConsistency(
                    oldSize: probe.oldSize,
                    newSize: probe.newSize,
                    oldRoot: probe.oldRoot,
                    newRoot: probe.newRoot,
                    proof: probe.proof
                )
            }
        }
    }

    @Test func proofsReadExactlyTheReferenceNodes() throws {
        func ids(_ nodes: [(UInt8, UInt64)]) -> [MerkleNodeID] {
            nodes.map { MerkleNodeID(level: $0.0, index: $0.1) }.sorted()
        }
        for vector in RFC6962Vectors.inclusionNodes {
            let plan = try MerkleProof.inclusionPlan(leafIndex: vector.index, treeSize: vector.size)
            #expect(plan.nodeIDs.sorted() == ids(vector.nodes), "inclusion of \(vector.index) in \(vector.size)")
        }
        for vector in RFC6962Vectors.consistencyNodes {
            let plan = try MerkleProof.consistencyPlan(oldSize: vector.oldSize, newSize: vector.newSize)
            #expect(plan.nodeIDs.sorted() == ids(vector.nodes), "consistency \(vector.oldSize) → \(vector.newSize)")
        }
        #expect(throws: MerkleTreeError.leafIndexOutOfRange(index: 8, size: 7)) {
            try MerkleProof.inclusionPlan(leafIndex: 8, treeSize: 7)
        }
        #expect(throws: MerkleTreeError.leafIndexOutOfRange(index: 0, size: 0)) {
            try MerkleProof.inclusionPlan(leafIndex: 0, treeSize: 0)
        }
        #expect(throws: MerkleTreeError.sizesOutOfOrder(old: 9, new: 8)) {
            try MerkleProof.consistencyPlan(oldSize: 9, newSize: 8)
        }
    }

    @Test func aProofInAHugeTreeReadsALogarithmicNumberOfNodesInOneBatch() async throws {
        let source = RecordingNodeSource()
        let size: UInt64 = 10_000_000_019
        _ = try await MerkleProof.inclusion(leafIndex: 7_777_777_777, treeSize: size, from: source)
        _ = try await MerkleProof.consistency(oldSize: 4_999_999_999, newSize: size, from: source)
        _ = try await MerkleProof.inclusion(leafIndex: UInt64.max - 1, treeSize: UInt64.max, from: source)
        let batches = source.batches.withLock { $0 }
        #expect(batches.count == 3)
        let bound = 2 * (64 - size.leadingZeroBitCount)
        #expect(batches[0].count <= bound && batches[1].count <= bound, "\(batches.map(\.count))")
        #expect(batches[2].count <= 128)
        // Every node read is complete within the tree.
        #expect(batches[0...1].joined().allSatisfy { $0.endLeaf <= size })
    }

    @Test func proofsAgreeWithTheRecursiveDefinitionForEverySizeUpTo300() async throws {
        var generator = SplitMix64(seed: 9162)
        let entries = (0..<300).map { index in
            (0..<(index % 7 * 5)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
        var naive = NaiveMerkleTree(entries: entries)
        var store = InMemoryMerkleNodeStore()
        var appender = MerkleTreeAppender()
        store.insert(appender.append(contentsOf: naive.leafHashes))

        for size in 1...entries.count {
            let root = naive.root(0..<size)
            let bound = 2 * (Int.bitWidth - size.leadingZeroBitCount)
            for index in 0..<size {
                let plan = try MerkleProof.inclusionPlan(leafIndex: UInt64(index), treeSize: UInt64(size))
                #expect(plan.nodeIDs.count <= bound)
                let proof = try await MerkleProof.hashes(of: plan, from: store)
                #expect(proof == naive.path(index, 0..<size), "leaf \(index) of \(size)")
                try MerkleProof.verifyInclusion(
                    leafIndex: UInt64(index),
                    treeSize: UInt64(size),
                    leafHash: naive.leafHashes[index],
                    proof: proof,
                    rootHash: root
                )
            }
            for oldSize in 0...size {
                let plan = try MerkleProof.consistencyPlan(oldSize: UInt64(oldSize), newSize: UInt64(size))
                #expect(plan.nodeIDs.count <= bound)
                let proof = try await MerkleProof.hashes(of: plan, from: store)
                #expect(proof == naive.consistency(oldSize, size), "\(oldSize) → \(size)")
                try MerkleProof.verifyConsistency(
                    oldSize: UInt64(oldSize),
                    newSize: UInt64(size),
                    oldRoot: naive.root(0..<oldSize),
                    newRoot: root,
                    proof: proof
                )
            }
        }
    }

    @Test func trivialConsistencyCasesFollowRFC9162() throws {
        let a = RFC6962Vectors.roots[1]
        let b = RFC6962Vectors.roots[2]
        try MerkleProof.verifyConsistency(oldSize: 0, newSize: 0, oldRoot: a, newRoot: a, proof: [])
        try MerkleProof.verifyConsistency(oldSize: 0, newSize: 5, oldRoot: a, newRoot: b, proof: [])
        try MerkleProof.verifyConsistency(oldSize: 3, newSize: 3, oldRoot: b, newRoot: b, proof: [])
        #expect(throws: MerkleTreeError.self) {
            try MerkleProof.verifyConsistency(oldSize: 1, newSize: 1, oldRoot: a, newRoot: b, proof: [])
        }
        #expect(throws: MerkleTreeError.self) {
            try MerkleProof.verifyConsistency(oldSize: 1, newSize: 1, oldRoot: a, newRoot: a, proof: [a])
        }
        #expect(throws: MerkleTreeError.self) {
            try MerkleProof.verifyConsistency(oldSize: 0, newSize: 1, oldRoot: a, newRoot: a, proof: [a])
        }
        #expect(throws: MerkleTreeError.self) {
            try MerkleProof.verifyConsistency(oldSize: 1, newSize: 2, oldRoot: a, newRoot: b, proof: [])
        }
        #expect(throws: MerkleTreeError.sizesOutOfOrder(old: 2, new: 1)) {
            try MerkleProof.verifyConsistency(oldSize: 2, newSize: 1, oldRoot: a, newRoot: b, proof: [])
        }
    }

    // MARK: - Corrupted proofs (the probes of transparency-dev/merkle `proof/verify_test.go`)

    struct InclusionProbe {
        var name: String
        var index: UInt64
        var size: UInt64
        var leafHash: MerkleHash
        var proof: [MerkleHash]
        var root: MerkleHash
    }

    static func corruptedInclusions(
        _ vector: RFC6962Vectors.Inclusion,
        leafHash: MerkleHash,
        root: MerkleHash
    ) -> [InclusionProbe] {
        let other = MerkleTree.leafHash(of: Array("WrongLeaf".utf8))
        let base = InclusionProbe(
            name: "",
            index: vector.index,
            size: vector.size,
            leafHash: leafHash,
            proof: vector.proof,
            root: root
        )
        func probe(_ name: String, _ change: (inout InclusionProbe) -> Void) -> InclusionProbe {
            var probe = base
            probe.name = name
            change(&probe)
            return probe
        }
        var probes = [
            probe("index + 1") { $0.index += 1 },
            probe("index ^ 2") { $0.index ^= 2 },
            probe("size * 2") { $0.size *= 2 },
            probe("size / 2") { $0.size /= 2 },
            probe("wrong leaf") { $0.leafHash = other },
            probe("empty root") { $0.root = MerkleTree.emptyRoot },
            probe("trailing root") { $0.proof.append(root) },
            probe("preceding root") { $0.proof.insert(root, at: 0) },
        ]
        if vector.index > 0 { probes.append(probe("index - 1") { $0.index -= 1 }) }
        for position in vector.proof.indices {
            probes.append(
                probe("flipped bit in proof[\(position)]") {
                    var bytes = $0.proof[position].bytes
                    bytes[0] ^= 8
                    $0.proof[position] = MerkleHash(bytes: bytes)!
                }
            )
        }
        if !vector.proof.isEmpty { probes.append(probe("removed last") { $0.proof.removeLast() }) }
        if vector.proof.count > 1 { probes.append(probe("inserted hash") { $0.proof.insert(other, at: 1) }) }
        return probes
    }

    struct ConsistencyProbe {
        var name: String
        var oldSize: UInt64
        var newSize: UInt64
        var oldRoot: MerkleHash
        var newRoot: MerkleHash
        var proof: [MerkleHash]
    }

    static func corruptedConsistencies(
        _ vector: RFC6962Vectors.Consistency,
        oldRoot: MerkleHash,
        newRoot: MerkleHash
    ) -> [ConsistencyProbe] {
        let wrong = MerkleTree.leafHash(of: Array("WrongRoot".utf8))
        let base = ConsistencyProbe(
            name: "",
            oldSize: vector.oldSize,
            newSize: vector.newSize,
            oldRoot: oldRoot,
            newRoot: newRoot,
            proof: vector.proof
        )
        func probe(_ name: String, _ change: (inout ConsistencyProbe) -> Void) -> ConsistencyProbe {
            var probe = base
            probe.name = name
            change(&probe)
            return probe
        }
        var probes = [
            probe("old size - 1") { $0.oldSize -= 1 },
            probe("old size + 1") { $0.oldSize += 1 },
            probe("old size ^ 2") { $0.oldSize ^= 2 },
            probe("new size * 2") { $0.newSize *= 2 },
            probe("new size / 2") { $0.newSize /= 2 },
            probe("wrong old root") { $0.oldRoot = wrong },
            probe("wrong new root") { $0.newRoot = wrong },
            probe("swapped roots") { swap(&$0.oldRoot, &$0.newRoot) },
            probe("empty proof") { $0.proof = [] },
            probe("trailing old root") { $0.proof.append(oldRoot) },
            probe("trailing new root") { $0.proof.append(newRoot) },
            probe("preceding old root") { $0.proof.insert(oldRoot, at: 0) },
            probe("preceding new root") { $0.proof.insert(newRoot, at: 0) },
            probe("preceding proof[0]") { $0.proof.insert(vector.proof[0], at: 0) },
            probe("truncated") { $0.proof.removeLast() },
        ]
        for position in vector.proof.indices {
            probes.append(
                probe("flipped bit in proof[\(position)]") {
                    var bytes = $0.proof[position].bytes
                    bytes[0] ^= 16
                    $0.proof[position] = MerkleHash(bytes: bytes)!
                }
            )
        }
        return probes
    }
}

/// A node source that records the batches it is asked for and answers with made-up hashes: for
/// counting the reads of proofs in trees too large to build.
final class RecordingNodeSource: MerkleNodeSource {
    let batches = Mutex<[[MerkleNodeID]]>([])

    func nodeHashes(_ ids: [MerkleNodeID]) async throws -> [MerkleHash] {
        self.batches.withLock { $0.append(ids) }
        return ids.map { MerkleTree.leafHash(of: Array("\($0)".utf8)) }
    }
}
