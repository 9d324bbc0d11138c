public import KeelCore

public enum BudgetTag {}
public typealias BudgetID = Identifier<BudgetTag>

/// A spending limit on one scope of traffic, per period.
///
/// The scope is one organisation, team, project, user or key (by id), or one attribution tag
/// (`key=value`). The period is a calendar cycle (`daily`, `weekly`, `monthly`) in ``timeZone``,
/// or a fixed window from ``startsAt`` to ``endsAt``. Over ``softLimit`` an alert fires; a request
/// whose worst-case cost would take the spend over ``limit`` is refused.
public struct Budget: Sendable, Equatable {
    public enum ScopeKind: String, Sendable, CaseIterable, Codable {
        case org, team, project, user, key, tag
    }

    public enum Period: String, Sendable, CaseIterable, Codable {
        case daily, weekly, monthly, fixed
    }

    public var id: BudgetID
    public var name: String
    public var scopeKind: ScopeKind
    /// The id of the scope, or `key=value` for a tag.
    public var scopeValue: String
    /// Where the budget lives, for authorization: the organisation and team of its scope.
    public var orgID: OrgID?
    public var teamID: TeamID?
    public var period: Period
    /// An IANA time zone name: where calendar periods begin and end.
    public var timeZone: String
    /// Unix seconds; the window of a `fixed` budget (end excluded), `nil` otherwise.
    public var startsAt: Int64?
    public var endsAt: Int64?
    public var limit: USDNanos
    public var softLimit: USDNanos?
    /// Unix microseconds.
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(
        id: BudgetID,
        name: String,
        scopeKind: ScopeKind,
        scopeValue: String,
        orgID: OrgID? = nil,
        teamID: TeamID? = nil,
        period: Period,
        timeZone: String = "UTC",
        startsAt: Int64? = nil,
        endsAt: Int64? = nil,
        limit: USDNanos,
        softLimit: USDNanos? = nil,
        createdAt: Int64,
        updatedAt: Int64
    ) {
        self.id = id
        self.name = name
        self.scopeKind = scopeKind
        self.scopeValue = scopeValue
        self.orgID = orgID
        self.teamID = teamID
        self.period = period
        self.timeZone = timeZone
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.limit = limit
        self.softLimit = softLimit
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One instance's share of one budget period in the ledger.
public struct BudgetLedgerEntry: Sendable, Equatable {
    public var instanceID: String
    /// What the instance's settled requests cost in the period.
    public var spent: USDNanos
    /// What the instance holds of the limit (spent, reserved by requests in flight, and a slice
    /// in hand).
    public var granted: USDNanos
    /// Unix microseconds of the instance's last lease or flush.
    public var heartbeatAt: Int64

    public init(instanceID: String, spent: USDNanos, granted: USDNanos, heartbeatAt: Int64) {
        self.instanceID = instanceID
        self.spent = spent
        self.granted = granted
        self.heartbeatAt = heartbeatAt
    }

    /// What the entry takes from the limit: all it holds while the instance is alive (its
    /// heartbeat is after `liveSince`), only what it spent once it is gone.
    public func held(liveSince: Int64) -> USDNanos {
        self.heartbeatAt >= liveSince ? max(self.spent, self.granted) : self.spent
    }
}

/// A lease request: the instance's spend so far and the share it wants to hold.
public struct BudgetLeaseRequest: Sendable {
    public var budgetID: BudgetID
    /// Unix seconds at which the period begins: the ledger's key with the budget.
    public var periodStart: Int64
    public var instanceID: String
    /// The instance's spend in the period (it only grows).
    public var spent: USDNanos
    /// The share the instance wants to hold in total (more to take a slice, less to give back).
    public var wanted: USDNanos
    public var limit: USDNanos
    /// Unix microseconds.
    public var now: Int64
    /// Entries whose heartbeat is older than this (Unix microseconds) are gone.
    public var liveSince: Int64

    public init(budgetID: BudgetID, periodStart: Int64, instanceID: String, spent: USDNanos, wanted: USDNanos, limit: USDNanos, now: Int64, liveSince: Int64) {
        self.budgetID = budgetID
        self.periodStart = periodStart
        self.instanceID = instanceID
        self.spent = spent
        self.wanted = wanted
        self.limit = limit
        self.now = now
        self.liveSince = liveSince
    }
}

/// What a lease gave.
public struct BudgetLeaseGrant: Sendable, Equatable {
    /// The share the instance now holds: `wanted`, or less when the others hold the rest.
    public var granted: USDNanos
    /// What the other instances hold or spent in the period.
    public var othersHeld: USDNanos

    public init(granted: USDNanos, othersHeld: USDNanos) {
        self.granted = granted
        self.othersHeld = othersHeld
    }
}

/// Budgets and their ledger: what each gateway instance spent and holds of each budget period.
///
/// - **Leases are serialised per budget period** (a transaction that reads every entry of the
///   period and writes the caller's), so the shares the instances hold never add up past the
///   limit: the caller gets `min(wanted, limit − othersHeld)`, but never less than it spent.
/// - The caller's entry is written with `spent` (monotonic: the larger of stored and given),
///   the granted share and `now` as heartbeat.
/// - Deleting a budget deletes its ledger.
public protocol BudgetStore: Sendable {
    func insertBudget(_ budget: Budget) async throws
    func budget(id: BudgetID) async throws -> Budget?
    /// Every budget, in id order.
    func budgets() async throws -> [Budget]
    /// Replaces everything but id and `createdAt`; `false` when no such budget exists.
    func updateBudget(_ budget: Budget) async throws -> Bool
    func deleteBudget(id: BudgetID) async throws -> Bool

    /// Takes or gives back a share of a budget period for one instance (see the type's rules).
    func lease(_ request: BudgetLeaseRequest) async throws -> BudgetLeaseGrant
    /// Every instance's entry of one budget period.
    func ledger(budgetID: BudgetID, periodStart: Int64) async throws -> [BudgetLedgerEntry]
}

extension BudgetLeaseRequest {
    /// The grant for this request given the other instances' entries: the rule every backend
    /// applies inside its transaction.
    public func grant(others: [BudgetLedgerEntry]) -> BudgetLeaseGrant {
        let othersHeld = others.reduce(USDNanos.zero) { $0 + $1.held(liveSince: self.liveSince) }
        let room = self.limit - othersHeld
        let granted = max(self.spent, min(self.wanted, room))
        return BudgetLeaseGrant(granted: granted, othersHeld: othersHeld)
    }
}
