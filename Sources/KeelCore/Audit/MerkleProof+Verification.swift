extension MerkleProof {
    /// The root that `proof` leads to from leaf `leafIndex` with hash `leafHash` in a tree of
    /// `treeSize` leaves: RFC 9162 §2.1.3.2 without the final comparison. Throws when the proof has
    /// the wrong length for the index and size.
    public static func rootFromInclusionProof(
        leafIndex: UInt64,
        treeSize: UInt64,
        leafHash: MerkleHash,
        proof: [MerkleHash]
    ) throws(MerkleTreeError) -> MerkleHash {
        guard leafIndex < treeSize else { throw .leafIndexOutOfRange(index: leafIndex, size: treeSize) }
        var walk = PathWalk(node: leafIndex, lastNode: treeSize - 1)
        var root = leafHash
        for sibling in proof {
            switch try walk.step() {
            case .left: root = MerkleTree.nodeHash(sibling, root)
            case .right: root = MerkleTree.nodeHash(root, sibling)
            }
        }
        try walk.finish()
        return root
    }

    /// Checks that `proof` shows the leaf with hash `leafHash` at `leafIndex` in the tree of
    /// `treeSize` leaves whose root is `rootHash` (RFC 9162 §2.1.3.2).
    public static func verifyInclusion(
        leafIndex: UInt64,
        treeSize: UInt64,
        leafHash: MerkleHash,
        proof: [MerkleHash],
        rootHash: MerkleHash
    ) throws(MerkleTreeError) {
        let computed = try Self.rootFromInclusionProof(
            leafIndex: leafIndex,
            treeSize: treeSize,
            leafHash: leafHash,
            proof: proof
        )
        guard computed == rootHash else { throw .rootMismatch(computed: computed, expected: rootHash) }
    }

    /// Checks that `proof` shows the tree of `oldSize` leaves with root `oldRoot` to be a prefix of
    /// the tree of `newSize` leaves with root `newRoot` (RFC 9162 §2.1.4.2).
    ///
    /// Equal sizes need an empty proof and equal roots. The empty tree is a prefix of every tree,
    /// with an empty proof.
    public static func verifyConsistency(
        oldSize: UInt64,
        newSize: UInt64,
        oldRoot: MerkleHash,
        newRoot: MerkleHash,
        proof: [MerkleHash]
    ) throws(MerkleTreeError) {
        guard oldSize <= newSize else { throw .sizesOutOfOrder(old: oldSize, new: newSize) }
        if oldSize == newSize {
            guard proof.isEmpty else { throw .proofHasWrongLength }
            guard oldRoot == newRoot else { throw .rootMismatch(computed: newRoot, expected: oldRoot) }
            return
        }
        if oldSize == 0 {
            guard proof.isEmpty else { throw .proofHasWrongLength }
            return
        }
        guard !proof.isEmpty else { throw .proofHasWrongLength }
        // An old tree whose size is a power of two is a complete subtree of the new one; its root
        // is the start of the path rather than a proof hash.
        var path = proof[...]
        let seed: MerkleHash
        if oldSize & (oldSize - 1) == 0 {
            seed = oldRoot
        } else {
            seed = path.removeFirst()
        }
        var walk = PathWalk(node: oldSize - 1, lastNode: newSize - 1)
        // The seed already covers the levels where the old tree's last node is a right child.
        walk.skipRightChildLevels()
        var oldHash = seed
        var newHash = seed
        for hash in path {
            switch try walk.step() {
            case .left:
                oldHash = MerkleTree.nodeHash(hash, oldHash)
                newHash = MerkleTree.nodeHash(hash, newHash)
            case .right:
                newHash = MerkleTree.nodeHash(newHash, hash)
            }
        }
        try walk.finish()
        guard oldHash == oldRoot else { throw .rootMismatch(computed: oldHash, expected: oldRoot) }
        guard newHash == newRoot else { throw .rootMismatch(computed: newHash, expected: newRoot) }
    }
}

/// The walk up the tree shared by RFC 9162's two verification algorithms (§2.1.3.2 and
/// §2.1.4.2): `node` is the index of the current node on its level and `lastNode` that of the
/// level's last node; each proof hash is a sibling on the left or on the right.
private struct PathWalk {
    enum Side { case left, right }

    var node: UInt64
    var lastNode: UInt64

    /// Which side the next proof hash goes on; then up past it. A level's last node that is a left
    /// child has no sibling on that level: it rises until it is a right child, and the hash is its
    /// left sibling there.
    mutating func step() throws(MerkleTreeError) -> Side {
        guard self.lastNode != 0 else { throw .proofHasWrongLength }
        let side: Side
        if self.node & 1 == 1 || self.node == self.lastNode {
            side = .left
            while self.node & 1 == 0 && self.node != 0 { self.up() }
        } else {
            side = .right
        }
        self.up()
        return side
    }

    /// While the node is a right child, up a level.
    mutating func skipRightChildLevels() {
        while self.node & 1 == 1 { self.up() }
    }

    /// The proof must have reached the root.
    func finish() throws(MerkleTreeError) {
        guard self.lastNode == 0 else { throw .proofHasWrongLength }
    }

    private mutating func up() {
        self.node >>= 1
        self.lastNode >>= 1
    }
}
