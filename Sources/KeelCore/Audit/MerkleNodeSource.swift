/// Where proofs read the audit log's node hashes: implemented by the audit store, over the nodes
/// ``MerkleTreeAppender`` reported when the leaves were appended.
///
/// - A node is a complete subtree (``MerkleNodeID``); sources never hold incomplete ones.
/// - ``nodeHashes(_:)`` answers one batch per proof: an inclusion or consistency proof in a tree
///   of `n` leaves asks for at most about 2·log₂(n) nodes, never for the leaves.
/// - Conforming types are `Sendable`; a store reads at a consistent point (one transaction or
///   snapshot), since complete nodes never change this only matters for nodes being written.
public protocol MerkleNodeSource: Sendable {
    /// The hashes of the complete subtrees `ids`, in the same order. Throws
    /// ``MerkleTreeError/missingNode(_:)`` for a node that was never stored.
    func nodeHashes(_ ids: [MerkleNodeID]) async throws -> [MerkleHash]
}

/// Every node of a tree, in memory, level by level: the node source of tests, benchmarks and the
/// verification of an exported log small enough to hold.
///
/// Memory is about 64 bytes per leaf (the leaf hash plus the levels above it).
public struct InMemoryMerkleNodeStore: MerkleNodeSource, Sendable {
    /// `levels[l][i]` is the hash of the node `(l, i)`.
    private var levels: [[MerkleHash]] = []

    public init() {}

    /// The number of leaves stored.
    public var leafCount: UInt64 { UInt64(self.levels.first?.count ?? 0) }

    /// Stores `nodes`, as the appender reports them: each level grows from the left without gaps.
    public mutating func insert(_ nodes: some Sequence<MerkleNode>) {
        for node in nodes { self.insert(node) }
    }

    /// Stores one node; its index must be the next one on its level.
    public mutating func insert(_ node: MerkleNode) {
        let level = Int(node.id.level)
        while self.levels.count <= level { self.levels.append([]) }
        precondition(UInt64(self.levels[level].count) == node.id.index, "nodes arrive left to right")
        self.levels[level].append(node.hash)
    }

    /// Reserves room for `leaves` leaves and the nodes above them.
    public mutating func reserveCapacity(leaves: Int) {
        var count = leaves
        var level = 0
        while count > 0 {
            while self.levels.count <= level { self.levels.append([]) }
            self.levels[level].reserveCapacity(count)
            count /= 2
            level += 1
        }
    }

    /// The hash of `id`, if stored.
    public func hash(of id: MerkleNodeID) -> MerkleHash? {
        let level = Int(id.level)
        guard level < self.levels.count, id.index < UInt64(self.levels[level].count) else { return nil }
        return self.levels[level][Int(id.index)]
    }

    public func nodeHashes(_ ids: [MerkleNodeID]) throws -> [MerkleHash] {
        try ids.map { id throws(MerkleTreeError) in
            guard let hash = self.hash(of: id) else { throw .missingNode(id) }
            return hash
        }
    }
}
