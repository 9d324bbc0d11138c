import Crypto

/// Makes the salted digests that audit entries keep instead of prompt and answer text:
/// HMAC-SHA-256 keyed with a secret salt of the organisation, as lowercase hex.
///
/// The salt makes a digest useless to anyone without it: a reader of the log cannot confirm a
/// guessed prompt, and equal prompts of two organisations do not have equal digests. Whoever holds
/// the salt and a body can show that the body is the one the log recorded. Salts are 32 random
/// bytes, one per organisation, named by a salt id that entries carry (`digest_salt_id`), so a
/// salt can be rotated while old entries stay checkable with the old one.
///
/// One digester serves every request of its organisation; it holds no per-request state.
public struct AuditContentDigester: Sendable {
    /// The name of the salt, written into entries.
    public let saltID: String
    private let key: SymmetricKey

    /// The least salt length accepted.
    public static let minimumSaltLength = 16

    /// A digester for the salt named `saltID`. The salt must be at least 16 bytes.
    public init(saltID: String, salt: Secret<[UInt8]>) {
        precondition(salt.withExposedValue { $0.count } >= Self.minimumSaltLength, "an audit salt is at least 16 bytes")
        self.saltID = saltID
        self.key = salt.withExposedValue { SymmetricKey(data: $0) }
    }

    /// 32 new random bytes for a salt.
    public static func generateSalt() -> Secret<[UInt8]> {
        Secret(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// The digest of `body`.
    public func digest(of body: some Collection<UInt8>) -> String {
        var digest = self.makeDigest()
        digest.update(body)
        return digest.finalize()
    }

    /// The digests of a request's bodies, for its entry.
    public func contentDigests(
        prompt: (some Collection<UInt8>)?,
        answer: (some Collection<UInt8>)?
    ) -> AuditEntry.ContentDigests {
        AuditEntry.ContentDigests(
            saltID: self.saltID,
            prompt: prompt.map { self.digest(of: $0) },
            answer: answer.map { self.digest(of: $0) }
        )
    }

    /// An incremental digest, for an answer streamed in chunks: the result equals
    /// ``digest(of:)`` of the chunks joined.
    public func makeDigest() -> IncrementalDigest {
        IncrementalDigest(hmac: HMAC<SHA256>(key: self.key))
    }

    /// A digest fed piece by piece.
    public struct IncrementalDigest: Sendable {
        fileprivate var hmac: HMAC<SHA256>

        public mutating func update(_ bytes: some Collection<UInt8>) {
            if bytes.withContiguousStorageIfAvailable({ self.hmac.update(data: $0) }) == nil {
                self.hmac.update(data: Array(bytes))
            }
        }

        /// Lowercase hex of the HMAC. Call once.
        public func finalize() -> String {
            HexCoding.encode(self.hmac.finalize().withUnsafeBytes { Array($0) })
        }
    }
}
