import KeelCore
import NIOCore
import Synchronization

/// The exact-match response cache: successful chat answers kept in memory, per team, for a
/// configured time, bounded in bytes with least-recently-used eviction.
///
/// One instance serves every request; it is thread-safe (one `Mutex` around O(1) work: no
/// hashing, copying or I/O happens under it). Keys are built by ``ResponseCacheKey`` and never
/// match across teams. Entries are immutable once stored; an answer that is stored again
/// replaces the old one and its expiry.
final class ResponseCache: Sendable {
    /// A stored answer and what it cost when the upstream produced it.
    struct Entry: Sendable {
        enum Body: Sendable {
            /// A complete answer: the body the client received and its content type.
            case complete(ByteBuffer, contentType: String?)
            /// A whole stream, as the client received it: every event, in its dialect, up to
            /// and including its terminator.
            case stream(ByteBuffer)
        }

        let body: Body
        let usage: TokenUsage
        /// What the answer cost; a hit saves this much.
        let cost: USDNanos
        /// The configured model that produced it (after fallbacks).
        let model: String?

        /// What the entry is charged against ``ResponseCache/maxBytes``: its bytes plus a fixed
        /// allowance for the entry, its key and the index.
        var chargedBytes: Int {
            switch self.body {
            case .complete(let bytes, let contentType): bytes.readableBytes + (contentType?.utf8.count ?? 0) + Self.overhead
            case .stream(let bytes): bytes.readableBytes + Self.overhead
            }
        }

        static let overhead = 256
    }

    let configuration: KeelConfiguration.Cache
    /// Models whose answers are never cached (`models[].cache: false`).
    let excludedModels: Set<String>
    private let storage: Mutex<ResponseCacheStorage<ResponseCacheKey, Entry>>
    private let now: @Sendable () -> ContinuousClock.Instant

    /// - Parameter now: the clock entries expire by (tests pass a manual one).
    init(
        configuration: KeelConfiguration.Cache,
        excludedModels: Set<String> = [],
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.configuration = configuration
        self.excludedModels = excludedModels
        self.storage = Mutex(ResponseCacheStorage(maxBytes: configuration.maxBytes))
        self.now = now
    }

    /// The cache a configuration asks for, or `nil` when `cache.enabled` is off (then the
    /// request path does no cache work at all).
    convenience init?(configuration: KeelConfiguration) {
        guard configuration.cache.enabled else { return nil }
        self.init(
            configuration: configuration.cache,
            excludedModels: Set(configuration.models.filter { !$0.cache }.map(\.name))
        )
    }

    /// Whether answers of `model` may be cached.
    func admits(model: String) -> Bool {
        !self.excludedModels.contains(model)
    }

    /// The live entry of `key`, if any.
    func entry(for key: ResponseCacheKey) -> Entry? {
        let now = self.now()
        return self.storage.withLock { $0.value(for: key, now: now) }
    }

    /// Stores `entry` under `key` for ``KeelConfiguration/Cache/ttl`` unless it is larger than
    /// `max_entry_bytes`. Returns whether it was stored.
    @discardableResult
    func store(_ entry: Entry, for key: ResponseCacheKey) -> Bool {
        let bytes = entry.chargedBytes
        guard bytes - Entry.overhead <= self.configuration.maxEntryBytes else { return false }
        let expiresAt = self.now() + self.configuration.ttl
        let insertion = self.storage.withLock { $0.insert(entry, for: key, bytes: bytes, expiresAt: expiresAt) }
        return insertion != .tooLarge
    }

    /// Entries held and the bytes charged for them.
    var usage: (entries: Int, bytes: Int) {
        self.storage.withLock { ($0.count, $0.bytes) }
    }
}
