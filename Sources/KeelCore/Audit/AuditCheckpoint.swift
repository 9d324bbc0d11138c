/// A checkpoint of the audit log: its origin, size and root hash, signed as a C2SP signed note in
/// the c2sp.org/tlog-checkpoint format.
///
/// ```
/// keel.example/audit
/// 20852163
/// CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
///
/// — keel.example/audit Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
/// ```
///
/// The note text is the origin line, the tree size in decimal (no leading zeros), the root hash in
/// standard base64, then optional non-empty extension lines; every line ends in a newline. The
/// log's signing key is named after the origin. A log never signs two checkpoints that are not
/// consistent with each other.
public struct AuditCheckpoint: Sendable, Equatable {
    /// The log's identity, conventionally a schema-less URL such as `keel.example/audit`.
    public var origin: String
    /// The number of entries the checkpoint covers.
    public var size: UInt64
    /// The root of the tree of the first ``size`` entries.
    public var rootHash: MerkleHash
    /// Opaque extra lines, each non-empty (the format discourages them: monitors cannot audit them).
    public var extensions: [String]

    public init(origin: String, size: UInt64, rootHash: MerkleHash, extensions: [String] = []) {
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensions = extensions
    }

    /// The note text: the lines this checkpoint signs.
    public var noteText: String {
        ([self.origin, String(self.size), self.rootHash.base64] + self.extensions).map { $0 + "\n" }.joined()
    }

    /// Reads a checkpoint's note text.
    public init(noteText: String) throws(SignedNoteError) {
        guard noteText.hasSuffix("\n") else { throw .malformedCheckpoint }
        let lines = noteText.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 3, lines.allSatisfy({ !$0.isEmpty }) else { throw .malformedCheckpoint }
        let sizeText = lines[1]
        guard sizeText.utf8.allSatisfy({ (0x30...0x39).contains($0) }), sizeText == "0" || !sizeText.hasPrefix("0"),
            let size = UInt64(sizeText), let root = MerkleHash(base64: String(lines[2]))
        else { throw .malformedCheckpoint }
        self.init(origin: String(lines[0]), size: size, rootHash: root, extensions: lines.dropFirst(3).map(String.init))
    }

    /// The signed note of this checkpoint, signed by `signer`, in its wire form.
    public func signedNote(by signer: NoteSigner) throws(SignedNoteError) -> String {
        guard self.isWellFormed else { throw .malformedCheckpoint }
        return try SignedNote(signing: self.noteText, with: [signer]).serialized
    }

    /// Reads a signed checkpoint and checks its signature by `key`. Signatures by other keys (a
    /// witness's, an older log key's) are ignored.
    ///
    /// - Throws: ``SignedNoteError`` when the note is malformed, is not a checkpoint, is not for
    ///   `origin` (when given), or is not validly signed by `key`.
    public static func verified(
        _ note: String,
        by key: NoteVerifierKey,
        origin: String? = nil
    ) throws(SignedNoteError) -> AuditCheckpoint {
        let parsed = try SignedNote(parsing: note)
        _ = try parsed.verifiedSignatures(by: [key])
        let checkpoint = try AuditCheckpoint(noteText: parsed.text)
        if let origin, checkpoint.origin != origin { throw .unexpectedOrigin(checkpoint.origin) }
        return checkpoint
    }

    /// Whether the fields make a checkpoint text that reads back as the same checkpoint.
    var isWellFormed: Bool {
        func isLine(_ text: String) -> Bool { !text.isEmpty && !text.utf8.contains { $0 < 0x20 } }
        return isLine(self.origin) && self.extensions.allSatisfy(isLine)
    }
}
