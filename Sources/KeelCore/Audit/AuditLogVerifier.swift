/// Checks a stored audit log against its signed checkpoints: the logic of `keel audit verify`,
/// with no I/O. The caller streams the leaves in order, then asks for the result.
///
/// It checks, in the order the leaves arrive, so that the first problem found is at the first bad
/// index it can name:
/// 1. every checkpoint is a well-formed checkpoint of `origin`, signed by one of the trusted keys,
///    and checkpoints of equal size have equal roots (before any leaf);
/// 2. each leaf's hash equals the one stored for its position, when the store supplies it: a
///    flipped byte, or an entry removed, added or moved, shows at its own index;
/// 3. each leaf is an audit entry in canonical form (``AuditEntry/init(canonicalBytes:)``);
/// 4. each instance's `seq` runs 1, 2, 3… without gaps or repeats;
/// 5. the tree recomputed from the leaves has each checkpoint's root at that checkpoint's size,
///    which also proves consecutive checkpoints consistent (each is a prefix of the next);
/// 6. the leaves cover at least the largest checkpoint (a truncated log fails).
///
/// A tamperer who also rewrote the stored leaf hashes (and `seq` numbers) is still caught by the
/// next checkpoint; the failure then names the first index that no checkpoint vouches for.
///
/// ```swift
/// var verifier = AuditLogVerifier(keys: [key], origin: "keel.example/audit", checkpoints: notes)
/// for try await row in store.leaves() {
///     verifier.add(AuditLogVerifier.Leaf(bytes: row.entry, storedLeafHash: row.leafHash))
///     if verifier.failure != nil { break }
/// }
/// switch verifier.finish() { … }
/// ```
public struct AuditLogVerifier: Sendable {
    /// One stored leaf: the entry's bytes, and the leaf hash the store holds for the same position
    /// (the level-0 node of that index), when it has one.
    public struct Leaf: Sendable {
        public var bytes: [UInt8]
        public var storedLeafHash: MerkleHash?

        public init(bytes: [UInt8], storedLeafHash: MerkleHash? = nil) {
            self.bytes = bytes
            self.storedLeafHash = storedLeafHash
        }
    }

    /// What is wrong.
    public enum Problem: Sendable, Equatable {
        /// The checkpoint at this position of the given list is malformed, of another log, or not
        /// validly signed by a trusted key.
        case invalidCheckpoint(position: Int, SignedNoteError)
        /// Two signed checkpoints of one size have different roots: the log showed two histories.
        case conflictingCheckpoints(size: UInt64)
        /// The bytes are not a canonical audit entry.
        case unreadableEntry(AuditEntryError)
        /// The entry's leaf hash is not the one stored for its position.
        case leafHashMismatch(stored: MerkleHash, computed: MerkleHash)
        /// The instance's entries skip from `expected - 1` to `found`: entries are missing.
        case sequenceGap(instanceID: String, expected: UInt64, found: UInt64)
        /// The instance's entry repeats or goes back to `found`: an entry was added or moved.
        case sequenceRegression(instanceID: String, expected: UInt64, found: UInt64)
        /// The leaves up to `checkpointSize` do not have the signed root: one of the entries from
        /// the failure's index (the last size a checkpoint vouched for) to `checkpointSize` was
        /// changed, added, removed or moved.
        case checkpointRootMismatch(checkpointSize: UInt64, signed: MerkleHash, computed: MerkleHash)
        /// The log ends before the largest checkpoint: entries were cut from its end.
        case truncated(leafCount: UInt64, checkpointSize: UInt64)
        /// The store has no entry at this index, though it holds later ones or its size counts it.
        case missingEntry(storedSize: UInt64)
    }

    /// The first problem found.
    public struct Failure: Error, Sendable, Equatable {
        /// The first leaf index the problem concerns; `nil` for a problem of the checkpoints alone.
        public var index: UInt64?
        public var problem: Problem

        public init(index: UInt64?, problem: Problem) {
            self.index = index
            self.problem = problem
        }
    }

    /// What a verified log holds.
    public struct Summary: Sendable, Equatable {
        public var leafCount: UInt64
        public var rootHash: MerkleHash
        /// The checkpoints checked against the leaves.
        public var checkpointCount: Int
        /// The size of the largest checkpoint: the part of the log that is signed.
        public var signedSize: UInt64
        /// The last `seq` of each instance.
        public var lastSequence: [String: UInt64]
    }

    public enum Result: Sendable, Equatable {
        case verified(Summary)
        case failed(Failure)
    }

    /// The first failure, once there is one; later leaves are then ignored.
    public private(set) var failure: Failure?
    private var appender = MerkleTreeAppender()
    /// Checkpoints by size, ascending, one per size (conflicts fail up front).
    private let checkpoints: [AuditCheckpoint]
    private var nextCheckpoint = 0
    private var verifiedSize: UInt64 = 0
    private var lastSequence: [String: UInt64] = [:]
    /// Leaves whose entries were purged by retention: only their hashes are left.
    private var purgedLeaves: UInt64 = 0

    /// A verifier for the log `origin` whose checkpoints are signed by one of `keys` (several
    /// while a key is being rotated). `checkpoints` are signed notes in any order.
    public init(keys: [NoteVerifierKey], origin: String, checkpoints: [String]) {
        precondition(!keys.isEmpty, "a log is verified against at least one key")
        var parsed: [AuditCheckpoint] = []
        for (position, note) in checkpoints.enumerated() {
            do throws(SignedNoteError) {
                parsed.append(try Self.checkpoint(note, keys: keys, origin: origin))
            } catch {
                self.checkpoints = []
                self.failure = Failure(index: nil, problem: .invalidCheckpoint(position: position, error))
                return
            }
        }
        parsed.sort { $0.size < $1.size }
        var unique: [AuditCheckpoint] = []
        for checkpoint in parsed {
            if let last = unique.last, last.size == checkpoint.size {
                guard last.rootHash == checkpoint.rootHash else {
                    self.checkpoints = []
                    self.failure = Failure(index: nil, problem: .conflictingCheckpoints(size: checkpoint.size))
                    return
                }
                continue
            }
            unique.append(checkpoint)
        }
        self.checkpoints = unique
        self.checkCheckpointsAtCurrentSize()
    }

    /// The checkpoint in `note` if one of `keys` verifies it; otherwise what the first key makes
    /// of it.
    private static func checkpoint(
        _ note: String,
        keys: [NoteVerifierKey],
        origin: String
    ) throws(SignedNoteError) -> AuditCheckpoint {
        var firstError: SignedNoteError?
        for key in keys {
            do throws(SignedNoteError) {
                return try AuditCheckpoint.verified(note, by: key, origin: origin)
            } catch {
                firstError = firstError ?? error
            }
        }
        throw firstError ?? .noVerifiedSignature
    }

    /// Checks the next leaf. Does nothing once a failure was found.
    public mutating func add(_ leaf: Leaf) {
        guard self.failure == nil else { return }
        let index = self.appender.size
        let leafHash = MerkleTree.leafHash(of: leaf.bytes)
        if let stored = leaf.storedLeafHash, stored != leafHash {
            self.failure = Failure(index: index, problem: .leafHashMismatch(stored: stored, computed: leafHash))
            return
        }
        let entry: AuditEntry
        do {
            entry = try AuditEntry(canonicalBytes: leaf.bytes)
        } catch {
            self.failure = Failure(index: index, problem: .unreadableEntry(error))
            return
        }
        // After a purge, an instance's first remaining entry may have any number.
        let expected = self.lastSequence[entry.instanceID].map { $0 + 1 } ?? (self.purgedLeaves > 0 ? entry.seq : 1)
        if entry.seq > expected {
            self.failure = Failure(
                index: index,
                problem: .sequenceGap(instanceID: entry.instanceID, expected: expected, found: entry.seq)
            )
            return
        }
        if entry.seq < expected {
            self.failure = Failure(
                index: index,
                problem: .sequenceRegression(instanceID: entry.instanceID, expected: expected, found: entry.seq)
            )
            return
        }
        self.lastSequence[entry.instanceID] = entry.seq
        self.appender.append(leafHash)
        self.checkCheckpointsAtCurrentSize()
    }

    /// Adds a leaf whose entry a retention sweep purged: its stored hash stands for it, so the
    /// tree and every checkpoint still verify; its entry and sequence cannot be checked. Purged
    /// leaves are a prefix of the log.
    public mutating func addPurged(leafHash: MerkleHash) {
        guard self.failure == nil else { return }
        self.purgedLeaves += 1
        self.appender.append(leafHash)
        self.checkCheckpointsAtCurrentSize()
    }

    /// The result after the last leaf.
    public func finish() -> Result {
        if let failure = self.failure { return .failed(failure) }
        if let largest = self.checkpoints.last, largest.size > self.appender.size {
            return .failed(
                Failure(
                    index: self.appender.size,
                    problem: .truncated(leafCount: self.appender.size, checkpointSize: largest.size)
                )
            )
        }
        return .verified(
            Summary(
                leafCount: self.appender.size,
                rootHash: self.appender.rootHash,
                checkpointCount: self.checkpoints.count,
                signedSize: self.checkpoints.last?.size ?? 0,
                lastSequence: self.lastSequence
            )
        )
    }

    private mutating func checkCheckpointsAtCurrentSize() {
        while self.nextCheckpoint < self.checkpoints.count,
            self.checkpoints[self.nextCheckpoint].size == self.appender.size
        {
            let checkpoint = self.checkpoints[self.nextCheckpoint]
            let computed = self.appender.rootHash
            guard computed == checkpoint.rootHash else {
                self.failure = Failure(
                    index: self.verifiedSize,
                    problem: .checkpointRootMismatch(
                        checkpointSize: checkpoint.size,
                        signed: checkpoint.rootHash,
                        computed: computed
                    )
                )
                return
            }
            self.verifiedSize = checkpoint.size
            self.nextCheckpoint += 1
        }
    }
}
