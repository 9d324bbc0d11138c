import KeelCore

/// Budgets in the `budget` table and their ledger in `budget_ledger`, on either backend.
///
/// A lease is one transaction holding the lock of its budget period (`budget:<id>:<period>`),
/// so leases of one period, from any instance, run one at a time and each sees the others'
/// committed entries.
struct SQLBudgetStore: BudgetStore {
    let database: any SQLDatabase

    static let columns =
        "id, name, scope_kind, scope_value, org_id, team_id, period, time_zone, starts_at, ends_at, limit_nanos, soft_limit_nanos, created_at, updated_at"

    func insertBudget(_ budget: Budget) async throws {
        try await self.database.run(
            """
            INSERT INTO budget (\(raw: Self.columns)) VALUES (\(budget.id), \(budget.name), \(budget.scopeKind),
            \(budget.scopeValue), \(budget.orgID), \(budget.teamID), \(budget.period), \(budget.timeZone), \(budget.startsAt),
            \(budget.endsAt), \(budget.limit), \(budget.softLimit), \(budget.createdAt), \(budget.updatedAt))
            """
        )
    }

    func budget(id: BudgetID) async throws -> Budget? {
        try await self.database.row("SELECT \(raw: Self.columns) FROM budget WHERE id = \(id)", Self.budget(from:))
    }

    func budgets() async throws -> [Budget] {
        try await self.database.rows("SELECT \(raw: Self.columns) FROM budget ORDER BY id", Self.budget(from:))
    }

    func updateBudget(_ budget: Budget) async throws -> Bool {
        try await self.database.run(
            """
            UPDATE budget SET name = \(budget.name), scope_kind = \(budget.scopeKind), scope_value = \(budget.scopeValue),
            org_id = \(budget.orgID), team_id = \(budget.teamID), period = \(budget.period), time_zone = \(budget.timeZone),
            starts_at = \(budget.startsAt), ends_at = \(budget.endsAt), limit_nanos = \(budget.limit),
            soft_limit_nanos = \(budget.softLimit), updated_at = \(budget.updatedAt)
            WHERE id = \(budget.id)
            """
        ) > 0
    }

    func deleteBudget(id: BudgetID) async throws -> Bool {
        try await self.database.transaction { tx in
            try await tx.run("DELETE FROM budget_ledger WHERE budget_id = \(id)")
            return try await tx.run("DELETE FROM budget WHERE id = \(id)") > 0
        }
    }

    func lease(_ request: BudgetLeaseRequest) async throws -> BudgetLeaseGrant {
        try await self.database.transaction { tx in
            try await tx.lock("budget:\(request.budgetID.rawValue):\(request.periodStart)")
            let entries = try await Self.entries(tx, budgetID: request.budgetID, periodStart: request.periodStart)
            let own = entries.first { $0.instanceID == request.instanceID }
            var request = request
            request.spent = max(request.spent, own?.spent ?? .zero)
            let grant = request.grant(others: entries.filter { $0.instanceID != request.instanceID })
            try await tx.run(
                """
                INSERT INTO budget_ledger (budget_id, period_start, instance_id, spent_nanos, granted_nanos, heartbeat_at)
                VALUES (\(request.budgetID), \(request.periodStart), \(request.instanceID), \(request.spent),
                \(grant.granted), \(request.now))
                ON CONFLICT (budget_id, period_start, instance_id) DO UPDATE SET
                spent_nanos = excluded.spent_nanos, granted_nanos = excluded.granted_nanos, heartbeat_at = excluded.heartbeat_at
                """
            )
            return grant
        }
    }

    func ledger(budgetID: BudgetID, periodStart: Int64) async throws -> [BudgetLedgerEntry] {
        try await Self.entries(self.database, budgetID: budgetID, periodStart: periodStart)
    }

    private static func entries(_ db: any SQLExecutor, budgetID: BudgetID, periodStart: Int64) async throws -> [BudgetLedgerEntry] {
        try await db.rows(
            """
            SELECT instance_id, spent_nanos, granted_nanos, heartbeat_at FROM budget_ledger
            WHERE budget_id = \(budgetID) AND period_start = \(periodStart) ORDER BY instance_id
            """
        ) { row in
            BudgetLedgerEntry(
                instanceID: try row.decode("instance_id"),
                spent: try row.decode("spent_nanos"),
                granted: try row.decode("granted_nanos"),
                heartbeatAt: try row.decode("heartbeat_at")
            )
        }
    }

    private static func budget(from row: SQLRow) throws -> Budget {
        Budget(
            id: try row.decode("id"),
            name: try row.decode("name"),
            scopeKind: try row.decode("scope_kind"),
            scopeValue: try row.decode("scope_value"),
            orgID: try row.decode("org_id"),
            teamID: try row.decode("team_id"),
            period: try row.decode("period"),
            timeZone: try row.decode("time_zone"),
            startsAt: try row.decode("starts_at"),
            endsAt: try row.decode("ends_at"),
            limit: try row.decode("limit_nanos"),
            softLimit: try row.decode("soft_limit_nanos"),
            createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at")
        )
    }
}

extension Budget.ScopeKind: SQLBindable, SQLDecodable {}
extension Budget.Period: SQLBindable, SQLDecodable {}
