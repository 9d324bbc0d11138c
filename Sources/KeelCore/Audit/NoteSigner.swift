import Crypto

/// The private key that signs the audit log's checkpoints: Ed25519, named, in the C2SP signed-note
/// key form `PRIVATE+KEY+<name>+<key id>+<base64(0x01 ‖ 32-byte seed)>` (the signer key of Go's
/// `golang.org/x/mod/sumdb/note`), so it can live in a key file or in the store.
///
/// The key string is a credential: ``keyString`` is a ``Secret``, and the signer prints as its
/// name and key id only.
public struct NoteSigner: Sendable, CustomStringConvertible, CustomReflectable {
    /// The key name. For a log, its origin.
    public let name: String
    /// The key id, the same as the verifier key's.
    public let keyID: UInt32
    private let privateKey: Curve25519.Signing.PrivateKey

    /// A new random key named `name`.
    public static func generate(name: String) throws(SignedNoteError) -> NoteSigner {
        try NoteSigner(name: name, privateKey: Curve25519.Signing.PrivateKey())
    }

    /// The key named `name` whose Ed25519 seed (RFC 8032 private key) is `seed`, 32 bytes.
    public init(name: String, seed: Secret<[UInt8]>) throws(SignedNoteError) {
        let key = seed.withExposedValue { try? Curve25519.Signing.PrivateKey(rawRepresentation: $0) }
        guard let key else { throw .malformedKey }
        try self.init(name: name, privateKey: key)
    }

    /// Reads a signer key string. Refuses anything but `PRIVATE+KEY+<name>+<8 hex digits>+<base64>`
    /// with an Ed25519 seed whose public key has that key id.
    public init(parsing keyString: Secret<String>) throws(SignedNoteError) {
        let parsed = keyString.withExposedValue { text -> (name: String, keyID: UInt32, typedSeed: [UInt8])? in
            let parts = text.split(separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
            guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY",
                let keyID = NoteVerifierKey.parseKeyID(parts[3]), let typedSeed = Base64Coding.decode(parts[4]),
                !typedSeed.isEmpty
            else { return nil }
            return (String(parts[2]), keyID, typedSeed)
        }
        guard let parsed, SignedNote.isValidKeyName(parsed.name) else { throw .malformedKey }
        guard parsed.typedSeed[0] == NoteVerifierKey.ed25519Type else { throw .unsupportedKeyType }
        guard parsed.typedSeed.count == 33,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: parsed.typedSeed[1...])
        else { throw .malformedKey }
        try self.init(name: parsed.name, privateKey: key)
        guard self.keyID == parsed.keyID else { throw .keyIDMismatch }
    }

    private init(name: String, privateKey: Curve25519.Signing.PrivateKey) throws(SignedNoteError) {
        let verifier = try NoteVerifierKey(name: name, publicKey: Array(privateKey.publicKey.rawRepresentation))
        self.name = name
        self.keyID = verifier.keyID
        self.privateKey = privateKey
    }

    /// The public key that checks this signer's signatures.
    public var verifierKey: NoteVerifierKey {
        // The name and key were valid when the signer was made.
        try! NoteVerifierKey(name: self.name, publicKey: Array(self.privateKey.publicKey.rawRepresentation))
    }

    /// The signer key string, `PRIVATE+KEY+<name>+<key id>+<base64(0x01 ‖ seed)>`.
    public var keyString: Secret<String> {
        let seed = [NoteVerifierKey.ed25519Type] + Array(self.privateKey.rawRepresentation)
        return Secret("PRIVATE+KEY+\(self.name)+\(NoteVerifierKey.hex(self.keyID))+\(Base64Coding.encode(seed))")
    }

    /// The note signature of `text`: the key id, big-endian, then the 64-byte Ed25519 signature.
    func signature(of text: [UInt8]) throws -> SignedNote.Signature {
        let bytes = try self.privateKey.signature(for: text)
        return SignedNote.Signature(keyName: self.name, keyID: self.keyID, signature: Array(bytes))
    }

    public var description: String { "NoteSigner(\(self.name)+\(NoteVerifierKey.hex(self.keyID)))" }

    /// Name and key id only: `dump` must not reach the private key.
    public var customMirror: Mirror { Mirror(self, children: ["name": self.name, "keyID": self.keyID]) }
}
