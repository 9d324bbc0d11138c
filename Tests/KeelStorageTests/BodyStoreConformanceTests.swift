import KeelCore
import KeelStorage
import Testing

@Suite("BodyStore conformance")
struct BodyStoreConformanceTests {
    static func body(
        _ id: String,
        org: String = "acme",
        key: String = "bk_1",
        at startedAt: Int64 = 10,
        answer: [UInt8]? = [4, 5]
    ) -> SealedBody {
        SealedBody(
            requestID: RequestID(id),
            org: org,
            keyID: key,
            startedAt: startedAt,
            prompt: [1, 2, 3, 0, 255],
            answer: answer,
            answerTruncated: answer == nil
        )
    }

    @Test(arguments: StoreBackend.enabled)
    func oneKeyPerOrganisationAndBodiesOnlyUnderALiveKey(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.bodies
            #expect(try await store.key(forOrg: "acme") == nil)
            let first = BodyKey(org: "acme", id: "bk_1", key: Array(repeating: 7, count: 32), createdAt: 1)
            #expect(try await store.insertKeyIfAbsent(first) == first)
            // Another instance racing with its own key gets the stored one.
            #expect(
                try await store.insertKeyIfAbsent(
                    BodyKey(org: "acme", id: "bk_2", key: Array(repeating: 9, count: 32), createdAt: 2)
                ) == first
            )
            let unscoped = BodyKey(org: "", id: "bk_0", key: Array(repeating: 1, count: 32), createdAt: 3)
            #expect(try await store.insertKeyIfAbsent(unscoped) == unscoped)

            let result = try await store.insert([
                Self.body("r1"), Self.body("r2", answer: nil), Self.body("r3", key: "bk_gone"),
                Self.body("r0", org: "", key: "bk_0"),
            ])
            #expect(result.stored == ["r1", "r2", "r0"])
            #expect(result.erasedKeys == ["bk_gone"])
            #expect(try await store.body(requestID: "r1") == Self.body("r1"))
            #expect(try await store.body(requestID: "r2") == Self.body("r2", answer: nil))
            #expect(try await store.body(requestID: "r3") == nil)
            // A request stored already is left as it is.
            var changed = Self.body("r1")
            changed.prompt = [9]
            #expect(try await store.insert([changed]).stored.isEmpty)
            #expect(try await store.body(requestID: "r1")?.prompt == [1, 2, 3, 0, 255])
            #expect(try await store.insert([]) == BodyInsertResult(stored: [], erasedKeys: []))

            let erased = try await store.erase(org: "acme")
            #expect(erased.bodies == 2 && erased.hadKey)
            #expect(try await store.key(forOrg: "acme") == nil)
            #expect(try await store.body(requestID: "r1") == nil)
            #expect(try await store.body(requestID: "r0") != nil, "another organisation's bodies stay")
            let again = try await store.erase(org: "acme")
            #expect(again.bodies == 0 && !again.hadKey)
            #expect(
                try await store.insert([Self.body("r4")]).erasedKeys == ["bk_1"],
                "sealed with the erased key: not stored"
            )
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func retentionPurgesByOrganisationAndTime(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.bodies
            for org in ["acme", "beta", ""] {
                _ = try await store.insertKeyIfAbsent(
                    BodyKey(org: org, id: "bk_\(org)", key: Array(repeating: 1, count: 32), createdAt: 1)
                )
            }
            _ = try await store.insert([
                Self.body("a-old", org: "acme", key: "bk_acme", at: 5),
                Self.body("a-new", org: "acme", key: "bk_acme", at: 50),
                Self.body("b-old", org: "beta", key: "bk_beta", at: 5), Self.body("n-old", org: "", key: "bk_", at: 5),
            ])
            #expect(try await store.purge(startedBefore: 10, scope: .org("acme")) == 1)
            #expect(try await store.purge(startedBefore: 10, scope: .allExcept(["beta"])) == 1)
            #expect(try await store.body(requestID: "b-old") != nil)
            #expect(try await store.body(requestID: "a-new") != nil)
            #expect(try await store.purge(startedBefore: 100, scope: .allExcept([])) == 2)
        }
    }
}
