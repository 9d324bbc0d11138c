import KeelCore
import KeelStorage
import Testing

/// The rules of ``BudgetStore``, on every backend: budgets are stored, listed in id order,
/// updated and deleted with their ledger; a lease never lets the instances' shares add up past
/// the limit, never grants less than spent, and never lowers spent.
@Suite("BudgetStore conformance")
struct BudgetStoreConformanceTests {
    static let dollar = USDNanos(1_000_000_000)

    static func budget(_ id: String, limit: USDNanos = dollar, period: Budget.Period = .daily) -> Budget {
        Budget(
            id: BudgetID(id),
            name: "Budget \(id)",
            scopeKind: .team,
            scopeValue: "search",
            orgID: "acme",
            teamID: "search",
            period: period,
            timeZone: "Europe/Berlin",
            limit: limit,
            softLimit: USDNanos(800_000_000),
            createdAt: 1_700_000_000_000_000,
            updatedAt: 1_700_000_000_000_000
        )
    }

    /// Now, and the heartbeat before which an entry is gone (a minute earlier).
    static let now: Int64 = 1_700_000_100_000_000
    static let liveSince: Int64 = now - 60_000_000

    static func lease(
        _ store: any BudgetStore,
        _ instance: String,
        spent: USDNanos = .zero,
        wanted: USDNanos,
        limit: USDNanos = dollar,
        budget: String = "b",
        period: Int64 = 1_700_000_000,
        now: Int64 = now,
        liveSince: Int64 = liveSince
    ) async throws -> BudgetLeaseGrant {
        try await store.lease(
            BudgetLeaseRequest(
                budgetID: BudgetID(budget), periodStart: period, instanceID: instance, spent: spent, wanted: wanted,
                limit: limit, now: now, liveSince: liveSince
            )
        )
    }

    static func cents(_ cents: Int64) -> USDNanos { USDNanos(cents * 10_000_000) }

    @Test(arguments: StoreBackend.enabled)
    func budgetsAreStoredListedInIDOrderUpdatedAndDeletedWithTheirLedger(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.budgets
            var fixed = Self.budget("b2", period: .fixed)
            fixed.scopeKind = .tag
            fixed.scopeValue = "feature=search"
            fixed.teamID = nil
            fixed.softLimit = nil
            fixed.timeZone = "UTC"
            fixed.startsAt = 1_700_000_000
            fixed.endsAt = 1_700_086_400
            try await store.insertBudget(fixed)
            try await store.insertBudget(Self.budget("b1"))
            #expect(try await store.budget(id: "b1") == Self.budget("b1"))
            #expect(try await store.budget(id: "b2") == fixed)
            #expect(try await store.budget(id: "missing") == nil)
            #expect(try await store.budgets().map(\.id) == ["b1", "b2"])

            var changed = Self.budget("b1", limit: Self.cents(250), period: .monthly)
            changed.name = "Renamed"
            changed.timeZone = "America/New_York"
            changed.softLimit = nil
            changed.updatedAt += 5
            #expect(try await store.updateBudget(changed))
            #expect(try await store.budget(id: "b1") == changed)
            #expect(try await !store.updateBudget(Self.budget("missing")))

            _ = try await Self.lease(store, "i1", spent: Self.cents(10), wanted: Self.cents(20), budget: "b1")
            #expect(try await store.ledger(budgetID: "b1", periodStart: 1_700_000_000).count == 1)
            #expect(try await store.deleteBudget(id: "b1"))
            #expect(try await !store.deleteBudget(id: "b1"))
            #expect(try await store.budget(id: "b1") == nil)
            #expect(try await store.ledger(budgetID: "b1", periodStart: 1_700_000_000).isEmpty)
            #expect(try await store.budgets() == [fixed])
            // A budget made again with the same id starts with an empty ledger.
            try await store.insertBudget(Self.budget("b1"))
            #expect(try await store.ledger(budgetID: "b1", periodStart: 1_700_000_000).isEmpty)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func leasesShareTheLimitAmongInstances(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.budgets
            try await store.insertBudget(Self.budget("b"))
            // One instance alone gets what it wants, up to the limit.
            #expect(try await Self.lease(store, "i1", wanted: Self.cents(30)) == BudgetLeaseGrant(granted: Self.cents(30), othersHeld: .zero))
            #expect(try await Self.lease(store, "i1", wanted: Self.cents(130)) == BudgetLeaseGrant(granted: Self.dollar, othersHeld: .zero))
            // A second one gets at most the limit minus what the first holds.
            #expect(try await Self.lease(store, "i2", wanted: Self.cents(10)) == BudgetLeaseGrant(granted: .zero, othersHeld: Self.dollar))
            // The first gives back (wanted below granted): its grant drops, and the second gets the rest.
            #expect(try await Self.lease(store, "i1", spent: Self.cents(20), wanted: Self.cents(40)).granted == Self.cents(40))
            #expect(try await Self.lease(store, "i2", wanted: Self.cents(90)) == BudgetLeaseGrant(granted: Self.cents(60), othersHeld: Self.cents(40)))
            #expect(try await Self.lease(store, "i1", spent: Self.cents(20), wanted: Self.cents(70)) == BudgetLeaseGrant(granted: Self.cents(40), othersHeld: Self.cents(60)))

            let entries = try await store.ledger(budgetID: "b", periodStart: 1_700_000_000)
            #expect(entries == [
                BudgetLedgerEntry(instanceID: "i1", spent: Self.cents(20), granted: Self.cents(40), heartbeatAt: Self.now),
                BudgetLedgerEntry(instanceID: "i2", spent: .zero, granted: Self.cents(60), heartbeatAt: Self.now),
            ])
            // Another period of the same budget is a ledger of its own.
            #expect(try await Self.lease(store, "i2", wanted: Self.cents(100), period: 1_700_086_400).granted == Self.dollar)
            #expect(try await store.ledger(budgetID: "b", periodStart: 1_700_000_000).count == 2)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func spentOnlyGrowsAndTheGrantNeverGoesBelowIt(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.budgets
            try await store.insertBudget(Self.budget("b"))
            _ = try await Self.lease(store, "i1", spent: Self.cents(50), wanted: Self.cents(60))
            // A smaller spent never lowers the stored one; the grant covers it even when wanted is less.
            let grant = try await Self.lease(store, "i1", spent: Self.cents(10), wanted: Self.cents(5))
            #expect(grant.granted == Self.cents(50))
            #expect(try await store.ledger(budgetID: "b", periodStart: 1_700_000_000).first?.spent == Self.cents(50))
            // The others hold the rest of the limit: the grant is still what the instance spent.
            _ = try await Self.lease(store, "i2", wanted: Self.dollar)
            #expect(try await Self.lease(store, "i1", spent: Self.cents(70), wanted: Self.cents(90)) == BudgetLeaseGrant(granted: Self.cents(70), othersHeld: Self.cents(50)))
            let own = try #require(try await store.ledger(budgetID: "b", periodStart: 1_700_000_000).first { $0.instanceID == "i1" })
            #expect(own.spent == Self.cents(70) && own.granted == Self.cents(70))
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func aGoneInstanceHoldsOnlyWhatItSpent(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.budgets
            try await store.insertBudget(Self.budget("b"))
            // i1 took 80 cents and spent 30, then fell silent two minutes ago.
            let then = Self.now - 120_000_000
            _ = try await Self.lease(store, "i1", spent: Self.cents(30), wanted: Self.cents(80), now: then, liveSince: then - 60_000_000)
            #expect(try await Self.lease(store, "i2", wanted: Self.dollar) == BudgetLeaseGrant(granted: Self.cents(70), othersHeld: Self.cents(30)))
            // While it was alive, the same ledger left the newcomer only 20 cents.
            #expect(try await Self.lease(store, "i3", wanted: Self.dollar, liveSince: then) == BudgetLeaseGrant(granted: .zero, othersHeld: Self.cents(150)))
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func concurrentLeasesNeverGrantMoreThanTheLimit(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.budgets
            try await store.insertBudget(Self.budget("b"))
            // 8 instances, each asking 5 times for a growing share of 7 cents more.
            let grants = try await withThrowingTaskGroup(of: USDNanos.self) { group in
                for instance in 0..<8 {
                    group.addTask {
                        var granted = USDNanos.zero
                        for _ in 0..<5 {
                            granted = try await Self.lease(store, "i\(instance)", wanted: granted + Self.cents(7)).granted
                        }
                        return granted
                    }
                }
                var grants: [USDNanos] = []
                for try await granted in group { grants.append(granted) }
                return grants
            }
            let total = grants.reduce(USDNanos.zero, +)
            // 8 × 35 cents asked for, one dollar to share: all of it is granted, and no more.
            #expect(total == Self.dollar)
            let entries = try await store.ledger(budgetID: "b", periodStart: 1_700_000_000)
            #expect(entries.count == 8)
            #expect(entries.reduce(USDNanos.zero) { $0 + $1.granted } == Self.dollar)
        }
    }
}
