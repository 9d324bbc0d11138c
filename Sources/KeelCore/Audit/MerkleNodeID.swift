/// A complete subtree of the audit log's Merkle tree: the `2^level` leaves
/// `[index·2^level, (index+1)·2^level)`. Level 0 holds the leaf hashes themselves.
///
/// Only complete subtrees are ever stored: once its last leaf is appended a complete subtree never
/// changes, so storage writes each node once. A proof needs the hash of an incomplete subtree on
/// the tree's right edge at most once, and computes it from the complete subtrees it consists of.
public struct MerkleNodeID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The height above the leaves: 0 for a leaf.
    public var level: UInt8
    /// The position among the complete subtrees of that level, from the left.
    public var index: UInt64

    public init(level: UInt8, index: UInt64) {
        precondition(level < 64, "a tree of at most 2^64 leaves has levels 0 to 63")
        self.level = level
        self.index = index
    }

    /// The first leaf the subtree covers.
    public var firstLeaf: UInt64 { self.index << UInt64(self.level) }

    /// One past the last leaf the subtree covers.
    public var endLeaf: UInt64 { (self.index + 1) << UInt64(self.level) }

    /// Leaves first, then left to right on each level.
    public static func < (lhs: MerkleNodeID, rhs: MerkleNodeID) -> Bool {
        (lhs.level, lhs.index) < (rhs.level, rhs.index)
    }

    public var description: String { "(\(self.level), \(self.index))" }
}

/// A complete subtree and its hash: what the appender asks storage to keep.
public struct MerkleNode: Sendable, Hashable {
    public var id: MerkleNodeID
    public var hash: MerkleHash

    public init(id: MerkleNodeID, hash: MerkleHash) {
        self.id = id
        self.hash = hash
    }
}

extension MerkleNodeID {
    /// The complete subtrees that make up the leaves `[begin, end)`, left to right, when `begin`
    /// is a multiple of the largest power of two not above `end - begin`: the shape of every
    /// subtree RFC 6962 builds (a complete one, or one on the right edge of the tree). Their hashes
    /// folded from the right give that subtree's hash.
    static func decomposition(from begin: UInt64, to end: UInt64) -> [MerkleNodeID] {
        var nodes: [MerkleNodeID] = []
        var position = begin
        var remaining = end - begin
        while remaining > 0 {
            let level = UInt8(63 - remaining.leadingZeroBitCount)
            nodes.append(MerkleNodeID(level: level, index: position >> UInt64(level)))
            position += UInt64(1) << UInt64(level)
            remaining -= UInt64(1) << UInt64(level)
        }
        return nodes
    }
}
