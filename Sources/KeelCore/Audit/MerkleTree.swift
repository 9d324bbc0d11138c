import Crypto

/// The hashing of the audit log's Merkle tree: RFC 6962 §2.1, unchanged in RFC 9162 §2.1.1.
///
/// - A leaf hash is SHA-256(0x00 ‖ entry bytes), so no leaf can pass for an interior node.
/// - An interior node is SHA-256(0x01 ‖ left ‖ right).
/// - The tree over `n` entries splits at the largest power of two below `n`: the left subtree is
///   complete and the right one holds the rest. The root of the empty tree is SHA-256 of nothing.
///
/// Any implementation of RFC 6962 computes the same roots, so a log can be checked without Keel
/// (see `docs/audit-log.md`).
public enum MerkleTree {
    /// The root of the tree with no entries: SHA-256 of the empty string.
    public static let emptyRoot = MerkleHash(unsafeDigest: SHA256().finalize())

    /// The leaf hash of one entry: SHA-256(0x00 ‖ `entry`).
    public static func leafHash(of entry: some Collection<UInt8>) -> MerkleHash {
        var hasher = SHA256()
        withUnsafeBytes(of: UInt8(0x00)) { hasher.update(bufferPointer: $0) }
        if let digest = entry.withContiguousStorageIfAvailable({ buffer -> SHA256.Digest in
            hasher.update(bufferPointer: UnsafeRawBufferPointer(buffer))
            return hasher.finalize()
        }) {
            return MerkleHash(unsafeDigest: digest)
        }
        Array(entry).withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return MerkleHash(unsafeDigest: hasher.finalize())
    }

    /// The hash of an interior node: SHA-256(0x01 ‖ `left` ‖ `right`).
    public static func nodeHash(_ left: MerkleHash, _ right: MerkleHash) -> MerkleHash {
        // One 65-byte block on the stack, hashed in one call rather than three `update`s.
        var block: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &block) { packed in
            packed[0] = 0x01
            left.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: packed[1..<33]).copyMemory(from: $0) }
            right.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: packed[33..<65]).copyMemory(from: $0) }
            var hasher = SHA256()
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: packed[0..<65]))
            return MerkleHash(unsafeDigest: hasher.finalize())
        }
    }

    /// The root of the tree whose leaf hashes are `leafHashes`, in order. Linear time, and memory
    /// for one frontier (at most 64 hashes) beyond the input.
    public static func rootHash(ofLeafHashes leafHashes: some Sequence<MerkleHash>) -> MerkleHash {
        var appender = MerkleTreeAppender()
        for leafHash in leafHashes { appender.append(leafHash) }
        return appender.rootHash
    }

    /// The root of the tree over `entries`, in order: each is hashed as a leaf first.
    public static func rootHash(ofEntries entries: some Sequence<some Collection<UInt8>>) -> MerkleHash {
        self.rootHash(ofLeafHashes: entries.lazy.map { Self.leafHash(of: $0) })
    }

    /// The largest power of two strictly below `size` (`size` ≥ 2): where RFC 6962 splits a tree.
    static func splitPoint(_ size: UInt64) -> UInt64 {
        precondition(size >= 2, "only a tree of two or more leaves splits")
        return UInt64(1) << (63 - (size - 1).leadingZeroBitCount)
    }
}

extension MerkleHash {
    /// The bytes of a SHA-256 digest.
    init(unsafeDigest digest: SHA256.Digest) {
        self = digest.withUnsafeBytes { MerkleHash(unsafeBytes: $0) }
    }
}
