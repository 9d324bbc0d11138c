public import KeelCore

/// Client API keys, stored as hashes.
public protocol VirtualKeyStore: Sendable {
    /// Stores a new key. Inserting an id or hash that exists throws ``StorageError`` `.conflict`
    /// and stores nothing.
    func insert(_ key: VirtualKey) async throws
    /// Every key, revoked and expired ones included, oldest first.
    func allKeys() async throws -> [VirtualKey]
    func key(id: KeyID) async throws -> VirtualKey?
    /// Marks the key revoked at `at` (µs since the epoch). Returns `false` when no such key
    /// exists; revoking a revoked key keeps the first revocation time and returns `true`.
    func revoke(id: KeyID, at: Int64) async throws -> Bool
    /// Suspends the key at `at`, or resumes it with `nil`. Returns `false` when no such key exists.
    func setSuspended(id: KeyID, at: Int64?) async throws -> Bool
    /// A value that changes whenever a key is inserted, revoked, suspended or resumed (keys change no other way),
    /// so instances can tell cheaply whether to read the keys again.
    func stamp() async throws -> String
}
