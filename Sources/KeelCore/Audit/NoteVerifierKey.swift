import Crypto

/// The public key that checks the audit log's signed checkpoints, in the C2SP signed-note form
/// `<name>+<key id as 8 hex digits>+<base64(0x01 ‖ 32-byte Ed25519 public key)>` (c2sp.org/signed-note,
/// the format of Go's `golang.org/x/mod/sumdb/note`).
///
/// Safe to publish: auditors pin this string and check checkpoints against it, with Keel or any
/// signed-note implementation.
public struct NoteVerifierKey: Sendable, Hashable, CustomStringConvertible {
    /// Signature type byte of Ed25519 signed-note keys.
    static let ed25519Type: UInt8 = 0x01

    /// The key name, shown on signature lines. For a log, its origin.
    public let name: String
    /// The key id: the first four bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key), big-endian.
    public let keyID: UInt32
    /// The 32-byte Ed25519 public key.
    public let publicKey: [UInt8]

    /// A key from its name and 32-byte Ed25519 public key.
    public init(name: String, publicKey: [UInt8]) throws(SignedNoteError) {
        guard SignedNote.isValidKeyName(name) else { throw .invalidKeyName }
        guard publicKey.count == 32 else { throw .malformedKey }
        self.name = name
        self.publicKey = publicKey
        self.keyID = Self.keyID(name: name, typedKey: [Self.ed25519Type] + publicKey)
    }

    /// Reads a verifier key string. Refuses a bad name, a key id that is not 8 hex digits or does
    /// not match the key, a signature type other than Ed25519, and a key of the wrong length.
    public init(parsing text: String) throws(SignedNoteError) {
        let parts = text.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformedKey }
        let name = String(parts[0])
        guard SignedNote.isValidKeyName(name) else { throw .malformedKey }
        guard let keyID = Self.parseKeyID(parts[1]), let typedKey = Base64Coding.decode(parts[2]), !typedKey.isEmpty
        else { throw .malformedKey }
        guard Self.keyID(name: name, typedKey: typedKey) == keyID else { throw .keyIDMismatch }
        guard typedKey[0] == Self.ed25519Type else { throw .unsupportedKeyType }
        guard typedKey.count == 33 else { throw .malformedKey }
        self.name = name
        self.keyID = keyID
        self.publicKey = Array(typedKey[1...])
    }

    /// The verifier key string: `<name>+<key id>+<base64 key>`.
    public var description: String {
        "\(self.name)+\(Self.hex(self.keyID))+\(Base64Coding.encode([Self.ed25519Type] + self.publicKey))"
    }

    /// Whether `signature` (64 bytes, without the key id) is this key's Ed25519 signature of `message`.
    func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard signature.count == 64,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: self.publicKey)
        else { return false }
        return key.isValidSignature(signature, for: message)
    }

    /// SHA-256(name ‖ 0x0A ‖ typed key)[0..<4], big-endian (c2sp.org/signed-note "key ID").
    static func keyID(name: String, typedKey: [UInt8]) -> UInt32 {
        var hasher = SHA256()
        hasher.update(data: Array(name.utf8) + [0x0A] + typedKey)
        return hasher.finalize().withUnsafeBytes { digest in
            digest.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        }
    }

    /// Exactly 8 hex digits.
    static func parseKeyID(_ text: Substring) -> UInt32? {
        guard text.utf8.count == 8, let bytes = HexCoding.decode(String(text)) else { return nil }
        return bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    static func hex(_ keyID: UInt32) -> String {
        HexCoding.encode([24, 16, 8, 0].map { UInt8(truncatingIfNeeded: keyID >> $0) })
    }
}
