import Crypto
import KeelCore
import KeelStorage
import NIOCore
import Synchronization

/// Seals and opens the bodies policies keep (`keep_bodies`), with one AES-256-GCM data key per
/// organisation (`""` for requests without one), kept in the store (`body_key`).
///
/// A sealed part is nonce ‖ ciphertext ‖ tag, bound to its request and part by the associated
/// data `keel-body-v1:<request id>:prompt` (or `:answer`), so a part cannot be moved to another
/// request. Erasing an organisation's bodies deletes its key first (crypto-shredding): whatever
/// copy of the sealed bodies outlives the rows — a backup, a replica — can no longer be opened,
/// while the audit log, which holds only their digests, still verifies.
final class BodyVault: Sendable {
    let store: any BodyStore
    /// Keys read or made, by organisation. An erasure on another instance shows when a write
    /// finds its key gone (``forget(org:)``).
    private let keys = Mutex<[String: BodyKey]>([:])

    init(store: any BodyStore) {
        self.store = store
    }

    /// `org`'s key; made and stored when it has none and `create`.
    func key(for org: String, create: Bool) async throws -> BodyKey? {
        if let key = self.keys.withLock({ $0[org] }) { return key }
        var key = try await self.store.key(forOrg: org)
        if key == nil, create {
            let fresh = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
            let id = "bk_" + HexCoding.encode(SymmetricKey(size: .bits128).withUnsafeBytes { Array($0) })
            key = try await self.store.insertKeyIfAbsent(
                BodyKey(org: org, id: id, key: fresh, createdAt: WallClock.unixMicros())
            )
        }
        if let key { self.keys.withLock { $0[org] = key } }
        return key
    }

    /// Drops the key of `org` from memory (it was erased).
    func forget(org: String) {
        _ = self.keys.withLock { $0.removeValue(forKey: org) }
    }

    /// The organisation id bodies are sealed under.
    static func org(of record: RequestRecord) -> String { record.orgID?.rawValue ?? "" }

    /// `record`'s kept bodies, sealed with its organisation's key.
    func seal(_ record: RequestRecord, _ bodies: KeptBodies) async throws -> SealedBody {
        let org = Self.org(of: record)
        guard let key = try await self.key(for: org, create: true) else { throw Unavailable() }
        let symmetric = SymmetricKey(data: key.key)
        func seal(_ bytes: ByteBufferView, part: String) throws -> [UInt8] {
            let box = try AES.GCM.seal(
                Array(bytes),
                using: symmetric,
                authenticating: Self.associatedData(record.id, part: part)
            )
            guard let combined = box.combined else { throw Unavailable() }
            return Array(combined)
        }
        return SealedBody(
            requestID: record.id,
            org: org,
            keyID: key.id,
            startedAt: record.startedAt,
            prompt: try seal(bodies.prompt.readableBytesView, part: "prompt"),
            answer: try bodies.answer.map { try seal($0.readableBytesView, part: "answer") },
            answerTruncated: bodies.answerTruncated
        )
    }

    /// The bodies of `sealed`; `nil` when its key is gone (erased) or they do not open with it.
    func open(_ sealed: SealedBody) async throws -> (prompt: [UInt8], answer: [UInt8]?)? {
        guard let key = try await self.store.key(forOrg: sealed.org), key.id == sealed.keyID else { return nil }
        let symmetric = SymmetricKey(data: key.key)
        func open(_ bytes: [UInt8], part: String) throws -> [UInt8] {
            Array(
                try AES.GCM.open(
                    AES.GCM.SealedBox(combined: bytes),
                    using: symmetric,
                    authenticating: Self.associatedData(sealed.requestID, part: part)
                )
            )
        }
        do {
            return (try open(sealed.prompt, part: "prompt"), try sealed.answer.map { try open($0, part: "answer") })
        } catch {
            return nil
        }
    }

    /// Erases `org`'s bodies: its key, then the bodies.
    func erase(org: String) async throws -> (bodies: Int, hadKey: Bool) {
        self.forget(org: org)
        let erased = try await self.store.erase(org: org)
        self.forget(org: org)
        return erased
    }

    static func associatedData(_ requestID: RequestID, part: String) -> [UInt8] {
        Array("keel-body-v1:\(requestID.rawValue):\(part)".utf8)
    }

    struct Unavailable: Error {}
}
