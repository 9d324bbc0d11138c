import GRDB
import KeelCore
import KeelStorage

/// Budgets in the `budget` table and their ledger in `budget_ledger`.
///
/// A lease is one write transaction: SQLite runs one writer at a time, across processes too, so
/// leases of one period never interleave.
struct SQLiteBudgetStore: BudgetStore {
    let pool: DatabasePool

    static let columns =
        "id, name, scope_kind, scope_value, org_id, team_id, period, time_zone, starts_at, ends_at, limit_nanos, soft_limit_nanos, created_at, updated_at"

    func insertBudget(_ budget: Budget) async throws {
        try await self.write { db in
            try db.execute(sql: "INSERT INTO budget (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", arguments: Self.arguments(budget))
        }
    }

    func budget(id: BudgetID) async throws -> Budget? {
        try await self.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.columns) FROM budget WHERE id = ?", arguments: [id.rawValue]).map(Self.budget(from:))
        }
    }

    func budgets() async throws -> [Budget] {
        try await self.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.columns) FROM budget ORDER BY id").map(Self.budget(from:))
        }
    }

    func updateBudget(_ budget: Budget) async throws -> Bool {
        try await self.write { db in
            let arguments: StatementArguments = [
                budget.name, budget.scopeKind.rawValue, budget.scopeValue, budget.orgID?.rawValue, budget.teamID?.rawValue,
                budget.period.rawValue, budget.timeZone, budget.startsAt, budget.endsAt, budget.limit.rawValue,
                budget.softLimit?.rawValue, budget.updatedAt, budget.id.rawValue,
            ]
            try db.execute(
                sql: """
                    UPDATE budget SET name = ?, scope_kind = ?, scope_value = ?, org_id = ?, team_id = ?, period = ?,
                    time_zone = ?, starts_at = ?, ends_at = ?, limit_nanos = ?, soft_limit_nanos = ?, updated_at = ?
                    WHERE id = ?
                    """,
                arguments: arguments
            )
            return db.changesCount > 0
        }
    }

    func deleteBudget(id: BudgetID) async throws -> Bool {
        try await self.write { db in
            try db.execute(sql: "DELETE FROM budget_ledger WHERE budget_id = ?", arguments: [id.rawValue])
            try db.execute(sql: "DELETE FROM budget WHERE id = ?", arguments: [id.rawValue])
            return db.changesCount > 0
        }
    }

    func lease(_ request: BudgetLeaseRequest) async throws -> BudgetLeaseGrant {
        try await self.write { db in
            let entries = try Self.entries(db, budgetID: request.budgetID, periodStart: request.periodStart)
            let own = entries.first { $0.instanceID == request.instanceID }
            var request = request
            request.spent = max(request.spent, own?.spent ?? .zero)
            let grant = request.grant(others: entries.filter { $0.instanceID != request.instanceID })
            try db.execute(
                sql: """
                    INSERT INTO budget_ledger (budget_id, period_start, instance_id, spent_nanos, granted_nanos, heartbeat_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (budget_id, period_start, instance_id) DO UPDATE SET
                    spent_nanos = excluded.spent_nanos, granted_nanos = excluded.granted_nanos, heartbeat_at = excluded.heartbeat_at
                    """,
                arguments: [
                    request.budgetID.rawValue, request.periodStart, request.instanceID, request.spent.rawValue,
                    grant.granted.rawValue, request.now,
                ]
            )
            return grant
        }
    }

    func ledger(budgetID: BudgetID, periodStart: Int64) async throws -> [BudgetLedgerEntry] {
        try await self.read { db in try Self.entries(db, budgetID: budgetID, periodStart: periodStart) }
    }

    private static func entries(_ db: Database, budgetID: BudgetID, periodStart: Int64) throws -> [BudgetLedgerEntry] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT instance_id, spent_nanos, granted_nanos, heartbeat_at FROM budget_ledger
                WHERE budget_id = ? AND period_start = ? ORDER BY instance_id
                """,
            arguments: [budgetID.rawValue, periodStart]
        ).map { row in
            BudgetLedgerEntry(
                instanceID: row[0],
                spent: USDNanos(row[1] as Int64),
                granted: USDNanos(row[2] as Int64),
                heartbeatAt: row[3]
            )
        }
    }

    private static func arguments(_ budget: Budget) -> StatementArguments {
        [
            budget.id.rawValue, budget.name, budget.scopeKind.rawValue, budget.scopeValue, budget.orgID?.rawValue,
            budget.teamID?.rawValue, budget.period.rawValue, budget.timeZone, budget.startsAt, budget.endsAt,
            budget.limit.rawValue, budget.softLimit?.rawValue, budget.createdAt, budget.updatedAt,
        ]
    }

    private static func budget(from row: Row) throws -> Budget {
        guard let kind = Budget.ScopeKind(rawValue: row[2]) else { throw StorageError.invalidStoredValue(table: "budget", column: "scope_kind") }
        guard let period = Budget.Period(rawValue: row[6]) else { throw StorageError.invalidStoredValue(table: "budget", column: "period") }
        return Budget(
            id: BudgetID(row[0] as String),
            name: row[1],
            scopeKind: kind,
            scopeValue: row[3],
            orgID: (row[4] as String?).map { OrgID($0) },
            teamID: (row[5] as String?).map { TeamID($0) },
            period: period,
            timeZone: row[7],
            startsAt: row[8],
            endsAt: row[9],
            limit: USDNanos(row[10] as Int64),
            softLimit: (row[11] as Int64?).map { USDNanos($0) },
            createdAt: row[12],
            updatedAt: row[13]
        )
    }

    private func read<Result: Sendable>(_ body: @escaping @Sendable (Database) throws -> Result) async throws -> Result {
        do {
            return try await self.pool.read(body)
        } catch {
            throw StorageError.mappingSQLite(error, table: "budget")
        }
    }

    private func write<Result: Sendable>(_ body: @escaping @Sendable (Database) throws -> Result) async throws -> Result {
        do {
            return try await self.pool.write(body)
        } catch {
            throw StorageError.mappingSQLite(error, table: "budget")
        }
    }
}
