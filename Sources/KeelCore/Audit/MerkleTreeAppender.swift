/// Appends leaves to the audit log's Merkle tree while holding only its frontier: the roots of the
/// complete subtrees the tree's leaves split into (one per set bit of the size, largest first;
/// RFC 6962's tree is these roots folded from the right).
///
/// Appending a leaf costs O(1) amortised hashes and O(log n) at worst, so a batch of `b` leaves
/// costs O(b + log n) hashes, and ``rootHash`` costs at most 63 more. The appender reports every
/// complete subtree that an append finishes, the leaf itself included: storage persists those
/// nodes, and proofs are made from them (``MerkleProof``).
///
/// A value type with no I/O: the recorder keeps one per log, restores it after a restart from the
/// stored frontier nodes (``frontierNodeIDs(size:)``), and appends each batch inside the
/// transaction that writes the entries and the new nodes.
///
/// ```swift
/// var appender = MerkleTreeAppender()
/// var nodes: [MerkleNode] = []
/// for entry in batch { appender.append(MerkleTree.leafHash(of: entry), recordingNodesIn: &nodes) }
/// // store `batch` and `nodes` in one transaction; `appender.rootHash` is the new root
/// ```
public struct MerkleTreeAppender: Sendable, Equatable {
    /// The number of leaves appended so far.
    public private(set) var size: UInt64
    /// The roots of the complete subtrees that cover the leaves, left to right (largest first).
    public private(set) var frontier: [MerkleHash]

    /// An empty tree.
    public init() {
        self.size = 0
        self.frontier = []
        self.frontier.reserveCapacity(64)
    }

    /// Restores a tree of `size` leaves from its frontier: the hashes of
    /// ``frontierNodeIDs(size:)``, in that order.
    public init(size: UInt64, frontier: [MerkleHash]) throws(MerkleTreeError) {
        guard frontier.count == size.nonzeroBitCount else {
            throw .frontierDoesNotMatchSize(size: size, hashes: frontier.count)
        }
        self.size = size
        self.frontier = frontier
        self.frontier.reserveCapacity(64)
    }

    /// Restores a tree of `size` leaves by reading its frontier from `source` (one batch of at most
    /// 64 nodes).
    public init(size: UInt64, from source: some MerkleNodeSource) async throws {
        let hashes = try await source.nodeHashes(Self.frontierNodeIDs(size: size))
        try self.init(size: size, frontier: hashes)
    }

    /// The complete subtrees whose roots form the frontier of a tree of `size` leaves, left to right.
    public static func frontierNodeIDs(size: UInt64) -> [MerkleNodeID] {
        MerkleNodeID.decomposition(from: 0, to: size)
    }

    /// The root of the tree: the empty root for no leaves, otherwise the frontier folded from the
    /// right.
    public var rootHash: MerkleHash {
        guard var root = self.frontier.last else { return MerkleTree.emptyRoot }
        for hash in self.frontier.dropLast().reversed() {
            root = MerkleTree.nodeHash(hash, root)
        }
        return root
    }

    /// Appends the leaf whose hash is `leafHash` (``MerkleTree/leafHash(of:)`` of the entry).
    public mutating func append(_ leafHash: MerkleHash) {
        self.append(leafHash) { _ in }
    }

    /// Appends the leaf whose hash is `leafHash`, and adds to `nodes` every complete subtree this
    /// append finishes: the leaf at level 0, then one node per level it completes, bottom up.
    public mutating func append(_ leafHash: MerkleHash, recordingNodesIn nodes: inout [MerkleNode]) {
        self.append(leafHash) { nodes.append($0) }
    }

    /// Appends every leaf hash of `leafHashes` in order; returns the complete subtrees the batch
    /// finished, in the order they were finished.
    public mutating func append(contentsOf leafHashes: some Sequence<MerkleHash>) -> [MerkleNode] {
        var nodes: [MerkleNode] = []
        nodes.reserveCapacity(leafHashes.underestimatedCount * 2)
        for leafHash in leafHashes { self.append(leafHash, recordingNodesIn: &nodes) }
        return nodes
    }

    private mutating func append(_ leafHash: MerkleHash, finished: (MerkleNode) -> Void) {
        precondition(self.size < UInt64.max, "the tree is full")
        let leafIndex = self.size
        var hash = leafHash
        var level: UInt8 = 0
        finished(MerkleNode(id: MerkleNodeID(level: 0, index: leafIndex), hash: hash))
        // Each trailing one bit of the old size is a complete subtree on the frontier that the new
        // leaf's subtree, now of the same height, merges with.
        while (leafIndex >> UInt64(level)) & 1 == 1 {
            hash = MerkleTree.nodeHash(self.frontier.removeLast(), hash)
            level += 1
            finished(MerkleNode(id: MerkleNodeID(level: level, index: leafIndex >> UInt64(level)), hash: hash))
        }
        self.frontier.append(hash)
        self.size = leafIndex + 1
    }
}

/// Why a tree or a proof cannot be built or checked.
public enum MerkleTreeError: Error, Sendable, Equatable {
    /// A frontier needs one hash per set bit of the tree size.
    case frontierDoesNotMatchSize(size: UInt64, hashes: Int)
    /// A leaf index at or past the tree size.
    case leafIndexOutOfRange(index: UInt64, size: UInt64)
    /// A consistency proof from a larger tree to a smaller one.
    case sizesOutOfOrder(old: UInt64, new: UInt64)
    /// The node source answered with a different number of hashes than it was asked for.
    case nodeSourceAnsweredWrongCount(asked: Int, answered: Int)
    /// The node source lacks a node that the tree size says is complete.
    case missingNode(MerkleNodeID)
    /// The proof has the wrong number of hashes for its sizes.
    case proofHasWrongLength
    /// The proof leads to a different root: the entry or the old tree is not part of this tree.
    case rootMismatch(computed: MerkleHash, expected: MerkleHash)
}
