import KeelCore
import KeelStorage
import Logging
import Synchronization

/// The compliance policies the data plane enforces: those of the configuration file
/// (`policies:`, read-only) followed by those made through `/admin/v1/policies`, oldest first.
///
/// The request path reads ``current``, one lock and no database; a change through the admin API
/// reloads the snapshot at once on its instance (``reload()``), and ``PeriodicReload`` reloads it on
/// every instance within `compliance.policy_sync_interval_ms` (``PeriodicReload``).
final class PolicyBook: Sendable {
    /// The configuration's policies.
    let configured: [Policy]
    let store: any PolicyStore
    /// The configured providers' names, that the admin API checks a new policy's provider
    /// patterns against.
    let providerNames: [String]
    private let logger: Logger
    private let state: Mutex<Snapshot>
    /// Whether any policy is in force: the request path reads it without the lock, and does no
    /// policy work at all when none is.
    private let inForce: Atomic<Bool>

    struct Snapshot: Sendable {
        var set: PolicySet
        /// The stored policies as last read, with what they were read from.
        var stored: [Stored]
    }

    struct Stored: Sendable {
        let row: StoredPolicy
        let policy: Policy
    }

    init(configured: [Policy], store: any PolicyStore, providerNames: [String], logger: Logger) {
        self.configured = configured
        self.store = store
        self.providerNames = providerNames
        self.logger = logger
        self.state = Mutex(Snapshot(set: PolicySet(configured), stored: []))
        self.inForce = Atomic(!configured.isEmpty)
    }

    /// Every policy in force, the configuration's first.
    var current: PolicySet { self.state.withLock { $0.set } }

    /// Every policy in force, or `nil` when none is (one atomic load, no lock).
    var currentIfAny: PolicySet? {
        guard self.inForce.load(ordering: .relaxed) else { return nil }
        return self.current
    }

    /// The stored policies, as last read.
    var stored: [Stored] { self.state.withLock { $0.stored } }

    /// Reads the stored policies again and replaces the snapshot.
    ///
    /// A stored document is read as the admin API read it, except that its provider patterns are
    /// not checked against the providers configured now: one that matches none allows none (the
    /// policy keeps failing closed). A document that cannot be read any more (changed in the
    /// database by hand) keeps the version read before, and is logged.
    func reload() async throws {
        let rows = try await self.store.policies()
        let previous = Dictionary(self.stored.map { ($0.row.id, $0) }, uniquingKeysWith: { first, _ in first })
        var stored: [Stored] = []
        for row in rows {
            // Unchanged since the last read (the usual case every sync interval): not parsed again.
            if let kept = previous[row.id], kept.row == row {
                stored.append(kept)
                continue
            }
            do {
                let policy = try KeelConfiguration.policy(json: row.document, defaultID: row.id, providerNames: nil)
                stored.append(Stored(row: row, policy: Self.withID(policy, row.id)))
            } catch {
                self.logger.error(
                    "A stored policy cannot be read",
                    metadata: ["keel.policy.id": "\(row.id)", "error.message": "\(error)"]
                )
                if let kept = previous[row.id] { stored.append(kept) }
            }
        }
        let set = PolicySet(self.configured + stored.map(\.policy))
        self.state.withLock { $0 = Snapshot(set: set, stored: stored) }
        self.inForce.store(!set.isEmpty, ordering: .relaxed)
    }

    /// The policies in force for `configuration` over `stores`: the file's and the stored ones
    /// (for the compliance status and evidence packs, which may run without a server).
    static func inForce(_ configuration: KeelConfiguration, stores: KeelStores, logger: Logger) async throws -> [Policy]
    {
        let book = PolicyBook(
            configured: configuration.policies,
            store: stores.policies,
            providerNames: configuration.providers.map(\.name),
            logger: logger
        )
        try await book.reload()
        return book.current.policies
    }

    /// `policy` with `id` (a document's own `id` key never overrides its row's).
    static func withID(_ policy: Policy, _ id: String) -> Policy {
        var policy = policy
        policy.id = id
        return policy
    }

    /// Adds a stored policy refusing prompts of `scope` that contain `pattern` (an incident
    /// playbook's `block_pattern`); applies here at once, on the other instances within the
    /// policy sync interval. Returns its id.
    func addBlockRule(pattern: String, scope: IncidentScope, name: String, at now: Int64) async throws -> String {
        let id = "block-" + String(UInt64.random(in: .min ... .max), radix: 16)
        let policy = Policy(
            id: id,
            name: name,
            scope: Policy.Scope(
                org: scope.org.map { OrgID($0) },
                team: scope.team.map { TeamID($0) },
                key: scope.key.map { KeyID($0) },
                model: scope.model
            ),
            blockedPatterns: [pattern]
        )
        try await self.store.insert(StoredPolicy(id: id, document: policy.json, createdAt: now, updatedAt: now))
        try await self.reload()
        return id
    }

    /// Removes a policy ``addBlockRule(pattern:scope:name:at:)`` added.
    func removeBlockRule(id: String) async throws {
        _ = try await self.store.delete(id: id)
        try await self.reload()
    }
}
