import Foundation
import KeelCore
import KeelTesting
import Testing

@Suite("Signed notes and checkpoints: C2SP signed-note and tlog-checkpoint")
struct SignedNoteTests {
    /// The key pair and note of Go's reference implementation, `golang.org/x/mod/sumdb/note`
    /// (`note_test.go`: `TestNewVerifier`, `TestSign`, `TestOpen`).
    enum Go {
        static let verifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        static let signerKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
        static let otherVerifierKey = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
        static let text =
            "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
        static let peterSignature =
            "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
        static let enochSignature =
            "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
    }

    @Test func theGoReferenceNoteParsesAndVerifies() throws {
        let peter = try NoteVerifierKey(parsing: Go.verifierKey)
        let enoch = try NoteVerifierKey(parsing: Go.otherVerifierKey)
        #expect(peter.name == "PeterNeumann" && peter.keyID == 0xc74f_20a3)
        #expect(peter.description == Go.verifierKey)

        let note = try SignedNote(parsing: Go.text + "\n" + Go.peterSignature + Go.enochSignature)
        #expect(note.text == Go.text)
        #expect(note.signatures.map(\.keyName) == ["PeterNeumann", "EnochRoot"])
        #expect(note.serialized == Go.text + "\n" + Go.peterSignature + Go.enochSignature)
        // Enoch's signature is from a key the verifier does not know: ignored.
        #expect(try note.verifiedSignatures(by: [peter]).map(\.keyName) == ["PeterNeumann"])
        #expect(try note.verifiedSignatures(by: [peter, enoch]).map(\.keyName) == ["PeterNeumann", "EnochRoot"])
        #expect(throws: SignedNoteError.noVerifiedSignature) { try note.verifiedSignatures(by: []) }
        #expect(throws: SignedNoteError.ambiguousKey(keyName: "EnochRoot", keyID: 0xaf0c_fe78)) {
            try SignedNote(parsing: Go.text + "\n" + Go.enochSignature).verifiedSignatures(by: [enoch, peter, enoch])
        }

        // A changed letter, or a changed signature, fails against the known key.
        let altered = try SignedNote(
            parsing: Go.text.replacingOccurrences(of: "cryptography", with: "cryptographY") + "\n" + Go.peterSignature
        )
        #expect(throws: SignedNoteError.invalidSignature(keyName: "PeterNeumann", keyID: 0xc74f_20a3)) {
            try altered.verifiedSignatures(by: [peter])
        }
        let badSignature = Go.peterSignature.prefix(60) + "ABCD" + Go.peterSignature.dropFirst(60)
        #expect(throws: SignedNoteError.invalidSignature(keyName: "PeterNeumann", keyID: 0xc74f_20a3)) {
            try SignedNote(parsing: Go.text + "\n" + badSignature).verifiedSignatures(by: [peter])
        }
        // Repeated signatures by one key count once.
        let repeated = try SignedNote(parsing: Go.text + "\n" + Go.peterSignature + Go.peterSignature)
        #expect(try repeated.verifiedSignatures(by: [peter]).count == 1)
    }

    @Test func signingWithTheGoSignerKeyReproducesTheGoNote() throws {
        let signer = try NoteSigner(parsing: Secret(Go.signerKey))
        #expect(signer.verifierKey.description == Go.verifierKey)
        #expect(signer.keyString.withExposedValue { $0 } == Go.signerKey)
        let note = try SignedNote(signing: Go.text, with: [signer])
        try #require(try note.verifiedSignatures(by: [signer.verifierKey]).count == 1)
        #if !canImport(Darwin)
        // Ed25519 is deterministic (RFC 8032); swift-crypto's BoringSSL backend signs that way (on
        // Apple platforms CryptoKit adds randomness, so only verification is compared there).
        #expect(note.serialized == Go.text + "\n" + Go.peterSignature)
        #endif
        #expect(!"\(signer)".contains("AYEKFALV") && !String(reflecting: signer).contains("AYEKFALV"))
        var dumped = ""
        dump(signer, to: &dumped)
        #expect(!dumped.contains("AYEKFALV"))
    }

    @Test func malformedNotesAreRefusedAsGoRefusesThem() {
        let badNotes = [
            Go.text,
            Go.text + "\n",
            Go.text + "\n" + Go.peterSignature.dropLast(),
            "\u{1}" + Go.text + "\n" + Go.peterSignature,
            Go.text + "\n"
                + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
            Go.text + "\n" + Go.peterSignature + "Unexpected line.\n",
            Go.text + "\n" + String(repeating: Go.peterSignature, count: 101),
        ]
        for note in badNotes {
            #expect(throws: SignedNoteError.malformedNote, "\(note.debugDescription)") { try SignedNote(parsing: note) }
        }
        #expect(throws: SignedNoteError.malformedNote) {
            try SignedNote(parsing: [0xFF] + Array((Go.text + "\n" + Go.peterSignature).utf8))
        }
        #expect(throws: SignedNoteError.malformedNote) { try SignedNote(signing: "abc", with: [Self.testSigner]) }
    }

    @Test func everyManglingOfTheGoKeysIsRefused() {
        // Go's TestNewVerifier and TestNewSigner: every proper substring, and every single-byte
        // increment, of the key strings fails to parse.
        func mangled(_ key: String) -> [String] {
            let bytes = Array(key.utf8)
            var keys: [String] = []
            for start in 0...bytes.count {
                for end in (start + 1)..<(bytes.count + 1) where start != 0 || end != bytes.count {
                    keys.append(String(decoding: bytes[start..<end], as: UTF8.self))
                }
            }
            for position in bytes.indices {
                var changed = bytes
                changed[position] &+= 1
                keys.append(String(decoding: changed, as: UTF8.self))
            }
            return keys
        }
        #expect(mangled(Go.verifierKey).allSatisfy { (try? NoteVerifierKey(parsing: $0)) == nil })
        #expect(mangled(Go.signerKey).allSatisfy { (try? NoteSigner(parsing: Secret($0))) == nil })
        // A wrong-length key, and an unknown algorithm, each with a key id that matches.
        #expect(
            (try? NoteVerifierKey(parsing: "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="))
                == nil
        )
        #expect(throws: SignedNoteError.unsupportedKeyType) {
            try NoteVerifierKey(parsing: "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
        }
    }

    static let testSigner = try! NoteSigner.generate(name: "keel.test/audit")

    /// The example of `docs/audit-log.md`: the checkpoint of the RFC 6962 reference tree, signed by
    /// Python's `cryptography` (OpenSSL's Ed25519) with the seed SHA-256("keel docs example").
    enum DocsExample {
        static let verifierKey = "keel.example/audit+bcc32f87+AXhr7Bh6RaVtAjl8tIajuNhpDMZeILhrVGG5ub7o9PHr"
        static let checkpoint = """
            keel.example/audit
            8
            XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=

            — keel.example/audit vMMvh/tedp/iMtfWyMfRh7xlcfuykikbNnEHZM9p4eECQbEsCyTn/UoIU44MVhCxuR3KVwKpDNBv7ASCssAeM8CSxgc=

            """
    }

    @Test func theDocumentedCheckpointVerifiesAndIsReproduced() throws {
        let key = try NoteVerifierKey(parsing: DocsExample.verifierKey)
        let checkpoint = try AuditCheckpoint.verified(DocsExample.checkpoint, by: key, origin: "keel.example/audit")
        #expect(checkpoint == AuditCheckpoint(origin: "keel.example/audit", size: 8, rootHash: RFC6962Vectors.roots[8]))
        // SHA-256("keel docs example")
        let seed = RFC6962Vectors.bytes("3a47f7a5c48deec008436952ba3f48af9c8c59b30de0b454f2b3b33a34186ff9")
        let signer = try NoteSigner(name: "keel.example/audit", seed: Secret(seed))
        #expect(signer.verifierKey == key)
        #if !canImport(Darwin)
        #expect(try checkpoint.signedNote(by: signer) == DocsExample.checkpoint)
        #endif
    }

    @Test func checkpointsRoundTripAndVerifyOnlyForTheirKeyAndOrigin() throws {
        let root = RFC6962Vectors.roots[7]
        let checkpoint = AuditCheckpoint(origin: "keel.test/audit", size: 7, rootHash: root)
        #expect(checkpoint.noteText == "keel.test/audit\n7\n3bib5AOAnjJXUNPSY814kpwpQreUKjS3fhIslZSnTIw=\n")
        let note = try checkpoint.signedNote(by: Self.testSigner)
        #expect(note.hasPrefix(checkpoint.noteText + "\n— keel.test/audit "))
        #expect(
            try AuditCheckpoint.verified(note, by: Self.testSigner.verifierKey, origin: "keel.test/audit") == checkpoint
        )

        let other = try NoteSigner.generate(name: "keel.test/audit")
        #expect(throws: SignedNoteError.noVerifiedSignature) {
            try AuditCheckpoint.verified(note, by: other.verifierKey)
        }
        #expect(throws: SignedNoteError.unexpectedOrigin("keel.test/audit")) {
            try AuditCheckpoint.verified(note, by: Self.testSigner.verifierKey, origin: "keel.test/other")
        }
        let withExtension = AuditCheckpoint(
            origin: "keel.test/audit",
            size: 0,
            rootHash: MerkleTree.emptyRoot,
            extensions: ["x y"]
        )
        #expect(try AuditCheckpoint(noteText: withExtension.noteText) == withExtension)
        // A witness's cosignature appended by someone else is ignored.
        let cosigned = try SignedNote(parsing: note + Go.peterSignature)
        #expect(try cosigned.verifiedSignatures(by: [Self.testSigner.verifierKey]).count == 1)
    }

    @Test func malformedCheckpointTextsAreRefused() {
        let root = RFC6962Vectors.roots[1].base64
        for text in [
            "origin\n7\n\(root)", "origin\n07\n\(root)\n", "origin\n-1\n\(root)\n", "origin\n7\n", "\n7\n\(root)\n",
            "origin\n7\n\(root)\n\n", "origin\n 7\n\(root)\n", "origin\n7\nnot-base64\n",
            "origin\n18446744073709551616\n\(root)\n",
        ] {
            #expect(throws: SignedNoteError.malformedCheckpoint, "\(text.debugDescription)") {
                try AuditCheckpoint(noteText: text)
            }
        }
        #expect(throws: SignedNoteError.malformedCheckpoint) {
            try AuditCheckpoint(origin: "", size: 1, rootHash: RFC6962Vectors.roots[1]).signedNote(by: Self.testSigner)
        }
    }

    /// The signature of a checkpoint checked by OpenSSL, an Ed25519 implementation independent of
    /// swift-crypto's: `openssl pkeyutl -verify -rawin` with the public key as DER
    /// SubjectPublicKeyInfo (the fixed 12-byte prefix, then the key). CI installs `openssl`.
    @Test func openSSLVerifiesCheckpointSignatures() async throws {
        let checkpoint = AuditCheckpoint(origin: "keel.test/audit", size: 8, rootHash: RFC6962Vectors.roots[8])
        let note = try SignedNote(parsing: checkpoint.signedNote(by: Self.testSigner))
        let signature = try #require(note.signatures.first)
        #expect(signature.keyID == Self.testSigner.keyID)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-note-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let spkiPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]
        try Data(spkiPrefix + Self.testSigner.verifierKey.publicKey).write(
            to: directory.appendingPathComponent("key.der")
        )
        try Data(note.text.utf8).write(to: directory.appendingPathComponent("text"))
        try Data(signature.signature).write(to: directory.appendingPathComponent("good.sig"))
        var flipped = signature.signature
        flipped[10] ^= 0x01
        try Data(flipped).write(to: directory.appendingPathComponent("bad.sig"))

        func openssl(_ signatureFile: String) async throws -> ChildProcess.Completion {
            try await ChildProcess.run(
                "/usr/bin/env",
                [
                    "openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "key.der", "-keyform", "DER", "-rawin", "-in",
                    "text", "-sigfile", signatureFile,
                ],
                directory: directory.path
            )
        }
        let good = try await openssl("good.sig")
        #expect(
            good.termination == .exited(0) && good.output.contains("Signature Verified Successfully"),
            "\(good.output)"
        )
        let bad = try await openssl("bad.sig")
        #expect(bad.termination != .exited(0), "\(bad.output)")
    }
}
