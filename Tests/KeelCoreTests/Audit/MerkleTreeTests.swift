import KeelCore
import Testing

@Suite("Merkle tree: RFC 6962 hashing and the incremental appender")
struct MerkleTreeTests {
    @Test func rootsOfEveryPrefixMatchTheReferenceVectors() {
        for size in 0...RFC6962Vectors.leaves.count {
            #expect(
                MerkleTree.rootHash(ofEntries: RFC6962Vectors.leaves[0..<size]) == RFC6962Vectors.roots[size],
                "size \(size)"
            )
        }
        #expect(MerkleTree.emptyRoot.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func theAppenderReportsEveryCompleteSubtreeOnceWithItsReferenceHash() {
        var appender = MerkleTreeAppender()
        var nodes: [MerkleNode] = []
        for (size, entry) in RFC6962Vectors.leaves.enumerated() {
            #expect(appender.rootHash == RFC6962Vectors.roots[size])
            appender.append(MerkleTree.leafHash(of: entry), recordingNodesIn: &nodes)
        }
        #expect(appender.rootHash == RFC6962Vectors.roots[8])
        let expected = RFC6962Vectors.nodes.enumerated().flatMap { level, hashes in
            hashes.enumerated().map { index, hash in
                MerkleNode(id: MerkleNodeID(level: UInt8(level), index: UInt64(index)), hash: hash)
            }
        }
        #expect(nodes.count == 15)
        #expect(Set(nodes) == Set(expected))
        // Bottom up within one append: leaf 7 finishes (0,7), (1,3), (2,1), (3,0) in that order.
        #expect(
            nodes.suffix(4).map(\.id) == [
                .init(level: 0, index: 7), .init(level: 1, index: 3), .init(level: 2, index: 1),
                .init(level: 3, index: 0),
            ]
        )
    }

    @Test func theFrontierMatchesTheReferenceCompactTrees() {
        var appender = MerkleTreeAppender()
        for size in 0...8 {
            let expected = RFC6962Vectors.frontiers[size].map { RFC6962Vectors.nodes[$0.level][$0.index] }
            #expect(appender.frontier == expected, "size \(size)")
            #expect(
                MerkleTreeAppender.frontierNodeIDs(size: UInt64(size))
                    == RFC6962Vectors.frontiers[size].map {
                        MerkleNodeID(level: UInt8($0.level), index: UInt64($0.index))
                    }
            )
            if size < 8 { appender.append(MerkleTree.leafHash(of: RFC6962Vectors.leaves[size])) }
        }
    }

    @Test func anAppenderRestoredFromStoredNodesContinuesTheSameTree() async throws {
        var store = InMemoryMerkleNodeStore()
        var appender = MerkleTreeAppender()
        store.insert(appender.append(contentsOf: RFC6962Vectors.leaves[0..<5].map { MerkleTree.leafHash(of: $0) }))

        var restored = try await MerkleTreeAppender(size: 5, from: store)
        #expect(restored == appender)
        let rest = restored.append(contentsOf: RFC6962Vectors.leaves[5...].map { MerkleTree.leafHash(of: $0) })
        #expect(restored.rootHash == RFC6962Vectors.roots[8])
        store.insert(rest)
        #expect(store.leafCount == 8)
        #expect(store.hash(of: MerkleNodeID(level: 3, index: 0)) == RFC6962Vectors.roots[8])

        #expect(throws: MerkleTreeError.frontierDoesNotMatchSize(size: 5, hashes: 1)) {
            try MerkleTreeAppender(size: 5, frontier: [RFC6962Vectors.roots[4]])
        }
        await #expect(throws: MerkleTreeError.missingNode(MerkleNodeID(level: 0, index: 8))) {
            try await MerkleTreeAppender(size: 9, from: store)
        }
    }

    @Test func theAppenderAgreesWithTheRecursiveDefinitionForEverySizeUpTo300() {
        var generator = SplitMix64(seed: 6962)
        let entries = (0..<300).map { _ in
            (0..<Int.random(in: 0..<40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
        var naive = NaiveMerkleTree(entries: entries)
        var appender = MerkleTreeAppender()
        var nodes: [MerkleNode] = []
        for size in 0...entries.count {
            #expect(appender.rootHash == naive.root(0..<size), "size \(size)")
            if size < entries.count { appender.append(naive.leafHashes[size], recordingNodesIn: &nodes) }
        }
        // Every complete subtree is reported exactly once, with the hash of its leaves.
        #expect(nodes.count == Set(nodes.map(\.id)).count)
        for node in nodes {
            #expect(node.hash == naive.root(Int(node.id.firstLeaf)..<Int(node.id.endLeaf)), "\(node.id)")
        }
        #expect(nodes.count == 300 + 150 + 75 + 37 + 18 + 9 + 4 + 2 + 1)
    }

    @Test func hashesReadAndWriteHexAndBase64() throws {
        let root = RFC6962Vectors.roots[8]
        #expect(root.base64 == "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=")
        #expect(MerkleHash(base64: root.base64) == root)
        #expect(MerkleHash(hex: root.hex.uppercased()) == root)
        #expect(MerkleHash(base64: "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg") == nil)  // no padding
        #expect(MerkleHash(base64: "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=") == nil)  // stray bits
        #expect(MerkleHash(hex: String(root.hex.dropLast(2))) == nil)
        #expect(MerkleHash(bytes: root.bytes) == root)
    }
}
