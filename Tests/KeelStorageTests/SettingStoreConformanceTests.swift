import KeelStorage
import Testing

@Suite("SettingStore conformance")
struct SettingStoreConformanceTests {
    @Test(arguments: StoreBackend.enabled)
    func anUnsetNameHasNoValue(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            #expect(try await stores.settings.value(for: "admin_key_hash") == nil)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func insertIfAbsentKeepsTheFirstValue(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            #expect(try await stores.settings.insertIfAbsent("first", for: "admin_key_hash") == "first")
            #expect(try await stores.settings.insertIfAbsent("second", for: "admin_key_hash") == "first")
            #expect(try await stores.settings.value(for: "admin_key_hash") == "first")
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func concurrentInsertIfAbsentCallsAllGetTheOneStoredValue(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let settings = stores.settings
            let results = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<16 {
                    group.addTask { try await settings.insertIfAbsent("value-\(index)", for: "race") }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            let stored = try #require(try await settings.value(for: "race"))
            #expect(results.count == 16)
            #expect(results.allSatisfy { $0 == stored })
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func setValueReplacesTheValueOfThatNameOnly(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            try await stores.settings.setValue("one", for: "a")
            try await stores.settings.setValue("two", for: "b")
            try await stores.settings.setValue("three", for: "a")
            #expect(try await stores.settings.value(for: "a") == "three")
            #expect(try await stores.settings.value(for: "b") == "two")
        }
    }
}
