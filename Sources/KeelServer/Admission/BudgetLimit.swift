import HTTPTypes
import KeelCore
import KeelOps
import KeelStorage
import Logging
import Synchronization

/// Budgets that hold: every request reserves its worst-case cost against each budget that
/// covers it before it is sent, and the reservation is replaced by the real cost when it ends.
///
/// A request is refused when, for one of its budgets, spent + reserved + its own reservation
/// would exceed the limit. The counters live in memory; the database holds each instance's
/// share of each budget period (``BudgetStore``). An instance takes a share in slices: a request
/// that does not fit the share in hand asks the store for its reservation plus a slice, and the
/// store never grants more than the limit minus what the other instances hold. Every
/// `flushInterval` the instance writes what it spent and gives back what it holds beyond spent
/// plus reserved, so an idle instance holds nothing. With one instance this is exactly the rule
/// above; with several, a request may be refused while another instance holds an unused slice.
final class BudgetLimit: AdmissionLimit {
    struct Settings: Sendable {
        /// The slice taken beyond a request's reservation, as a fraction of the limit.
        var sliceFraction: Double = 0.05
        /// How often the instance writes its spend and gives back unused shares.
        var flushInterval: Duration = .seconds(1)
        /// An instance whose entry is older than this is gone: its unspent share returns.
        var leaseTTL: Duration = .seconds(15)
    }

    /// This instance's counters for one budget period.
    private struct Account {
        /// The budget's limit as last seen (a change through the admin API applies at once).
        var limit: USDNanos
        /// The share this instance holds in the ledger.
        var granted = USDNanos.zero
        /// Settled cost of this instance's requests in the period.
        var spent = USDNanos.zero
        /// Worst-case cost of its requests in flight.
        var reserved = USDNanos.zero
        /// What the ledger holds as this instance's spend.
        var flushedSpent = USDNanos.zero
        var flushedGranted = USDNanos.zero
    }

    let store: any BudgetStore
    let instanceID: String
    let settings: Settings
    private let logger: Logger
    private let rules = Mutex<[BudgetRule]>([])
    private let accounts = Mutex<[BudgetPeriodKey: Account]>([:])
    /// Serialises the instance's ledger writes (leases and flushes).
    private let ledgerLock = AsyncLock()

    init(store: any BudgetStore, instanceID: String, settings: Settings = Settings(), logger: Logger) {
        self.store = store
        self.instanceID = instanceID
        self.settings = settings
        self.logger = logger
    }

    /// Reads the budgets from the store: at start, after an admin change, and on every flush
    /// (so changes made through another instance arrive within a flush interval).
    func reload() async throws {
        let budgets = try await self.store.budgets()
        let old = self.rules.withLock { $0 }
        let rules = budgets.map { budget in
            // Keep a rule (and its cached period) when the budget is unchanged.
            old.first { $0.budget == budget } ?? BudgetRule(budget)
        }
        self.rules.withLock { $0 = rules }
    }

    var currentRules: [BudgetRule] { self.rules.withLock { $0 } }

    // MARK: Admission

    func admit(_ demand: AdmissionDemand) async throws(KeelError) -> (any AdmissionHold)? {
        let seconds = demand.now / 1_000_000
        var covering: [(rule: BudgetRule, key: BudgetPeriodKey)] = []
        for rule in self.rules.withLock({ $0 }) where rule.covers(demand.record) {
            guard let period = rule.period(at: seconds) else { continue }
            covering.append((rule, BudgetPeriodKey(budget: rule.id, periodStart: period.start)))
        }
        guard !covering.isEmpty else { return nil }
        let hold = BudgetHold(limit: self, outputCost: demand.outputCost, reservedOutputTokens: demand.outputTokens)
        let worstCase = demand.worstCaseCost
        for (rule, key) in covering {
            if let refusal = await self.reserve(worstCase, on: key, rule: rule) {
                self.release(hold.reservations)
                throw refusal
            }
            hold.add(key: key, rule: rule, amount: worstCase)
        }
        return hold
    }

    /// Reserves `amount` on the account of `key`, leasing more from the store when the share in
    /// hand is short; the refusal when even the store has no room.
    fileprivate func reserve(_ amount: USDNanos, on key: BudgetPeriodKey, rule: BudgetRule) async -> KeelError? {
        if self.tryReserve(amount, on: key, limit: rule.budget.limit) { return nil }
        do {
            try await self.ledgerLock.withLock {
                // Another request may have leased meanwhile.
                if self.tryReserve(amount, on: key, limit: rule.budget.limit) { return }
                let (spent, wanted) = self.accounts.withLock { accounts -> (USDNanos, USDNanos) in
                    let account = accounts[key]!
                    let slice = USDNanos(Int64(Double(account.limit.rawValue) * self.settings.sliceFraction))
                    return (account.spent, account.spent + account.reserved + amount + slice)
                }
                let grant = try await self.store.lease(self.leaseRequest(key, spent: spent, wanted: wanted, limit: rule.budget.limit))
                self.accounts.withLock { accounts in
                    accounts[key]!.granted = max(accounts[key]!.granted, grant.granted)
                    accounts[key]!.flushedGranted = grant.granted
                    accounts[key]!.flushedSpent = max(accounts[key]!.flushedSpent, spent)
                }
            }
        } catch {
            // Without the ledger the share in hand is all there is.
            self.logger.warning("Budget ledger unavailable", metadata: ["budget": "\(key.budget)", "error": "\(error)"])
        }
        if self.tryReserve(amount, on: key, limit: rule.budget.limit) { return nil }
        return self.refusal(rule, key: key, amount: amount)
    }

    private func tryReserve(_ amount: USDNanos, on key: BudgetPeriodKey, limit: USDNanos) -> Bool {
        self.accounts.withLock { accounts in
            var account = accounts[key] ?? Account(limit: limit)
            account.limit = limit
            defer { accounts[key] = account }
            // The share in hand may predate a lowered limit: the budget's limit bounds it too.
            guard account.spent + account.reserved + amount <= min(account.granted, limit) else { return false }
            account.reserved += amount
            return true
        }
    }

    private func refusal(_ rule: BudgetRule, key: BudgetPeriodKey, amount: USDNanos) -> KeelError {
        let budget = rule.budget
        let (spent, reserved) = self.accounts.withLock { ($0[key]?.spent ?? .zero, $0[key]?.reserved ?? .zero) }
        let scope = budget.scopeKind == .tag ? "tag \(budget.scopeValue)" : "\(budget.scopeKind.rawValue) '\(budget.scopeValue)'"
        return .budgetExceeded(
            "Budget '\(budget.name)' (\(budget.id), \(scope), \(budget.period.rawValue)) would be exceeded: limit \(budget.limit), "
                + "spent \(spent) and reserved \(reserved) here, this request needs up to \(amount)."
        )
    }

    fileprivate func release(_ reservations: [BudgetHold.Reservation]) {
        self.accounts.withLock { accounts in
            for reservation in reservations {
                accounts[reservation.key]?.reserved -= reservation.amount
            }
        }
    }

    /// Replaces the reservations with `cost`, the request's real cost.
    fileprivate func settle(_ reservations: [BudgetHold.Reservation], cost: USDNanos) {
        self.accounts.withLock { accounts in
            for reservation in reservations {
                accounts[reservation.key]?.reserved -= reservation.amount
                accounts[reservation.key]?.spent += cost
            }
        }
    }

    // MARK: Ledger

    private func leaseRequest(_ key: BudgetPeriodKey, spent: USDNanos, wanted: USDNanos, limit: USDNanos) -> BudgetLeaseRequest {
        let now = WallClock.unixMicros()
        return BudgetLeaseRequest(
            budgetID: key.budget,
            periodStart: key.periodStart,
            instanceID: self.instanceID,
            spent: spent,
            wanted: wanted,
            limit: limit,
            now: now,
            liveSince: now - self.settings.leaseTTL.microseconds
        )
    }

    /// Writes each account's spend and gives back the share beyond spent plus reserved. The local
    /// share shrinks first, so no request reserves against what is being given back.
    func flush() async {
        await self.ledgerLock.withLock {
            let pending = self.accounts.withLock { accounts -> [(BudgetPeriodKey, USDNanos, USDNanos, USDNanos)] in
                var pending: [(BudgetPeriodKey, USDNanos, USDNanos, USDNanos)] = []
                for (key, account) in accounts {
                    let wanted = account.spent + account.reserved
                    // With requests in flight the entry is written every time: its heartbeat keeps
                    // their share from being taken as a gone instance's.
                    guard account.spent != account.flushedSpent || wanted != account.flushedGranted || account.reserved > .zero else { continue }
                    accounts[key]!.granted = min(account.granted, wanted)
                    pending.append((key, account.spent, wanted, account.limit))
                }
                return pending
            }
            for (key, spent, wanted, limit) in pending {
                do {
                    let grant = try await self.store.lease(self.leaseRequest(key, spent: spent, wanted: wanted, limit: limit))
                    self.accounts.withLock { accounts in
                        accounts[key]?.flushedSpent = spent
                        accounts[key]?.flushedGranted = grant.granted
                    }
                } catch {
                    self.logger.warning("Budget ledger flush failed", metadata: ["budget": "\(key.budget)", "error": "\(error)"])
                }
            }
            // Periods that ended and hold nothing in flight are done.
            let now = WallClock.unixMicros() / 1_000_000
            let rules = self.rules.withLock { $0 }
            self.accounts.withLock { accounts in
                accounts = accounts.filter { key, account in
                    guard account.reserved == .zero, account.spent == account.flushedSpent else { return true }
                    guard let rule = rules.first(where: { $0.id == key.budget }) else { return false }
                    return rule.period(at: now)?.start == key.periodStart
                }
            }
        }
    }
}

/// One period of one budget: the key of an instance's counters and of the ledger.
struct BudgetPeriodKey: Hashable, Sendable {
    let budget: BudgetID
    let periodStart: Int64
}

/// A request's reservations on its budgets.
final class BudgetHold: AdmissionHold {
    struct Reservation: Sendable {
        let key: BudgetPeriodKey
        let rule: BudgetRule
        var amount: USDNanos
    }

    private let limit: BudgetLimit
    private let outputCost: @Sendable (Int) -> USDNanos
    private let state: Mutex<(reservations: [Reservation], outputTokens: Int)>

    fileprivate init(limit: BudgetLimit, outputCost: @escaping @Sendable (Int) -> USDNanos, reservedOutputTokens: Int) {
        self.limit = limit
        self.outputCost = outputCost
        self.state = Mutex(([], reservedOutputTokens))
    }

    var reservations: [Reservation] { self.state.withLock { $0.reservations } }

    fileprivate func add(key: BudgetPeriodKey, rule: BudgetRule, amount: USDNanos) {
        self.state.withLock { $0.reservations.append(Reservation(key: key, rule: rule, amount: amount)) }
    }

    func addHeaders(to headers: inout HTTPFields) {}

    func extend(toOutputTokens outputTokens: Int) async -> KeelError? {
        let (reservations, current) = self.state.withLock { ($0.reservations, $0.outputTokens) }
        guard outputTokens > current else { return nil }
        let extra = self.outputCost(outputTokens) - self.outputCost(current)
        guard extra > .zero else { return nil }
        var taken: [Reservation] = []
        for reservation in reservations {
            if let refusal = await self.limit.reserve(extra, on: reservation.key, rule: reservation.rule) {
                self.limit.release(taken.map { Reservation(key: $0.key, rule: $0.rule, amount: extra) })
                return refusal
            }
            taken.append(reservation)
        }
        self.state.withLock { state in
            for index in state.reservations.indices { state.reservations[index].amount += extra }
            state.outputTokens = outputTokens
        }
        return nil
    }

    func settle(_ record: RequestRecord) async {
        // A stream cut before the upstream reported its usage carries the gateway's estimate
        // (`usageEstimated`), which is charged like a report. One with no usage at all (nothing
        // generated, nothing reported) has an unknown real cost: it is charged its reservation,
        // the most it can have cost.
        let unknown = record.outcome == .interrupted && record.usage.totalTokens == 0
        let reservations = self.reservations
        self.limit.settle(reservations, cost: unknown ? (reservations.map(\.amount).max() ?? .zero) : record.cost)
    }
}
