import Crypto
public import NIOCore

/// Makes the salted digests that audit entries keep instead of prompt and answer text:
/// HMAC-SHA-256 keyed with a secret salt of the organisation, as lowercase hex.
///
/// The salt makes a digest useless to anyone without it: a reader of the log cannot confirm a
/// guessed prompt, and equal prompts of two organisations do not have equal digests. Whoever holds
/// the salt and a body can show that the body is the one the log recorded. Salts are 32 random
/// bytes, one per organisation, named by a salt id that entries carry (`digest_salt_id`), so a
/// salt can be rotated while old entries stay checkable with the old one.
///
/// One digester serves every request of its organisation; it holds no per-request state. Digests
/// are made on the request path (the body is not kept for later), so the keyed HMAC state is
/// computed once, when the digester is made: a digest then costs the body's SHA-256 blocks and
/// two more (RFC 2104, with the inner and outer pads already hashed).
public struct AuditContentDigester: Sendable {
    /// The name of the salt, written into entries.
    public let saltID: String
    /// SHA-256 after the key XOR ipad block, and after the key XOR opad block.
    private let inner: SHA256
    private let outer: SHA256

    /// The least salt length accepted.
    public static let minimumSaltLength = 16

    /// A digester for the salt named `saltID`. The salt must be at least 16 bytes.
    public init(saltID: String, salt: Secret<[UInt8]>) {
        precondition(salt.withExposedValue { $0.count } >= Self.minimumSaltLength, "an audit salt is at least 16 bytes")
        self.saltID = saltID
        // RFC 2104: a key longer than the block is hashed first, then padded with zeros.
        var block = salt.withExposedValue { key -> [UInt8] in
            key.count > SHA256.blockByteCount ? Array(SHA256.hash(data: key)) : key
        }
        block += [UInt8](repeating: 0, count: SHA256.blockByteCount - block.count)
        var inner = SHA256()
        var outer = SHA256()
        inner.update(data: block.map { $0 ^ 0x36 })
        outer.update(data: block.map { $0 ^ 0x5C })
        self.inner = inner
        self.outer = outer
    }

    /// 32 new random bytes for a salt.
    public static func generateSalt() -> Secret<[UInt8]> {
        Secret(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// The digest of `body`.
    public func digest(of body: UnsafeRawBufferPointer) -> String {
        var digest = self.makeDigest()
        digest.update(body)
        return digest.finalize()
    }

    /// The digest of the readable bytes of `body`.
    public func digest(of body: ByteBuffer) -> String {
        body.withUnsafeReadableBytes { self.digest(of: $0) }
    }

    /// The digest of `body`.
    public func digest(of body: [UInt8]) -> String {
        body.withUnsafeBytes { self.digest(of: $0) }
    }

    /// The digests of a request's bodies, for its entry.
    public func contentDigests(prompt: [UInt8]?, answer: [UInt8]?) -> AuditEntry.ContentDigests {
        AuditEntry.ContentDigests(
            saltID: self.saltID,
            prompt: prompt.map { self.digest(of: $0) },
            answer: answer.map { self.digest(of: $0) }
        )
    }

    /// An incremental digest, for an answer streamed in chunks: the result equals
    /// ``digest(of:)-(UnsafeRawBufferPointer)`` of the chunks joined.
    public func makeDigest() -> IncrementalDigest {
        IncrementalDigest(inner: self.inner, outer: self.outer)
    }

    /// A digest fed piece by piece.
    public struct IncrementalDigest: Sendable {
        fileprivate var inner: SHA256
        fileprivate let outer: SHA256

        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            self.inner.update(bufferPointer: bytes)
        }

        public mutating func update(_ bytes: ByteBuffer) {
            bytes.withUnsafeReadableBytes { self.update($0) }
        }

        /// Lowercase hex of the HMAC. Call once.
        public func finalize() -> String {
            var outer = self.outer
            self.inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
            return outer.finalize().withUnsafeBytes { HexCoding.encode(bytes: $0) }
        }
    }
}
