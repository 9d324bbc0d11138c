/// A SHA-256 value of the audit log's Merkle tree: a leaf hash, an interior node hash or a root.
///
/// Held inline as four words, so arrays of hashes (a frontier, a proof, a level of the in-memory
/// node store) cost no allocation per hash. Its bytes are the digest's bytes in order; `hex` is
/// lowercase and `base64` is standard base64 with padding, as checkpoints write the root.
public struct MerkleHash: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The digest's bytes in memory order (no integer interpretation: only equality and the
    /// byte order matter).
    private var words: (UInt64, UInt64, UInt64, UInt64)

    /// The number of bytes in a hash.
    public static let byteCount = 32

    /// Reads exactly 32 bytes; `nil` for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        self.words = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &self.words) { target in
            for (offset, byte) in bytes.enumerated() { target[offset] = byte }
        }
    }

    /// Reads the 32 bytes at the start of `buffer`, which must hold at least 32.
    init(unsafeBytes buffer: UnsafeRawBufferPointer) {
        precondition(buffer.count >= Self.byteCount, "a hash needs 32 bytes")
        self.words = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &self.words) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0..<Self.byteCount]))
        }
    }

    /// Reads 64 lowercase or uppercase hex digits; `nil` for anything else.
    public init?(hex: String) {
        guard let bytes = HexCoding.decode(hex), let hash = MerkleHash(bytes: bytes) else { return nil }
        self = hash
    }

    /// Reads standard base64 (with padding) of 32 bytes; `nil` for anything else.
    public init?(base64: String) {
        guard let bytes = Base64Coding.decode(base64), let hash = MerkleHash(bytes: bytes) else { return nil }
        self = hash
    }

    /// Gives `body` the 32 bytes without copying them.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try Swift.withUnsafeBytes(of: self.words, body)
    }

    /// The 32 bytes, as a new array.
    public var bytes: [UInt8] {
        self.withUnsafeBytes { Array($0) }
    }

    /// Lowercase hex, 64 characters.
    public var hex: String {
        self.withUnsafeBytes { HexCoding.encode($0) }
    }

    /// Standard base64 with padding, 44 characters: the form of a checkpoint's root line.
    public var base64: String {
        self.withUnsafeBytes { Base64Coding.encode($0) }
    }

    public var description: String { self.hex }

    public static func == (lhs: MerkleHash, rhs: MerkleHash) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2
            && lhs.words.3 == rhs.words.3
    }

    /// Byte-wise order, so sorted hashes read the same as sorted hex strings.
    public static func < (lhs: MerkleHash, rhs: MerkleHash) -> Bool {
        lhs.withUnsafeBytes { left in rhs.withUnsafeBytes { right in left.lexicographicallyPrecedes(right) } }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.words.0)
        hasher.combine(self.words.1)
        hasher.combine(self.words.2)
        hasher.combine(self.words.3)
    }
}
