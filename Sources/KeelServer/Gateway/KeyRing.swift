public import KeelCore
public import KeelStorage
import Synchronization

/// The keys the data plane accepts, in memory, swapped as a whole when keys change.
///
/// Lookups hash the presented key and find it by hash; the matching hash is then compared in
/// constant time. Revocation and creation replace the snapshot at once, so they take effect on
/// the next request.
public final class KeyRing: Sendable {
    private struct Snapshot: Sendable {
        var keysByHash: [String: VirtualKey] = [:]
        /// The principal of each key, built when the key enters the snapshot.
        var principalsByHash: [String: Principal] = [:]
        var adminHash: String?
        /// Client certificate identities (`keys[].client_certificate`) and the hash of the key
        /// each authenticates as.
        var clientIdentities: [String: String] = [:]
    }

    private let snapshot = Mutex(Snapshot())
    /// The configuration's keys, kept to rebuild the snapshot when the stored ones are read
    /// again, and the store's stamp when they last were.
    private let reloading = Mutex<(configured: [VirtualKey], stamp: String?)>(([], nil))
    /// Hashes of recently presented keys, so a busy key is not re-hashed on every request. It
    /// maps key text to its SHA-256 only; whether the key is valid is always decided from the
    /// snapshot, so revocation still takes effect at once. Emptied when full.
    private let hashCache = Mutex<[String: String]>([:])
    private static let hashCacheLimit = 4_096
    /// Told when a revoked or expired key is presented (never a suspended one, which is expected
    /// to be tried until resumed): incident response's data-exposure detector.
    private let inactiveKeyListener = Mutex<(@Sendable (VirtualKey) -> Void)?>(nil)

    public init() {}

    /// Sets what hears of revoked or expired keys presented.
    func onInactiveKey(_ listener: @escaping @Sendable (VirtualKey) -> Void) {
        self.inactiveKeyListener.withLock { $0 = listener }
    }

    private func presentedInactive(_ key: VirtualKey) {
        guard key.revokedAt != nil || key.suspendedAt == nil, let listener = self.inactiveKeyListener.withLock({ $0 })
        else {
            return
        }
        listener(key)
    }

    private func hash(_ presented: String) -> String {
        if let cached = self.hashCache.withLock({ $0[presented] }) { return cached }
        let hash = KeyMaterial.hash(presented)
        self.hashCache.withLock { cache in
            if cache.count >= Self.hashCacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[presented] = hash
        }
        return hash
    }

    /// Replaces the admin key hash.
    public func setAdminHash(_ hash: String) {
        self.snapshot.withLock { $0.adminHash = hash }
    }

    /// Replaces every client key.
    public func replaceKeys(_ keys: [VirtualKey]) {
        var byHash: [String: VirtualKey] = [:]
        var principals: [String: Principal] = [:]
        for key in keys {
            byHash[key.hash] = key
            principals[key.hash] = Principal(key: key)
        }
        self.snapshot.withLock {
            $0.keysByHash = byHash
            $0.principalsByHash = principals
        }
    }

    /// Replaces every client key with `stored` and `configured`, and remembers `configured` and
    /// `stamp` for ``reload(from:)``.
    public func replaceKeys(stored: [VirtualKey], configured: [VirtualKey], stamp: String?) {
        self.replaceKeys(stored + configured)
        self.reloading.withLock { $0 = (configured, stamp) }
    }

    /// Reads the stored keys again when the store's stamp changed since the last read: a key
    /// created or revoked on another instance that shares the database applies here too.
    public func reload(from store: any VirtualKeyStore) async throws {
        let stamp = try await store.stamp()
        let (configured, last) = self.reloading.withLock { $0 }
        guard stamp != last else { return }
        self.replaceKeys(stored: try await store.allKeys(), configured: configured, stamp: stamp)
    }

    /// Adds or replaces one key.
    public func upsert(_ key: VirtualKey) {
        let principal = Principal(key: key)
        self.snapshot.withLock {
            $0.keysByHash[key.hash] = key
            $0.principalsByHash[key.hash] = principal
        }
    }

    /// Maps client certificate identities to the hashes of the keys they authenticate as.
    public func setClientIdentities(_ identities: [String: String]) {
        self.snapshot.withLock { $0.clientIdentities = identities }
    }

    /// Whether any client certificate identity maps to a key.
    public var identifiesClients: Bool {
        self.snapshot.withLock { !$0.clientIdentities.isEmpty }
    }

    /// The principal of the key the first of `identities` that is mapped authenticates as, or
    /// `nil` when none is mapped or its key is unknown, revoked or expired.
    public func authenticate(clientIdentities identities: [String], now: Int64) -> Principal? {
        let found = self.snapshot.withLock { snapshot -> (VirtualKey, Principal?)? in
            for identity in identities {
                if let hash = snapshot.clientIdentities[identity], let key = snapshot.keysByHash[hash] {
                    return (key, snapshot.principalsByHash[hash])
                }
            }
            return nil
        }
        guard let (key, principal) = found, key.isActive(at: now) else { return nil }
        return principal ?? Principal(key: key)
    }

    /// The principal for a presented key, or `nil` when the key is unknown, revoked or expired.
    public func authenticate(_ presented: String, now: Int64) -> Principal? {
        let hash = self.hash(presented)
        let (key, principal, adminHash) = self.snapshot.withLock {
            ($0.keysByHash[hash], $0.principalsByHash[hash], $0.adminHash)
        }
        if let adminHash, KeyMaterial.constantTimeEquals(adminHash, hash) {
            return .admin
        }
        guard let key, KeyMaterial.constantTimeEquals(key.hash, hash) else { return nil }
        guard key.isActive(at: now) else {
            self.presentedInactive(key)
            return nil
        }
        return principal ?? Principal(key: key)
    }

    /// Who `presented` is on the admin API: the admin key, an active virtual key with its role
    /// and bindings (possibly `.dataPlane`, which the API refuses with 403), or `nil` when the key
    /// is unknown, revoked or expired (401). Not on the data plane's path.
    func adminCaller(_ presented: String, now: Int64) -> AdminCaller? {
        let hash = self.hash(presented)
        let (key, adminHash) = self.snapshot.withLock { ($0.keysByHash[hash], $0.adminHash) }
        if let adminHash, KeyMaterial.constantTimeEquals(adminHash, hash) {
            return .adminKey
        }
        guard let key, KeyMaterial.constantTimeEquals(key.hash, hash), key.isActive(at: now) else { return nil }
        return AdminCaller(role: key.role, keyID: key.id, orgID: key.orgID, teamID: key.teamID)
    }

    /// Whether `presented` is the admin key.
    public func isAdmin(_ presented: String) -> Bool {
        let hash = self.hash(presented)
        guard let adminHash = self.snapshot.withLock({ $0.adminHash }) else { return false }
        return KeyMaterial.constantTimeEquals(adminHash, hash)
    }
}
