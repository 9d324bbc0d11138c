import KeelCore
import KeelStorage
import Testing

@Suite("RateLimitStore conformance")
struct RateLimitStoreConformanceTests {
    static func rule(_ id: String, team: String? = "search", rpm: Int? = 10, createdAt: Int64 = 1) -> RateLimitRule {
        RateLimitRule(id: id, teamID: team.map { TeamID($0) }, requestsPerWindow: rpm, tokensPerWindow: 1_000, windowSeconds: 60, createdAt: createdAt)
    }

    @Test(arguments: StoreBackend.enabled)
    func rulesAreStoredUpdatedAndDeleted(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.rateLimits
            try await store.insert(Self.rule("b", createdAt: 2))
            var first = Self.rule("a", team: nil, createdAt: 1)
            first.keyID = "key_1"
            first.model = "gpt-4o"
            first.maxConcurrent = 3
            try await store.insert(first)
            #expect(try await store.rules() == [first, Self.rule("b", createdAt: 2)])

            var changed = Self.rule("b", rpm: nil, createdAt: 2)
            changed.maxConcurrent = 5
            changed.windowSeconds = 3_600
            #expect(try await store.update(changed))
            #expect(try await store.rules().last == changed)
            #expect(try await !store.update(Self.rule("missing")))

            #expect(try await store.delete(id: "a"))
            #expect(try await !store.delete(id: "a"))
            #expect(try await store.rules() == [changed])
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func aTakenIDIsAConflictAndARuleWithoutScopeOrLimitIsRefused(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            try await stores.rateLimits.insert(Self.rule("a"))
            await #expect(throws: StorageError.self) { try await stores.rateLimits.insert(Self.rule("a")) }
            do {
                try await stores.rateLimits.insert(Self.rule("a"))
            } catch let error as StorageError {
                #expect(error.code == .conflict)
            }
            do {
                try await stores.rateLimits.insert(Self.rule("noscope", team: nil))
                Issue.record("a rule without scope was stored")
            } catch let error as StorageError {
                #expect(error.code == .invalidValue)
            }
            do {
                try await stores.rateLimits.insert(RateLimitRule(id: "nolimit", teamID: "search"))
                Issue.record("a rule without a limit was stored")
            } catch let error as StorageError {
                #expect(error.code == .invalidValue)
            }
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func windowGrantsStopAtTheLimitAndGiveBacksAtZero(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.rateLimits
            func adjust(_ requests: Int, _ tokens: Int, window: Int64 = 600) async throws -> RateLimitWindowGrant {
                try await store.adjustWindow(ruleID: "r", windowStart: window, requests: requests, tokens: tokens, requestLimit: 10, tokenLimit: 100)
            }
            #expect(try await adjust(4, 40) == RateLimitWindowGrant(requests: 4, tokens: 40, totalRequests: 4, totalTokens: 40))
            #expect(try await adjust(4, 70) == RateLimitWindowGrant(requests: 4, tokens: 60, totalRequests: 8, totalTokens: 100))
            #expect(try await adjust(4, 1) == RateLimitWindowGrant(requests: 2, tokens: 0, totalRequests: 10, totalTokens: 100))
            #expect(try await adjust(1, 0) == RateLimitWindowGrant(requests: 0, tokens: 0, totalRequests: 10, totalTokens: 100))
            #expect(try await adjust(-3, -30) == RateLimitWindowGrant(requests: -3, tokens: -30, totalRequests: 7, totalTokens: 70))
            #expect(try await adjust(-30, -300) == RateLimitWindowGrant(requests: -7, tokens: -70, totalRequests: 0, totalTokens: 0))
            // Another window of the same rule starts from nothing.
            #expect(try await adjust(20, 0, window: 660) == RateLimitWindowGrant(requests: 10, tokens: 0, totalRequests: 10, totalTokens: 0))
            // A lowered limit grants nothing more and keeps what was granted.
            let lowered = try await store.adjustWindow(ruleID: "r", windowStart: 660, requests: 1, tokens: 0, requestLimit: 5, tokenLimit: 100)
            #expect(lowered == RateLimitWindowGrant(requests: 0, tokens: 0, totalRequests: 10, totalTokens: 0))
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func concurrentGrantsNeverExceedTheLimitTogether(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.rateLimits
            let granted = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<24 {
                    group.addTask {
                        try await store.adjustWindow(ruleID: "hot", windowStart: 0, requests: 3, tokens: 0, requestLimit: 50, tokenLimit: 0).requests
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(granted == 50)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func leasesShareTheLimitAndExpiredLeasesReturn(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.rateLimits
            #expect(try await store.leaseSlots(ruleID: "c", instanceID: "a", slots: 3, limit: 5, now: 100, expiresAt: 1_000) == 3)
            #expect(try await store.leaseSlots(ruleID: "c", instanceID: "b", slots: 4, limit: 5, now: 100, expiresAt: 2_000) == 2)
            // Renewing keeps what one holds; shrinking frees slots for the other.
            #expect(try await store.leaseSlots(ruleID: "c", instanceID: "a", slots: 1, limit: 5, now: 200, expiresAt: 1_200) == 1)
            #expect(try await store.leaseSlots(ruleID: "c", instanceID: "b", slots: 4, limit: 5, now: 200, expiresAt: 2_000) == 4)
            // a's lease expires at 1_200: b may then take all five.
            #expect(try await store.leaseSlots(ruleID: "c", instanceID: "b", slots: 5, limit: 5, now: 1_300, expiresAt: 3_000) == 5)
            #expect(try await store.leaseSlots(ruleID: "c", instanceID: "a", slots: 1, limit: 5, now: 1_300, expiresAt: 3_000) == 0)
            // Another rule is counted apart; giving back 0 removes the lease.
            #expect(try await store.leaseSlots(ruleID: "other", instanceID: "a", slots: 2, limit: 2, now: 1_300, expiresAt: 3_000) == 2)
            #expect(try await store.leaseSlots(ruleID: "c", instanceID: "b", slots: 0, limit: 5, now: 1_400, expiresAt: 3_000) == 0)
            #expect(try await store.leaseSlots(ruleID: "c", instanceID: "a", slots: 5, limit: 5, now: 1_400, expiresAt: 3_000) == 5)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func concurrentLeasesNeverExceedTheLimitTogether(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.rateLimits
            let held = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        try await store.leaseSlots(ruleID: "c", instanceID: "i\(index)", slots: 2, limit: 7, now: 0, expiresAt: 10_000)
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(held == 7)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func deletingARuleDropsItsWindowsAndLeasesAndPurgeDropsOldOnes(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.rateLimits
            try await store.insert(Self.rule("a"))
            _ = try await store.adjustWindow(ruleID: "a", windowStart: 60, requests: 5, tokens: 0, requestLimit: 10, tokenLimit: 0)
            _ = try await store.leaseSlots(ruleID: "a", instanceID: "x", slots: 2, limit: 2, now: 0, expiresAt: 100)
            #expect(try await store.delete(id: "a"))
            #expect(try await store.adjustWindow(ruleID: "a", windowStart: 60, requests: 10, tokens: 0, requestLimit: 10, tokenLimit: 0).requests == 10)
            #expect(try await store.leaseSlots(ruleID: "a", instanceID: "y", slots: 2, limit: 2, now: 0, expiresAt: 100) == 2)

            _ = try await store.adjustWindow(ruleID: "b", windowStart: 120, requests: 10, tokens: 0, requestLimit: 10, tokenLimit: 0)
            try await store.purge(windowsBefore: 120, now: 100)
            // The window that started at 60 is gone, the one at 120 stays; y's lease expired at 100.
            #expect(try await store.adjustWindow(ruleID: "a", windowStart: 60, requests: 10, tokens: 0, requestLimit: 10, tokenLimit: 0).requests == 10)
            #expect(try await store.adjustWindow(ruleID: "b", windowStart: 120, requests: 1, tokens: 0, requestLimit: 10, tokenLimit: 0).requests == 0)
            #expect(try await store.leaseSlots(ruleID: "a", instanceID: "z", slots: 2, limit: 2, now: 100, expiresAt: 200) == 2)
        }
    }
}
