/// A C2SP signed note (c2sp.org/signed-note): a text ending in a newline, a blank line, then one
/// or more signature lines `— <key name> <base64(key id ‖ signature)>`. Checkpoints of the audit
/// log are signed notes (``AuditCheckpoint``).
///
/// Parsing follows the specification and Go's `golang.org/x/mod/sumdb/note`, the reference
/// implementation: the whole note is UTF-8 without control characters other than newline; the
/// text ends at the last blank line; at most 100 signature lines. ``verifiedSignatures(by:)``
/// applies the verification rules: signatures from unknown keys are ignored, a signature from a
/// known key must verify, and at least one must.
public struct SignedNote: Sendable, Equatable {
    /// One signature line.
    public struct Signature: Sendable, Equatable {
        public var keyName: String
        public var keyID: UInt32
        /// The signature bytes after the key id (64 for Ed25519).
        public var signature: [UInt8]

        public init(keyName: String, keyID: UInt32, signature: [UInt8]) {
            self.keyName = keyName
            self.keyID = keyID
            self.signature = signature
        }

        /// The line, with its final newline.
        public var line: String {
            let keyID = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: self.keyID >> $0) }
            return "— \(self.keyName) \(Base64Coding.encode(keyID + self.signature))\n"
        }
    }

    /// Notes with more signature lines are refused before any signature is checked (as Go does).
    public static let maximumSignatureCount = 100

    /// The signed text, final newline included, separating blank line excluded.
    public let text: String
    public let signatures: [Signature]

    /// The note's wire form: text, blank line, signature lines.
    public var serialized: String {
        self.text + "\n" + self.signatures.map(\.line).joined()
    }

    /// A note signing `text` with each of `signers`. The text must end in a newline and hold no
    /// control characters other than newlines.
    public init(signing text: String, with signers: [NoteSigner]) throws(SignedNoteError) {
        precondition(!signers.isEmpty, "a note is signed by at least one key")
        guard Self.isValidText(Array(text.utf8)) else { throw .malformedNote }
        let message = Array(text.utf8)
        var signatures: [Signature] = []
        for signer in signers {
            do {
                signatures.append(try signer.signature(of: message))
            } catch {
                throw .signingFailed
            }
        }
        self.text = text
        self.signatures = signatures
    }

    /// Reads a note without checking any signature.
    public init(parsing note: some Collection<UInt8>) throws(SignedNoteError) {
        let bytes = Array(note)
        guard String(validating: bytes, as: UTF8.self) != nil else { throw .malformedNote }
        guard !bytes.contains(where: { $0 < 0x20 && $0 != 0x0A }) else { throw .malformedNote }
        // The text ends at the last blank line: the text's own newline, then the empty line.
        guard let split = Self.lastBlankLine(in: bytes) else { throw .malformedNote }
        let block = bytes[(split + 2)...]
        guard !block.isEmpty, block.last == 0x0A else { throw .malformedNote }
        var signatures: [Signature] = []
        for line in block.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false) {
            signatures.append(try Self.parseSignatureLine(line))
            guard signatures.count <= Self.maximumSignatureCount else { throw .malformedNote }
        }
        self.text = String(decoding: bytes[...split], as: UTF8.self)
        self.signatures = signatures
    }

    /// Reads a note without checking any signature.
    public init(parsing note: String) throws(SignedNoteError) {
        try self.init(parsing: Array(note.utf8))
    }

    /// The signatures by `keys`, after checking each of them. Signatures by other keys (another
    /// name or key id) are ignored, and a repeated signature by one key counts once.
    ///
    /// Throws ``SignedNoteError/invalidSignature(keyName:keyID:)`` when a signature by one of
    /// `keys` does not verify, and ``SignedNoteError/noVerifiedSignature`` when none of `keys`
    /// signed the note.
    public func verifiedSignatures(by keys: [NoteVerifierKey]) throws(SignedNoteError) -> [Signature] {
        let message = Array(self.text.utf8)
        var verified: [Signature] = []
        for signature in self.signatures {
            let matching = keys.filter { $0.name == signature.keyName && $0.keyID == signature.keyID }
            guard let key = matching.first else { continue }
            guard matching.count == 1 else { throw .ambiguousKey(keyName: signature.keyName, keyID: signature.keyID) }
            if verified.contains(where: { $0.keyName == key.name && $0.keyID == key.keyID }) { continue }
            guard key.isValidSignature(signature.signature, for: message) else {
                throw .invalidSignature(keyName: signature.keyName, keyID: signature.keyID)
            }
            verified.append(signature)
        }
        guard !verified.isEmpty else { throw .noVerifiedSignature }
        return verified
    }

    /// A key name: not empty, no Unicode white space, no `+` (c2sp.org/signed-note), and no
    /// control characters (the note may not hold them).
    public static func isValidKeyName(_ name: String) -> Bool {
        !name.isEmpty
            && !name.unicodeScalars.contains {
                $0 == "+" || $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F
            }
    }

    /// Note text: ends in a newline, no control characters but newlines.
    static func isValidText(_ bytes: [UInt8]) -> Bool {
        bytes.last == 0x0A && !bytes.contains { $0 < 0x20 && $0 != 0x0A }
    }

    /// The index of the first newline of the last "\n\n".
    private static func lastBlankLine(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return nil }
        var index = bytes.count - 2
        while index >= 0 {
            if bytes[index] == 0x0A && bytes[index + 1] == 0x0A { return index }
            index -= 1
        }
        return nil
    }

    private static let dashSpace: [UInt8] = Array("— ".utf8)

    private static func parseSignatureLine(_ line: ArraySlice<UInt8>) throws(SignedNoteError) -> Signature {
        guard line.starts(with: Self.dashSpace) else { throw .malformedNote }
        let rest = line.dropFirst(Self.dashSpace.count)
        guard let space = rest.firstIndex(of: 0x20) else { throw .malformedNote }
        let name = String(decoding: rest[..<space], as: UTF8.self)
        let encoded = String(decoding: rest[(space + 1)...], as: UTF8.self)
        guard Self.isValidKeyName(name), !encoded.isEmpty, let bytes = Base64Coding.decode(encoded), bytes.count >= 5
        else { throw .malformedNote }
        let keyID = bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return Signature(keyName: name, keyID: keyID, signature: Array(bytes.dropFirst(4)))
    }
}

/// Why a signed note, a note key or a checkpoint is refused.
public enum SignedNoteError: Error, Sendable, Equatable {
    /// The note does not follow the signed-note syntax.
    case malformedNote
    /// A key name is empty or holds white space, `+` or a control character.
    case invalidKeyName
    /// A key string does not follow the `name+id+key` form, or the key has the wrong length.
    case malformedKey
    /// A key string's id is not the hash of its name and key.
    case keyIDMismatch
    /// A key of a signature type other than Ed25519 (0x01).
    case unsupportedKeyType
    /// More than one trusted key has this name and id.
    case ambiguousKey(keyName: String, keyID: UInt32)
    /// A signature by a trusted key does not verify: the note was altered or forged.
    case invalidSignature(keyName: String, keyID: UInt32)
    /// No trusted key signed the note.
    case noVerifiedSignature
    /// The signing key failed to sign.
    case signingFailed
    /// The note text is not a checkpoint (c2sp.org/tlog-checkpoint).
    case malformedCheckpoint
    /// The checkpoint is of another log: its origin line is this one.
    case unexpectedOrigin(String)
}
