/// Inclusion and consistency proofs of the audit log's Merkle tree (RFC 9162 §2.1.3 and §2.1.4,
/// the same proofs as RFC 6962 §2.1.1 and §2.1.2), made from stored complete subtrees.
///
/// A proof lists the hashes RFC 9162 names, in its order (the audit path from the leaf up; the
/// consistency path as `SUBPROOF` builds it). Each proof hash is either a stored complete subtree
/// or, at most once per proof, a subtree on the tree's right edge that is not complete yet; that
/// one is computed from the complete subtrees it consists of. A proof's ``Plan`` lists the nodes it
/// reads: O(log n), in one batch, never the leaves of the tree.
///
/// ```swift
/// let proof = try await MerkleProof.inclusion(leafIndex: 5, treeSize: checkpoint.size, from: store)
/// try MerkleProof.verifyInclusion(leafIndex: 5, treeSize: checkpoint.size, leafHash: leaf,
///                                 proof: proof, rootHash: checkpoint.rootHash)
/// ```
public enum MerkleProof {
    /// The nodes one proof reads: one list per proof hash, whose stored hashes folded from the
    /// right (``MerkleTree/nodeHash(_:_:)``) give that proof hash.
    public struct Plan: Sendable, Equatable {
        public var elements: [[MerkleNodeID]]

        /// Every node the proof reads, in proof order.
        public var nodeIDs: [MerkleNodeID] { self.elements.flatMap { $0 } }
    }

    /// The plan of the inclusion proof of leaf `leafIndex` in the tree of `treeSize` leaves: the
    /// audit path from the leaf's sibling up to the root's child.
    public static func inclusionPlan(leafIndex: UInt64, treeSize: UInt64) throws(MerkleTreeError) -> Plan {
        guard leafIndex < treeSize else { throw .leafIndexOutOfRange(index: leafIndex, size: treeSize) }
        var elements: [[MerkleNodeID]] = []
        var level: UInt64 = 0
        while level < 64, UInt64(1) << level < treeSize {
            let sibling = (leafIndex >> level) ^ 1
            let (begin, overflow) = sibling.multipliedReportingOverflow(by: UInt64(1) << level)
            // A sibling past the last leaf does not exist: the subtree holding the leaf is the
            // right edge, promoted a level without hashing (RFC 6962 splits at a power of two).
            if !overflow, begin < treeSize {
                let end = treeSize - begin > UInt64(1) << level ? begin + (UInt64(1) << level) : treeSize
                elements.append(MerkleNodeID.decomposition(from: begin, to: end))
            }
            level += 1
        }
        return Plan(elements: elements)
    }

    /// The plan of the consistency proof from the tree of `oldSize` leaves to the tree of
    /// `newSize` leaves: empty when either size is 0 or the sizes are equal.
    public static func consistencyPlan(oldSize: UInt64, newSize: UInt64) throws(MerkleTreeError) -> Plan {
        guard oldSize <= newSize else { throw .sizesOutOfOrder(old: oldSize, new: newSize) }
        var elements: [[MerkleNodeID]] = []
        if oldSize > 0, oldSize < newSize {
            Self.subproof(oldSize, begin: 0, end: newSize, haveOldRoot: true, into: &elements)
        }
        return Plan(elements: elements)
    }

    /// RFC 9162 §2.1.4.1 `SUBPROOF(m, D[begin:end], b)`, collecting node lists instead of hashes.
    private static func subproof(
        _ oldSize: UInt64,
        begin: UInt64,
        end: UInt64,
        haveOldRoot: Bool,
        into elements: inout [[MerkleNodeID]]
    ) {
        let size = end - begin
        if oldSize == size {
            if !haveOldRoot { elements.append(MerkleNodeID.decomposition(from: begin, to: end)) }
            return
        }
        let split = MerkleTree.splitPoint(size)
        if oldSize <= split {
            Self.subproof(oldSize, begin: begin, end: begin + split, haveOldRoot: haveOldRoot, into: &elements)
            elements.append(MerkleNodeID.decomposition(from: begin + split, to: end))
        } else {
            Self.subproof(oldSize - split, begin: begin + split, end: end, haveOldRoot: false, into: &elements)
            elements.append(MerkleNodeID.decomposition(from: begin, to: begin + split))
        }
    }

    /// The inclusion proof of leaf `leafIndex` in the tree of `treeSize` leaves, read from
    /// `source` in one batch.
    public static func inclusion(
        leafIndex: UInt64,
        treeSize: UInt64,
        from source: some MerkleNodeSource
    ) async throws -> [MerkleHash] {
        try await Self.hashes(of: Self.inclusionPlan(leafIndex: leafIndex, treeSize: treeSize), from: source)
    }

    /// The consistency proof from the tree of `oldSize` leaves to the tree of `newSize` leaves,
    /// read from `source` in one batch.
    public static func consistency(
        oldSize: UInt64,
        newSize: UInt64,
        from source: some MerkleNodeSource
    ) async throws -> [MerkleHash] {
        try await Self.hashes(of: Self.consistencyPlan(oldSize: oldSize, newSize: newSize), from: source)
    }

    /// Reads every node of `plan` in one batch and folds each element.
    public static func hashes(of plan: Plan, from source: some MerkleNodeSource) async throws -> [MerkleHash] {
        let ids = plan.nodeIDs
        guard !ids.isEmpty else { return [] }
        let stored = try await source.nodeHashes(ids)
        guard stored.count == ids.count else {
            throw MerkleTreeError.nodeSourceAnsweredWrongCount(asked: ids.count, answered: stored.count)
        }
        var proof: [MerkleHash] = []
        proof.reserveCapacity(plan.elements.count)
        var offset = 0
        for element in plan.elements {
            let parts = stored[offset..<(offset + element.count)]
            var hash = parts.last!
            for part in parts.dropLast().reversed() { hash = MerkleTree.nodeHash(part, hash) }
            proof.append(hash)
            offset += element.count
        }
        return proof
    }
}
