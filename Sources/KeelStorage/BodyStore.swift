public import KeelCore

/// Request and answer bodies kept by policy (`keep_bodies`), sealed with a data key per
/// organisation, and those keys. The store keeps bytes; sealing and opening are the server's.
public protocol BodyStore: Sendable {
    /// The data key of `org` (`""`: requests without an organisation), or `nil`.
    func key(forOrg org: String) async throws -> BodyKey?
    /// Stores `key` unless `key.org` has one already; returns the key stored (the other
    /// instance's, when two raced).
    func insertKeyIfAbsent(_ key: BodyKey) async throws -> BodyKey
    /// Erases `org`'s bodies: deletes its key, then every body sealed for it, in one transaction.
    /// Returns the bodies deleted and whether there was a key.
    func erase(org: String) async throws -> (bodies: Int, hadKey: Bool)

    /// Stores sealed bodies whose key is still stored; a body sealed with a key erased since (an
    /// erasure raced its write) is not stored, nor one whose request id is stored already.
    func insert(_ bodies: [SealedBody]) async throws -> BodyInsertResult
    /// The sealed bodies of `requestID`, or `nil`.
    func body(requestID: RequestID) async throws -> SealedBody?
    /// Deletes the bodies of `scope` kept before `time` (Unix µs); returns how many.
    func purge(startedBefore time: Int64, scope: RetentionScope) async throws -> Int
}

/// An organisation's data key.
public struct BodyKey: Sendable, Equatable {
    /// The organisation's id, `""` for requests without one.
    public var org: String
    public var id: String
    /// 32 bytes.
    public var key: [UInt8]
    public var createdAt: Int64

    public init(org: String, id: String, key: [UInt8], createdAt: Int64) {
        self.org = org
        self.id = id
        self.key = key
        self.createdAt = createdAt
    }
}

/// One request's bodies, sealed.
public struct SealedBody: Sendable, Equatable {
    public var requestID: RequestID
    public var org: String
    /// The key that sealed them.
    public var keyID: String
    public var startedAt: Int64
    /// Nonce, ciphertext and tag of the request body.
    public var prompt: [UInt8]
    /// The same for the answer, when there was one.
    public var answer: [UInt8]?
    public var answerTruncated: Bool

    public init(
        requestID: RequestID,
        org: String,
        keyID: String,
        startedAt: Int64,
        prompt: [UInt8],
        answer: [UInt8]?,
        answerTruncated: Bool
    ) {
        self.requestID = requestID
        self.org = org
        self.keyID = keyID
        self.startedAt = startedAt
        self.prompt = prompt
        self.answer = answer
        self.answerTruncated = answerTruncated
    }
}

/// What ``BodyStore/insert(_:)`` stored.
public struct BodyInsertResult: Sendable, Equatable {
    /// The request ids whose bodies were stored.
    public var stored: Set<RequestID>
    /// The keys the bodies named that were not stored any more (erased): their bodies were not
    /// stored either.
    public var erasedKeys: Set<String>

    public init(stored: Set<RequestID>, erasedKeys: Set<String>) {
        self.stored = stored
        self.erasedKeys = erasedKeys
    }
}
