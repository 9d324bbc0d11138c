import Foundation
import KeelCore
import KeelStorage
import Testing

@Suite("PolicyStore conformance")
struct PolicyStoreConformanceTests {
    static func result(
        _ runAt: Int64,
        _ policy: String,
        _ probe: String,
        passed: Bool = true,
        instance: String = "i1"
    ) -> PolicyProbeResult {
        PolicyProbeResult(
            runAt: runAt,
            instanceID: instance,
            policyID: policy,
            probe: probe,
            passed: passed,
            expected: "refused",
            observed: passed ? "refused" : "admitted"
        )
    }

    /// Whether two JSON texts hold the same object (PostgreSQL's JSONB orders keys its own way).
    static func sameObject(_ a: String, _ b: String) throws -> Bool {
        let left = try JSONSerialization.jsonObject(with: Data(a.utf8)) as? NSDictionary
        let right = try JSONSerialization.jsonObject(with: Data(b.utf8)) as? NSDictionary
        return left != nil && left == right
    }

    @Test(arguments: StoreBackend.enabled)
    func policiesAreStoredReplacedAndDeleted(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.policies
            let second = StoredPolicy(id: "b", document: #"{"models":{"deny":["gpt-4*"]}}"#, createdAt: 2, updatedAt: 2)
            let first = StoredPolicy(
                id: "a",
                document: #"{"name":"Ünïcode \"quoted\"","baa_required":true}"#,
                createdAt: 1,
                updatedAt: 1
            )
            try await store.insert(second)
            try await store.insert(first)
            let read = try await store.policies()
            #expect(read.map(\.id) == ["a", "b"])
            // PostgreSQL keeps JSONB in its own spacing: the same object, maybe not the same text.
            #expect(try Self.sameObject(try #require(read.first).document, first.document))
            #expect(read.first?.createdAt == 1 && read.first?.updatedAt == 1)

            var changed = second
            changed.document = #"{"models":{"allow":["gpt-4o-mini"]}}"#
            changed.updatedAt = 9
            #expect(try await store.update(changed))
            let updated = try #require(try await store.policies().last)
            #expect(try Self.sameObject(updated.document, changed.document))
            #expect(updated.createdAt == 2 && updated.updatedAt == 9)
            #expect(try await !store.update(StoredPolicy(id: "missing", document: "{}", createdAt: 0, updatedAt: 0)))

            do {
                try await store.insert(first)
                Issue.record("a taken id was stored twice")
            } catch let error as StorageError {
                #expect(error.code == .conflict)
            }
            #expect(try await store.delete(id: "a"))
            #expect(try await !store.delete(id: "a"))
            #expect(try await store.policies().map(\.id) == ["b"])
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func probeResultsAreKeptByRunAndPurgedByAge(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.policies
            #expect(try await store.latestProbeResults().isEmpty)
            let run1 = [Self.result(100, "p1", "models.deny"), Self.result(100, "p2", "routing", passed: false)]
            let run2 = [Self.result(200, "p2", "routing"), Self.result(200, "p1", "models.deny")]
            let other = [Self.result(200, "p1", "models.deny", instance: "i0")]
            try await store.appendProbeResults(run1)
            try await store.appendProbeResults(run2)
            try await store.appendProbeResults(other)
            try await store.appendProbeResults([])
            // 70 results in one run: more rows than one statement of either backend writes.
            let many = (0..<70).map { Self.result(300, "p\($0)", "pii.redact") }
            try await store.appendProbeResults(many)

            let period = try await store.probeResults(from: 100, to: 300, limit: 100)
            #expect(
                period == run1.sorted { $0.policyID < $1.policyID } + other + run2.sorted { $0.policyID < $1.policyID }
            )
            #expect(try await store.probeResults(from: 100, to: 300, limit: 2).count == 2)
            #expect(try await store.latestProbeResults().count == 70)

            #expect(try await store.purgeProbeResults(before: 300) == 5)
            #expect(try await store.probeResults(from: 0, to: 1_000, limit: 1_000).count == 70)
            #expect(try await store.latestProbeResults().allSatisfy { $0.runAt == 300 })
        }
    }
}
