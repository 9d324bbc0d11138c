import KeelCore
import KeelStorage
import Testing

@Suite("VirtualKeyStore conformance")
struct VirtualKeyStoreConformanceTests {
    static let full = VirtualKey(
        id: "key-full",
        hash: String(repeating: "ab", count: 32),
        prefix: "sk-keel-ab12",
        name: "CI key, \"quoted\" and ünïcode",
        orgID: "org-1",
        teamID: "team-1",
        projectID: "project-1",
        userID: "user-1",
        models: ["gpt-test", "claude \"x\", y", "模型"],
        role: .teamAdmin,
        tags: ["cost-center": "42", "env": "prod \"eu\"", "ключ": "значение"],
        createdAt: 1_750_000_000_000_000,
        expiresAt: 1_760_000_000_000_000,
        revokedAt: 1_755_000_000_000_000
    )
    static let minimal = VirtualKey(
        id: "key-min", hash: String(repeating: "cd", count: 32), prefix: "sk-keel-cd34", createdAt: 5)

    @Test(arguments: StoreBackend.enabled)
    func anInsertedKeyReadsBackWithEveryField(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            try await stores.keys.insert(Self.full)
            try await stores.keys.insert(Self.minimal)
            #expect(try await stores.keys.key(id: "key-full") == Self.full)
            #expect(try await stores.keys.key(id: "key-min") == Self.minimal)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func everyRoleReadsBackAndTheDefaultIsDataPlane(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            for (index, role) in AdminRole.allCases.enumerated() {
                let key = VirtualKey(id: KeyID("key-\(index)"), hash: "hash-\(index)", prefix: "p", role: role, createdAt: 1)
                try await stores.keys.insert(key)
                #expect(try await stores.keys.key(id: key.id) == key)
            }
            #expect(Self.minimal.role == .dataPlane && Self.minimal.tags.isEmpty)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func anUnknownKeyIsAbsent(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            try await stores.keys.insert(Self.minimal)
            #expect(try await stores.keys.key(id: "key-unknown") == nil)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func allKeysListsRevokedAndExpiredKeysOldestFirst(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            #expect(try await stores.keys.allKeys().isEmpty)
            let keys = [Self.full, Self.minimal, Self.key("key-b", createdAt: 7), Self.key("key-a", createdAt: 7)]
            for key in keys {
                try await stores.keys.insert(key)
            }
            #expect(try await stores.keys.allKeys().map(\.id) == ["key-min", "key-a", "key-b", "key-full"])
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func revokingKeepsTheFirstRevocationTime(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            try await stores.keys.insert(Self.minimal)
            #expect(try await stores.keys.revoke(id: "key-min", at: 100))
            #expect(try await stores.keys.revoke(id: "key-min", at: 200))
            var expected = Self.minimal
            expected.revokedAt = 100
            #expect(try await stores.keys.key(id: "key-min") == expected)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func revokingAnUnknownKeyReturnsFalseAndChangesNothing(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            try await stores.keys.insert(Self.minimal)
            #expect(try await stores.keys.revoke(id: "key-unknown", at: 100) == false)
            #expect(try await stores.keys.allKeys() == [Self.minimal])
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func insertingADuplicateHashFailsAndKeepsTheFirstKey(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            try await stores.keys.insert(Self.minimal)
            let sameHash = VirtualKey(id: "key-other", hash: Self.minimal.hash, prefix: "sk-keel-zz", createdAt: 9)
            await #expect(throws: (any Error).self) { try await stores.keys.insert(sameHash) }
            #expect(try await stores.keys.allKeys() == [Self.minimal])
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func insertingADuplicateIDFailsAndKeepsTheFirstKey(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            try await stores.keys.insert(Self.minimal)
            let sameID = VirtualKey(id: Self.minimal.id, hash: "other-hash", prefix: "sk-keel-zz", createdAt: 9)
            await #expect(throws: (any Error).self) { try await stores.keys.insert(sameID) }
            #expect(try await stores.keys.allKeys() == [Self.minimal])
        }
    }

    private static func key(_ id: KeyID, createdAt: Int64) -> VirtualKey {
        VirtualKey(id: id, hash: "hash-\(id)", prefix: "sk-keel-\(id)", models: ["m"], createdAt: createdAt)
    }
}

@Suite("VirtualKeyStore conformance: errors")
struct VirtualKeyStoreErrorConformanceTests {
    @Test(arguments: StoreBackend.enabled)
    func aTakenIDOrHashIsAConflict(backend: StoreBackend) async throws {
        let first = VirtualKey(id: "key-1", hash: "hash-1", prefix: "sk-keel-1", createdAt: 1)
        try await backend.withStores { stores async throws in
            try await stores.keys.insert(first)
            for duplicate in [
                VirtualKey(id: "key-1", hash: "hash-2", prefix: "sk-keel-2", createdAt: 2),
                VirtualKey(id: "key-2", hash: "hash-1", prefix: "sk-keel-2", createdAt: 2),
            ] {
                let error = try await #require(throws: StorageError.self) { try await stores.keys.insert(duplicate) }
                #expect(error.code == .conflict)
                #expect(error.message.contains("virtual_key"))
            }
            #expect(try await stores.keys.allKeys() == [first])
        }
    }
}
