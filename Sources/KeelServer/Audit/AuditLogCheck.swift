public import FoundationEssentials
public import KeelCore
public import KeelStorage
public import Logging
import NIOPosix

/// `keel audit verify` and `keel audit checkpoint`: the stored audit log read as `keel serve`
/// finds it, checked with ``AuditLogVerifier`` against the keys it trusts.
public enum AuditLogCheck {
    /// Why a check could not run (exit 2), as opposed to a log that fails it (exit 1).
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// What `verify` found.
    public struct Report: Sendable {
        public var result: AuditLogVerifier.Result
        /// The trusted keys, `name+id+key`.
        public var keys: [String]
        /// The entries the store holds.
        public var storedSize: UInt64
    }

    /// Entries read from the store per query.
    static let pageSize: UInt64 = 10_000

    /// Recomputes the stored log's tree from its entries, checks every stored checkpoint's
    /// signature and that each is a prefix of the log, each instance's sequence, and that the
    /// store holds at least what the latest checkpoint covers.
    public static func verify(_ configuration: KeelConfiguration, logger: Logger) async throws -> Report {
        try await Self.withStores(configuration, logger: logger) { stores in
            let keys = try await Self.trustedKeys(configuration, stores: stores)
            let checkpoints = try await stores.audit.checkpoints()
            var verifier = AuditLogVerifier(keys: keys.keys, origin: keys.origin, checkpoints: checkpoints.map(\.note))
            let size = try await stores.audit.head().size
            // Read past the head too: entries a tamperer appended without moving it still count.
            // Entries purged by retention: their stored leaf hashes stand for them.
            let purged = try await stores.audit.purgedBefore()
            var start: UInt64 = 0
            while start < purged && verifier.failure == nil {
                let hashes = try await stores.audit.leafHashes(from: start, to: min(start + Self.pageSize, purged))
                guard hashes.count == Int(min(start + Self.pageSize, purged) - start) else {
                    return Report(
                        result: .failed(
                            .init(index: start + UInt64(hashes.count), problem: .missingEntry(storedSize: size))
                        ),
                        keys: keys.keys.map(\.description),
                        storedSize: size
                    )
                }
                for hash in hashes { verifier.addPurged(leafHash: hash) }
                start += UInt64(hashes.count)
            }
            while verifier.failure == nil {
                let entries = try await stores.audit.entries(from: start, to: start + Self.pageSize)
                let hashes = try await stores.audit.leafHashes(from: start, to: start + Self.pageSize)
                for (offset, entry) in entries.enumerated() where verifier.failure == nil {
                    let index = start + UInt64(offset)
                    verifier.add(
                        AuditLogVerifier.Leaf(
                            bytes: entry.bytes,
                            storedLeafHash: offset < hashes.count ? hashes[offset] : nil
                        )
                    )
                    // A missing entry: the next one stands in its place. The verifier almost
                    // always sees it (leaf hash, seq, checkpoint root); if not, it is named here.
                    if entry.index != index && verifier.failure == nil {
                        return Report(
                            result: .failed(.init(index: index, problem: .missingEntry(storedSize: size))),
                            keys: keys.keys.map(\.description),
                            storedSize: size
                        )
                    }
                }
                if verifier.failure != nil { break }
                if entries.count < Int(Self.pageSize) {
                    let end = start + UInt64(entries.count)
                    if end < size {
                        // The log's size counts entries the store no longer holds.
                        return Report(
                            result: .failed(.init(index: end, problem: .missingEntry(storedSize: size))),
                            keys: keys.keys.map(\.description),
                            storedSize: size
                        )
                    }
                    break
                }
                start += Self.pageSize
            }
            return Report(result: verifier.finish(), keys: keys.keys.map(\.description), storedSize: size)
        }
    }

    /// The latest stored checkpoint, as a signed note.
    public static func latestCheckpoint(_ configuration: KeelConfiguration, logger: Logger) async throws -> String {
        try await Self.withStores(configuration, logger: logger) { stores in
            guard let latest = try await stores.audit.latestCheckpoint() else {
                throw Unavailable(description: "The audit log has no checkpoint yet (start `keel serve` once).")
            }
            return latest.note
        }
    }

    /// Hands `write` the log's entries in index order, each entry's exact bytes and a newline, a
    /// thousand at a time; returns how many there were. A log whose oldest entries retention
    /// purged has no bytes for them to export: ``Unavailable``, naming the first one kept.
    public static func exportEntries(
        _ configuration: KeelConfiguration,
        logger: Logger,
        write: @Sendable (Data) throws -> Void
    ) async throws -> UInt64 {
        try await Self.withStores(configuration, logger: logger) { stores in
            let purged = try await stores.audit.purgedBefore()
            guard purged == 0 else {
                throw Unavailable(
                    description:
                        "Retention purged the first \(purged) entries; only their leaf hashes are kept, so there is no whole log to export."
                )
            }
            let size = try await stores.audit.head().size
            var start: UInt64 = 0
            while start < size {
                let end = min(size, start + 1_000)
                var lines = Data()
                for entry in try await stores.audit.entries(from: start, to: end) {
                    lines.append(contentsOf: entry.bytes)
                    lines.append(0x0A)
                }
                try write(lines)
                start = end
            }
            return size
        }
    }

    /// The keys checkpoints may be signed by: the signer's, and `compliance.audit.trusted_keys`.
    static func trustedKeys(
        _ configuration: KeelConfiguration,
        stores: KeelStores
    ) async throws -> (keys: [NoteVerifierKey], origin: String) {
        let signer = try await Self.existingSigner(configuration, stores: stores)
        var keys = [signer.verifierKey]
        for text in configuration.compliance.audit.trustedKeys {
            if let key = try? NoteVerifierKey(parsing: text), key.name == signer.name, !keys.contains(key) {
                keys.append(key)
            }
        }
        return (keys, signer.name)
    }

    /// The log's signing key as `keel serve` left it (from `signing_key_file` or the database);
    /// unlike ``AuditSigningKey/load(_:settings:)`` it never generates one.
    static func existingSigner(_ configuration: KeelConfiguration, stores: KeelStores) async throws -> NoteSigner {
        if let path = configuration.compliance.audit.signingKeyFile {
            guard FileManager.default.fileExists(atPath: path) else {
                throw Unavailable(description: "The audit signing key file '\(path)' does not exist.")
            }
            return try AuditSigningKey.read(path)
        }
        guard let stored = try await stores.settings.value(for: AuditSigningKey.settingName) else {
            throw Unavailable(description: "The database holds no audit log key: `keel serve` has not run on it.")
        }
        do {
            return try NoteSigner(parsing: Secret(stored))
        } catch {
            throw Unavailable(description: "The audit signing key in the database is not a signer key.")
        }
    }

    /// Runs `body` with the stores of `configuration`'s database, opened (and migrated) on their
    /// own; unless `creating`, a missing SQLite file is ``Unavailable`` rather than created.
    public static func withStores<Result: Sendable>(
        _ configuration: KeelConfiguration,
        logger: Logger,
        creating: Bool = false,
        _ body: (KeelStores) async throws -> Result
    ) async throws -> Result {
        if !creating, !configuration.storage.isPostgres, let path = configuration.storage.sqlitePath,
            !FileManager.default.fileExists(atPath: path)
        {
            throw Unavailable(description: "There is no database at '\(path)'.")
        }
        let backend = try await StorageBackend.open(
            configuration.storage,
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: logger
        )
        do {
            let result = try await body(backend.stores)
            await backend.close()
            return result
        } catch {
            await backend.close()
            throw error
        }
    }
}
