public import KeelCore

/// The audit log's storage: entries in log order, the complete subtrees of their Merkle tree,
/// signed checkpoints, content-digest salts and the signer's lease (docs/audit-log.md).
///
/// Entries are appended only: by ``RequestRecordStore/append(_:audit:)`` in the transaction of
/// the records they describe, or here for entries without a record (admin changes, the
/// configuration loaded, purges, checkpoint keys, strict mode's `request_started`). Instances
/// sharing the database append one after another, each transaction holding the `audit-log` lock,
/// so the log has one order and the database gives each entry its index.
public protocol AuditLogStore: MerkleNodeSource {
    /// Appends `leaves` in one transaction, after every entry already stored; returns where.
    @discardableResult
    func append(_ leaves: [AuditLeaf]) async throws -> AuditAppendResult

    /// The number of entries, and the root of the tree over them.
    func head() async throws -> AuditTreeHead

    /// Entries below this index were purged by retention (their leaf hashes stay).
    func purgedBefore() async throws -> UInt64

    /// Purges the longest prefix of the log whose entries all happened before `time` (µs),
    /// keeping their leaf hashes and every tree node, so the tree and its checkpoints still
    /// verify; returns the new purge boundary and how many entries were deleted.
    func purge(before time: Int64) async throws -> (purgedBefore: UInt64, rows: Int)

    /// The entries with index in `start ..< end` that are stored, in index order.
    func entries(from start: UInt64, to end: UInt64) async throws -> [StoredAuditEntry]

    /// The leaf hashes stored for indexes `start ..< end`, in index order.
    func leafHashes(from start: UInt64, to end: UInt64) async throws -> [MerkleHash]

    /// The entry of the request `id`, when there is one.
    func entry(forRequest id: RequestID) async throws -> StoredAuditEntry?

    /// For each instance with entries at index `start` or later: the first and last `seq` there
    /// and how many entries — what the completeness monitor reconciles.
    func sequenceSummary(from start: UInt64) async throws -> [AuditSequenceSummary]

    /// Stores a signed checkpoint unless one of its size is stored already.
    func addCheckpoint(_ checkpoint: StoredAuditCheckpoint) async throws

    /// The checkpoint of the largest size, when there is one.
    func latestCheckpoint() async throws -> StoredAuditCheckpoint?

    /// Every stored checkpoint, smallest size first.
    func checkpoints() async throws -> [StoredAuditCheckpoint]

    /// The content-digest salt of `org` ('' for requests without one), made and stored on first
    /// use (named after the month of `now`, µs); every caller and instance gets the same one.
    func salt(forOrg org: String, now: Int64) async throws -> (id: String, salt: Secret<[UInt8]>)

    /// Takes or renews the lease to sign checkpoints for `instanceID` until `expiresAt` (µs);
    /// `false` while another instance holds an unexpired one.
    func acquireSignerLease(instanceID: String, now: Int64, expiresAt: Int64) async throws -> Bool
}

/// One entry ready to append: its canonical bytes and their leaf hash, with the columns that
/// find it.
public struct AuditLeaf: Sendable {
    public var instanceID: String
    public var seq: UInt64
    public var kind: AuditEntry.Kind
    public var time: Int64
    public var requestID: RequestID?
    public var bytes: [UInt8]
    public var hash: MerkleHash
    /// How the entry is kept in the store.
    public var storage: Storage

    /// How an entry's bytes are kept.
    public enum Storage: Sendable, Equatable {
        /// The canonical bytes themselves.
        case bytes
        /// A request's entry, appended with its record in one transaction: the record row holds
        /// every field the entry has but its content digests, so the store keeps those digests
        /// and rebuilds the bytes from the row when they are read. A request's entry then costs
        /// a row of ids and digests instead of a second copy of the record, and altering the
        /// record row alters its entry: the log covers the request log itself. Before retention
        /// deletes a record, its entry's bytes are written out in full.
        case record(AuditEntry.ContentDigests?)
    }

    /// `entry` encoded (RFC 8785) and hashed, kept as its bytes.
    public init(_ entry: AuditEntry) {
        self.instanceID = entry.instanceID
        self.seq = entry.seq
        self.kind = entry.kind
        self.time = entry.time
        switch entry.payload {
        case .request(let request): self.requestID = request.requestID
        case .requestStarted(let started): self.requestID = started.requestID
        default: self.requestID = nil
        }
        self.bytes = entry.canonicalBytes()
        self.hash = MerkleTree.leafHash(of: self.bytes)
        self.storage = .bytes
    }

    /// The entry of a request whose record is appended in the same transaction, kept as a
    /// reference to that record (``Storage/record(_:)``). Other kinds, and digests that are not
    /// 64 lowercase hex digits (they are stored as 32 bytes), are kept as bytes.
    public init(recordedWith entry: AuditEntry) {
        self.init(entry)
        guard case .request(let request) = entry.payload else { return }
        if let digests = request.contentDigests {
            guard Self.isDigest(digests.prompt), Self.isDigest(digests.answer) else { return }
        }
        self.storage = .record(request.contentDigests)
    }

    /// `nil`, or 64 lowercase hex digits: what 32 stored bytes give back exactly.
    private static func isDigest(_ text: String?) -> Bool {
        guard var text else { return true }
        return text.withUTF8 { bytes in
            bytes.count == 64 && bytes.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
        }
    }
}

/// Where an append put its entries.
public struct AuditAppendResult: Sendable, Equatable {
    /// The index of the first entry appended.
    public var firstIndex: UInt64
    /// The tree's size after the append.
    public var treeSize: UInt64

    public init(firstIndex: UInt64, treeSize: UInt64) {
        self.firstIndex = firstIndex
        self.treeSize = treeSize
    }
}

/// The size of the tree and its root.
public struct AuditTreeHead: Sendable, Equatable {
    public var size: UInt64
    public var rootHash: MerkleHash

    public init(size: UInt64, rootHash: MerkleHash) {
        self.size = size
        self.rootHash = rootHash
    }
}

/// A stored entry: its index and its exact bytes.
public struct StoredAuditEntry: Sendable, Equatable {
    public var index: UInt64
    public var bytes: [UInt8]

    public init(index: UInt64, bytes: [UInt8]) {
        self.index = index
        self.bytes = bytes
    }
}

/// A signed checkpoint as stored.
public struct StoredAuditCheckpoint: Sendable, Equatable {
    public var treeSize: UInt64
    public var rootHash: MerkleHash
    /// The signed note, as served by `/admin/v1/audit/checkpoint`.
    public var note: String
    /// When it was signed, µs since the epoch.
    public var signedAt: Int64
    public var instanceID: String

    public init(treeSize: UInt64, rootHash: MerkleHash, note: String, signedAt: Int64, instanceID: String) {
        self.treeSize = treeSize
        self.rootHash = rootHash
        self.note = note
        self.signedAt = signedAt
        self.instanceID = instanceID
    }
}

/// One instance's entries in a stretch of the log.
public struct AuditSequenceSummary: Sendable, Equatable {
    public var instanceID: String
    public var firstSeq: UInt64
    public var lastSeq: UInt64
    public var count: UInt64
    /// The largest index among them.
    public var lastIndex: UInt64

    public init(instanceID: String, firstSeq: UInt64, lastSeq: UInt64, count: UInt64, lastIndex: UInt64) {
        self.instanceID = instanceID
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
        self.count = count
        self.lastIndex = lastIndex
    }
}
