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
        var node = leafIndex
        var lastNode = treeSize - 1
        var root = leafHash
        for sibling in proof {
            guard lastNode != 0 else { throw .proofHasWrongLength }
            if node & 1 == 1 || node == lastNode {
                root = MerkleTree.nodeHash(sibling, root)
                // A right-edge node without a sibling moves up levels unchanged.
                while node & 1 == 0 && node != 0 {
                    node >>= 1
                    lastNode >>= 1
                }
            } else {
                root = MerkleTree.nodeHash(root, sibling)
            }
            node >>= 1
            lastNode >>= 1
        }
        guard lastNode == 0 else { throw .proofHasWrongLength }
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
            leafIndex: leafIndex, treeSize: treeSize, leafHash: leafHash, proof: proof)
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
        var node = oldSize - 1
        var lastNode = newSize - 1
        while node & 1 == 1 {
            node >>= 1
            lastNode >>= 1
        }
        var oldHash = seed
        var newHash = seed
        for hash in path {
            guard lastNode != 0 else { throw .proofHasWrongLength }
            if node & 1 == 1 || node == lastNode {
                oldHash = MerkleTree.nodeHash(hash, oldHash)
                newHash = MerkleTree.nodeHash(hash, newHash)
                while node & 1 == 0 && node != 0 {
                    node >>= 1
                    lastNode >>= 1
                }
            } else {
                newHash = MerkleTree.nodeHash(newHash, hash)
            }
            node >>= 1
            lastNode >>= 1
        }
        guard lastNode == 0 else { throw .proofHasWrongLength }
        guard oldHash == oldRoot else { throw .rootMismatch(computed: oldHash, expected: oldRoot) }
        guard newHash == newRoot else { throw .rootMismatch(computed: newHash, expected: newRoot) }
    }
}
