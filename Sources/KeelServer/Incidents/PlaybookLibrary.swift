import KeelCore
import KeelStorage
import Synchronization

/// The playbooks in force: Keel's defaults, replaced by the configuration's of the same id,
/// replaced by those made through `/admin/v1/playbooks`. A change through the admin API applies
/// here at once and on the other instances within `incidents.sync_interval_ms`.
final class PlaybookLibrary: Sendable {
    private let configured: [Playbook]
    private let store: any IncidentStore
    private let state = Mutex<(stored: [Playbook], stamp: String?)>(([], nil))

    init(configured: [Playbook], store: any IncidentStore) {
        self.configured = configured
        self.store = store
    }

    /// Every playbook in force, by id.
    var current: [Playbook] {
        var byID: [String: Playbook] = [:]
        for playbook in Playbook.defaults + self.configured + self.state.withLock({ $0.stored }) {
            byID[playbook.id] = playbook
        }
        return byID.values.sorted { $0.id < $1.id }
    }

    func playbook(id: String) -> Playbook? { self.current.first { $0.id == id } }

    func save(_ playbook: Playbook, at now: Int64) async throws {
        try await self.store.save(playbook, at: now)
        try await self.reload()
    }

    /// Removes an API playbook; the configuration's or default one of its id applies again.
    func delete(id: String) async throws -> Bool {
        let deleted = try await self.store.deletePlaybook(id: id)
        try await self.reload()
        return deleted
    }

    func reloadIfChanged() async throws {
        let stamp = try await self.store.playbookStamp()
        guard stamp != self.state.withLock({ $0.stamp }) else { return }
        try await self.reload()
    }

    func reload() async throws {
        let stamp = try await self.store.playbookStamp()
        let stored = try await self.store.playbooks()
        self.state.withLock { $0 = (stored, stamp) }
    }

    /// Whether `id` is one of the stored (admin API) playbooks.
    func isStored(_ id: String) -> Bool { self.state.withLock { $0.stored.contains { $0.id == id } } }
}
