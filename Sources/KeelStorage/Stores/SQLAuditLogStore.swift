package import KeelCore
import Synchronization

/// The audit log in `audit_entry`, `audit_node`, `audit_head`, `audit_checkpoint`, `audit_salt`
/// and `audit_signer_lease`, on any backend's ``SQLDatabase``.
///
/// An append (``append(_:in:)``) runs inside a transaction that holds the `audit-log` lock: it
/// reads the tree's size from `audit_head`, appends the leaves to the tree's frontier, and writes
/// the entries, the complete subtrees they finish and the new size. The frontier this process
/// last committed is kept in memory; when another instance has appended since, it is read back
/// from the stored nodes (at most 64 of them).
package final class SQLAuditLogStore: AuditLogStore {
    package let database: any SQLDatabase
    /// The tree as this process last committed or read it.
    private let tree = Mutex<MerkleTreeAppender?>(nil)

    package init(database: any SQLDatabase) {
        self.database = database
    }

    /// What an append in a transaction did, to pass to ``committed(_:)`` once it commits.
    package struct Appended: Sendable {
        package var result: AuditAppendResult
        package var tree: MerkleTreeAppender

        package init(result: AuditAppendResult, tree: MerkleTreeAppender) {
            self.result = result
            self.tree = tree
        }
    }

    package func append(_ leaves: [AuditLeaf]) async throws -> AuditAppendResult {
        let appended = try await self.database.transaction { tx in try await self.append(leaves, in: tx, records: []) }
        self.committed(appended)
        return appended.result
    }

    /// Appends `leaves` in the open transaction `tx` (a record batch's, which appends `records`):
    /// call ``committed(_:)`` with the result after the transaction commits.
    package func append(
        _ leaves: [AuditLeaf],
        in tx: any SQLTransaction,
        records: [RequestRecord]
    ) async throws -> Appended {
        try await tx.lock("audit-log")
        let size = try await Self.decodeSize(tx.row(Self.headStatement))
        var tree: MerkleTreeAppender
        if let cached = self.cachedTree(size: size) {
            tree = cached
        } else {
            let ids = MerkleTreeAppender.frontierNodeIDs(size: size)
            tree = try MerkleTreeAppender(
                size: size,
                frontier: Self.hashes(ids, from: ids.isEmpty ? [] : try await tx.rows(Self.nodesStatement(ids)))
            )
        }
        let nodes = tree.append(contentsOf: leaves.lazy.map(\.hash))
        for statement in Self.writeStatements(
            leaves,
            firstIndex: size,
            nodes: nodes,
            treeSize: tree.size,
            records: records,
            dialect: tx.dialect
        ) {
            try await tx.run(statement)
        }
        return Appended(result: AuditAppendResult(firstIndex: size, treeSize: tree.size), tree: tree)
    }

    /// The tree in memory when it is the one of `size` stored entries.
    package func cachedTree(size: UInt64) -> MerkleTreeAppender? {
        self.tree.withLock { tree in tree?.size == size ? tree : nil }
    }

    /// Keeps the tree an append committed, unless a later one is already kept.
    package func committed(_ appended: Appended) {
        self.tree.withLock { tree in
            if (tree?.size ?? 0) <= appended.tree.size { tree = appended.tree }
        }
    }

    // MARK: Statements, shared with backends' tuned writers

    package static let headStatement: SQLStatement = "SELECT tree_size FROM audit_head WHERE id = 1"

    /// The `entry` of a request's entry kept as a reference to its record.
    private static let noBytes: [UInt8] = []

    package static func decodeSize(_ row: SQLRow?) throws -> UInt64 {
        guard let row, let size = UInt64(exactly: try row.decode("tree_size", as: Int64.self)) else {
            throw StorageError.invalidStoredValue(table: "audit_head", column: "tree_size")
        }
        return size
    }

    /// Reads the nodes `ids` (their order does not matter).
    package static func nodesStatement(_ ids: [MerkleNodeID]) -> SQLStatement {
        let conditions = ids.map { id -> SQLStatement in "(level = \(Int64(id.level)) AND idx = \(Int64(id.index)))" }
        return "SELECT level, idx, hash FROM audit_node WHERE \(SQLStatement.joined(conditions, separator: " OR "))"
    }

    /// The hashes of `ids`, in their order, from the rows of ``nodesStatement(_:)``.
    package static func hashes(_ ids: [MerkleNodeID], from rows: [SQLRow]) throws -> [MerkleHash] {
        var found: [MerkleNodeID: MerkleHash] = [:]
        for row in rows {
            let level: Int64 = try row.decode("level")
            let index: Int64 = try row.decode("idx")
            guard let hash = MerkleHash(bytes: try row.decode("hash", as: [UInt8].self)),
                let level = UInt8(exactly: level),
                let index = UInt64(exactly: index)
            else { throw StorageError.invalidStoredValue(table: "audit_node", column: "hash") }
            found[MerkleNodeID(level: level, index: index)] = hash
        }
        return try ids.map { id in
            guard let hash = found[id] else { throw MerkleTreeError.missingNode(id) }
            return hash
        }
    }

    /// The inserts of `leaves` from `firstIndex` and of the complete `nodes` they finish, then the
    /// tree's new size. A leaf kept as a reference to its record (``AuditLeaf/Storage/record(_:)``)
    /// is written so only when that record is among `records`, appended in the same transaction;
    /// otherwise its bytes are written.
    package static func writeStatements(
        _ leaves: [AuditLeaf],
        firstIndex: UInt64,
        nodes: [MerkleNode],
        treeSize: UInt64,
        records: [RequestRecord],
        dialect: SQLDialect
    ) -> [SQLStatement] {
        var statements: [SQLStatement] = []
        let recordIDs = Set(records.lazy.map(\.id))
        let indexed = Array(leaves.enumerated())
        for chunk in indexed.statementChunks(for: dialect) {
            let rows = chunk.lazy.map { offset, leaf -> SQLStatement in
                let index = Int64(firstIndex) + Int64(offset)
                if case .record(let digests) = leaf.storage, let id = leaf.requestID, recordIDs.contains(id) {
                    return """
                        (\(index), \(leaf.instanceID), \(Int64(leaf.seq)), \(leaf.kind.rawValue), \(leaf.time), \(id.rawValue), \(Self.noBytes), \
                        \(digests?.saltID), \(digests?.prompt.flatMap(HexCoding.decode)), \(digests?.answer.flatMap(HexCoding.decode)))
                        """
                }
                return """
                    (\(index), \(leaf.instanceID), \(Int64(leaf.seq)), \(leaf.kind.rawValue), \(leaf.time), \(leaf.requestID?.rawValue), \
                    \(leaf.bytes), NULL, NULL, NULL)
                    """
            }
            statements.append(
                """
                INSERT INTO audit_entry (idx, instance_id, seq, kind, time_us, request_id, entry, digest_salt_id, prompt_digest, answer_digest) \
                VALUES \(SQLStatement.joined(rows, separator: ", "))
                """
            )
        }
        for chunk in nodes.statementChunks(for: dialect) {
            let rows = chunk.lazy.map { node -> SQLStatement in
                "(\(Int64(node.id.level)), \(Int64(node.id.index)), \(node.hash.bytes))"
            }
            statements.append(
                "INSERT INTO audit_node (level, idx, hash) VALUES \(SQLStatement.joined(rows, separator: ", "))"
            )
        }
        statements.append("UPDATE audit_head SET tree_size = \(Int64(treeSize)) WHERE id = 1")
        return statements
    }

    // MARK: Reads

    package func nodeHashes(_ ids: [MerkleNodeID]) async throws -> [MerkleHash] {
        guard !ids.isEmpty else { return [] }
        var hashes: [MerkleHash] = []
        hashes.reserveCapacity(ids.count)
        // A proof reads about 2·log₂ n nodes; long lists (a verifier's) in statements of 200.
        for start in stride(from: 0, to: ids.count, by: 200) {
            let part = Array(ids[start..<min(start + 200, ids.count)])
            hashes += try Self.hashes(part, from: try await self.database.rows(Self.nodesStatement(part)))
        }
        return hashes
    }

    package func head() async throws -> AuditTreeHead {
        let size = try Self.decodeSize(try await self.database.row(Self.headStatement))
        if let tree = self.cachedTree(size: size) { return AuditTreeHead(size: size, rootHash: tree.rootHash) }
        let tree = try await MerkleTreeAppender(size: size, from: self)
        self.tree.withLock { cached in
            if (cached?.size ?? 0) <= tree.size { cached = tree }
        }
        return AuditTreeHead(size: size, rootHash: tree.rootHash)
    }

    package func entries(from start: UInt64, to end: UInt64) async throws -> [StoredAuditEntry] {
        guard start < end else { return [] }
        return try await self.database.rows(
            "\(Self.entrySelect) WHERE e.idx >= \(Int64(clamping: start)) AND e.idx < \(Int64(clamping: end)) ORDER BY e.idx",
            Self.storedEntry
        )
    }

    package func leafHashes(from start: UInt64, to end: UInt64) async throws -> [MerkleHash] {
        guard start < end else { return [] }
        return try await self.database.rows(
            "SELECT hash FROM audit_node WHERE level = 0 AND idx >= \(Int64(clamping: start)) AND idx < \(Int64(clamping: end)) ORDER BY idx"
        ) { row in
            guard let hash = MerkleHash(bytes: try row.decode("hash", as: [UInt8].self)) else {
                throw StorageError.invalidStoredValue(table: "audit_node", column: "hash")
            }
            return hash
        }
    }

    package func entry(forRequest id: RequestID) async throws -> StoredAuditEntry? {
        try await self.database.row(
            "\(Self.entrySelect) WHERE e.request_id = \(id.rawValue) AND e.kind = 'request' ORDER BY e.idx LIMIT 1",
            Self.storedEntry
        )
    }

    /// Entries with what rebuilds those kept as a reference to their record: the record's columns
    /// (`NULL` when the entry keeps its bytes, or its record is gone) and the digests.
    static let entrySelect: SQLStatement = """
        SELECT e.idx AS audit_idx, e.entry AS audit_entry_bytes, e.instance_id AS audit_instance_id, e.seq AS audit_seq, \
        e.time_us AS audit_time_us, e.digest_salt_id AS audit_digest_salt_id, e.prompt_digest AS audit_prompt_digest, \
        e.answer_digest AS audit_answer_digest, CASE WHEN r.id IS NULL THEN 0 ELSE 1 END AS audit_has_record, \
        \(RequestRecord.selectColumns) \
        FROM audit_entry e LEFT JOIN request_record r ON length(e.entry) = 0 AND r.id = e.request_id
        """

    /// An entry read with ``entrySelect``. An entry kept as a reference whose record is gone reads
    /// as no bytes, which no leaf hash matches: verification names its index.
    static func storedEntry(_ row: SQLRow) throws -> StoredAuditEntry {
        guard let index = UInt64(exactly: try row.decode("audit_idx", as: Int64.self)) else {
            throw StorageError.invalidStoredValue(table: "audit_entry", column: "idx")
        }
        let bytes: [UInt8] = try row.decode("audit_entry_bytes")
        guard bytes.isEmpty, try row.decode("audit_has_record", as: Int64.self) == 1 else {
            return StoredAuditEntry(index: index, bytes: bytes)
        }
        return StoredAuditEntry(index: index, bytes: try Self.rebuiltEntry(row).canonicalBytes())
    }

    /// The request entry an ``entrySelect`` row keeps as a reference to its record.
    private static func rebuiltEntry(_ row: SQLRow) throws -> AuditEntry {
        let record = try RequestRecord(row: row)
        guard let seq = UInt64(exactly: try row.decode("audit_seq", as: Int64.self)) else {
            throw StorageError.invalidStoredValue(table: "audit_entry", column: "seq")
        }
        func hex(_ column: String) throws -> String? {
            try row.decode(column, as: [UInt8]?.self).map { HexCoding.encode($0) }
        }
        let digests = try row.decode("audit_digest_salt_id", as: String?.self).map { saltID in
            AuditEntry.ContentDigests(
                saltID: saltID,
                prompt: try hex("audit_prompt_digest"),
                answer: try hex("audit_answer_digest")
            )
        }
        return AuditEntry(
            instanceID: try row.decode("audit_instance_id"),
            seq: seq,
            time: try row.decode("audit_time_us"),
            payload: .request(AuditEntry.Request(record, contentDigests: digests))
        )
    }

    /// Writes out in full the bytes of the entries kept as a reference to a record that
    /// `condition` (over `request_record`'s columns) selects, for the first `limit` such records
    /// in id order — the ones a purge deletes next — in the open transaction `tx`.
    package func writeOutEntries(
        ofRecordsWhere condition: SQLStatement,
        limit: Int,
        in tx: any SQLTransaction
    ) async throws {
        let rows = try await tx.rows(
            """
            \(Self.entrySelect) WHERE length(e.entry) = 0 AND e.request_id IN \
            (SELECT id FROM request_record WHERE \(condition) ORDER BY id LIMIT \(limit))
            """
        )
        for row in rows {
            let entry = try Self.storedEntry(row)
            try await tx.run(
                """
                UPDATE audit_entry SET entry = \(entry.bytes), digest_salt_id = NULL, prompt_digest = NULL, answer_digest = NULL \
                WHERE idx = \(Int64(clamping: entry.index))
                """
            )
        }
    }

    package func sequenceSummary(from start: UInt64) async throws -> [AuditSequenceSummary] {
        try await self.database.rows(
            """
            SELECT instance_id, MIN(seq) AS first_seq, MAX(seq) AS last_seq, COUNT(*) AS entries, MAX(idx) AS last_idx \
            FROM audit_entry WHERE idx >= \(Int64(clamping: start)) GROUP BY instance_id ORDER BY instance_id
            """
        ) { row in
            AuditSequenceSummary(
                instanceID: try row.decode("instance_id"),
                firstSeq: UInt64(clamping: try row.decode("first_seq", as: Int64.self)),
                lastSeq: UInt64(clamping: try row.decode("last_seq", as: Int64.self)),
                count: UInt64(clamping: try row.decode("entries", as: Int64.self)),
                lastIndex: UInt64(clamping: try row.decode("last_idx", as: Int64.self))
            )
        }
    }

    package func purgedBefore() async throws -> UInt64 {
        guard let row = try await self.database.row("SELECT purged_before FROM audit_head WHERE id = 1"),
            let value = UInt64(exactly: try row.decode("purged_before", as: Int64.self))
        else { throw StorageError.invalidStoredValue(table: "audit_head", column: "purged_before") }
        return value
    }

    package func purge(before time: Int64) async throws -> (purgedBefore: UInt64, rows: Int) {
        try await self.database.transaction { tx in
            try await tx.lock("audit-log")
            guard let head = try await tx.row("SELECT tree_size, purged_before FROM audit_head WHERE id = 1") else {
                throw StorageError.invalidStoredValue(table: "audit_head", column: "tree_size")
            }
            let size: Int64 = try head.decode("tree_size")
            let purged: Int64 = try head.decode("purged_before")
            // The first entry at or after `time` ends the prefix: everything before it is older.
            let first = try await tx.row("SELECT MIN(idx) AS first FROM audit_entry WHERE time_us >= \(time)")
            let boundary = max(purged, try first?.decode("first", as: Int64?.self) ?? size)
            guard boundary > purged else { return (UInt64(purged), 0) }
            let rows = try await tx.run("DELETE FROM audit_entry WHERE idx >= \(purged) AND idx < \(boundary)")
            try await tx.run("UPDATE audit_head SET purged_before = \(boundary) WHERE id = 1")
            return (UInt64(boundary), rows)
        }
    }

    // MARK: Checkpoints, salts, lease

    package func addCheckpoint(_ checkpoint: StoredAuditCheckpoint) async throws {
        try await self.database.run(
            """
            INSERT INTO audit_checkpoint (tree_size, root_hash, note, signed_at, instance_id) \
            VALUES (\(Int64(clamping: checkpoint.treeSize)), \(checkpoint.rootHash.bytes), \(checkpoint.note), \(checkpoint.signedAt), \(checkpoint.instanceID)) \
            ON CONFLICT (tree_size) DO NOTHING
            """
        )
    }

    package func latestCheckpoint() async throws -> StoredAuditCheckpoint? {
        try await self.database.row(
            "SELECT tree_size, root_hash, note, signed_at, instance_id FROM audit_checkpoint ORDER BY tree_size DESC LIMIT 1",
            Self.storedCheckpoint
        )
    }

    package func checkpoints() async throws -> [StoredAuditCheckpoint] {
        try await self.database.rows(
            "SELECT tree_size, root_hash, note, signed_at, instance_id FROM audit_checkpoint ORDER BY tree_size",
            Self.storedCheckpoint
        )
    }

    private static func storedCheckpoint(_ row: SQLRow) throws -> StoredAuditCheckpoint {
        guard let size = UInt64(exactly: try row.decode("tree_size", as: Int64.self)),
            let root = MerkleHash(bytes: try row.decode("root_hash", as: [UInt8].self))
        else { throw StorageError.invalidStoredValue(table: "audit_checkpoint", column: "root_hash") }
        return StoredAuditCheckpoint(
            treeSize: size,
            rootHash: root,
            note: try row.decode("note"),
            signedAt: try row.decode("signed_at"),
            instanceID: try row.decode("instance_id")
        )
    }

    package func salt(forOrg org: String, now: Int64) async throws -> (id: String, salt: Secret<[UInt8]>) {
        let saltID = "\(org.isEmpty ? "-" : org)/\(Self.month(ofMicros: now))"
        let fresh = AuditContentDigester.generateSalt()
        return try await self.database.transaction { tx in
            // The insert waits for a racing one to commit, then does nothing; the read sees the
            // salt that won.
            try await tx.run(
                """
                INSERT INTO audit_salt (salt_id, org_id, salt, created_at) \
                VALUES (\(saltID), \(org), \(fresh.withExposedValue { $0 }), \(now)) ON CONFLICT DO NOTHING
                """
            )
            guard let row = try await tx.row("SELECT salt_id, salt FROM audit_salt WHERE org_id = \(org)") else {
                throw StorageError.invalidStoredValue(table: "audit_salt", column: "salt")
            }
            let salt: [UInt8] = try row.decode("salt")
            guard salt.count >= AuditContentDigester.minimumSaltLength else {
                throw StorageError.invalidStoredValue(table: "audit_salt", column: "salt")
            }
            return (try row.decode("salt_id", as: String.self), Secret(salt))
        }
    }

    /// `2026-12`: the UTC month of a time in µs since the epoch.
    static func month(ofMicros micros: Int64) -> String {
        let date = CivilDate(unixMicros: micros)
        return "\(CivilDate.padded(date.year, 4))-\(CivilDate.padded(date.month, 2))"
    }

    package func acquireSignerLease(instanceID: String, now: Int64, expiresAt: Int64) async throws -> Bool {
        let changed = try await self.database.run(
            """
            INSERT INTO audit_signer_lease (id, instance_id, expires_at) VALUES (1, \(instanceID), \(expiresAt)) \
            ON CONFLICT (id) DO UPDATE SET instance_id = excluded.instance_id, expires_at = excluded.expires_at \
            WHERE audit_signer_lease.instance_id = excluded.instance_id OR audit_signer_lease.expires_at < \(now)
            """
        )
        return changed > 0
    }
}
