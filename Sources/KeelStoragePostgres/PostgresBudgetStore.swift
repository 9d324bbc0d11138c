import KeelCore
import KeelStorage
import PostgresNIO

/// Budgets in the `budget` table and their ledger in `budget_ledger`.
///
/// A lease is one transaction that first takes a transaction-level advisory lock on the budget
/// period, so leases of one period from any instance run one at a time and each sees the others'
/// committed entries.
struct PostgresBudgetStore: BudgetStore {
    let client: PostgresClient

    static let columns =
        "id, name, scope_kind, scope_value, org_id, team_id, period, time_zone, starts_at, ends_at, limit_nanos, soft_limit_nanos, created_at, updated_at"

    typealias BudgetRow = (
        String, String, String, String, String?, String?, String, String, Int64?, Int64?, Int64, Int64?, Int64, Int64
    )

    func insertBudget(_ budget: Budget) async throws {
        _ = try await self.run {
            try await self.client.query(
                """
                INSERT INTO budget (id, name, scope_kind, scope_value, org_id, team_id, period, time_zone, starts_at, ends_at,
                limit_nanos, soft_limit_nanos, created_at, updated_at) VALUES (\(budget.id.rawValue), \(budget.name),
                \(budget.scopeKind.rawValue), \(budget.scopeValue), \(budget.orgID?.rawValue), \(budget.teamID?.rawValue),
                \(budget.period.rawValue), \(budget.timeZone), \(budget.startsAt), \(budget.endsAt), \(budget.limit.rawValue),
                \(budget.softLimit?.rawValue), \(budget.createdAt), \(budget.updatedAt))
                """,
                logger: PostgresBackend.quietLogger
            )
        }
    }

    func budget(id: BudgetID) async throws -> Budget? {
        try await self.run {
            let rows = try await self.client.query(
                "SELECT \(unescaped: Self.columns) FROM budget WHERE id = \(id.rawValue)",
                logger: PostgresBackend.quietLogger
            )
            for try await row in rows.decode(BudgetRow.self) { return try Self.budget(from: row) }
            return nil
        }
    }

    func budgets() async throws -> [Budget] {
        try await self.run {
            let rows = try await self.client.query("SELECT \(unescaped: Self.columns) FROM budget ORDER BY id", logger: PostgresBackend.quietLogger)
            var budgets: [Budget] = []
            for try await row in rows.decode(BudgetRow.self) { budgets.append(try Self.budget(from: row)) }
            return budgets
        }
    }

    func updateBudget(_ budget: Budget) async throws -> Bool {
        try await self.run {
            let rows = try await self.client.query(
                """
                UPDATE budget SET name = \(budget.name), scope_kind = \(budget.scopeKind.rawValue), scope_value = \(budget.scopeValue),
                org_id = \(budget.orgID?.rawValue), team_id = \(budget.teamID?.rawValue), period = \(budget.period.rawValue),
                time_zone = \(budget.timeZone), starts_at = \(budget.startsAt), ends_at = \(budget.endsAt),
                limit_nanos = \(budget.limit.rawValue), soft_limit_nanos = \(budget.softLimit?.rawValue), updated_at = \(budget.updatedAt)
                WHERE id = \(budget.id.rawValue) RETURNING id
                """,
                logger: PostgresBackend.quietLogger
            )
            for try await _ in rows { return true }
            return false
        }
    }

    func deleteBudget(id: BudgetID) async throws -> Bool {
        try await self.run {
            let rows = try await self.client.query("DELETE FROM budget WHERE id = \(id.rawValue) RETURNING id", logger: PostgresBackend.quietLogger)
            for try await _ in rows { return true }
            return false
        }
    }

    func lease(_ request: BudgetLeaseRequest) async throws -> BudgetLeaseGrant {
        try await self.run {
            try await self.client.withConnection { connection in
                try await PostgresBackend.inTransaction(connection) { connection in
                    let lockKey = "budget:\(request.budgetID.rawValue):\(request.periodStart)"
                    try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(lockKey), 0))", logger: PostgresBackend.quietLogger)
                    let entries = try await Self.entries(connection, budgetID: request.budgetID, periodStart: request.periodStart)
                    let own = entries.first { $0.instanceID == request.instanceID }
                    var request = request
                    request.spent = max(request.spent, own?.spent ?? .zero)
                    let grant = request.grant(others: entries.filter { $0.instanceID != request.instanceID })
                    try await connection.query(
                        """
                        INSERT INTO budget_ledger (budget_id, period_start, instance_id, spent_nanos, granted_nanos, heartbeat_at)
                        VALUES (\(request.budgetID.rawValue), \(request.periodStart), \(request.instanceID), \(request.spent.rawValue),
                        \(grant.granted.rawValue), \(request.now))
                        ON CONFLICT (budget_id, period_start, instance_id) DO UPDATE SET
                        spent_nanos = excluded.spent_nanos, granted_nanos = excluded.granted_nanos, heartbeat_at = excluded.heartbeat_at
                        """,
                        logger: PostgresBackend.quietLogger
                    )
                    return grant
                }
            }
        }
    }

    func ledger(budgetID: BudgetID, periodStart: Int64) async throws -> [BudgetLedgerEntry] {
        try await self.run {
            try await self.client.withConnection { connection in
                try await Self.entries(connection, budgetID: budgetID, periodStart: periodStart)
            }
        }
    }

    private static func entries(_ connection: PostgresConnection, budgetID: BudgetID, periodStart: Int64) async throws -> [BudgetLedgerEntry] {
        let rows = try await connection.query(
            """
            SELECT instance_id, spent_nanos, granted_nanos, heartbeat_at FROM budget_ledger
            WHERE budget_id = \(budgetID.rawValue) AND period_start = \(periodStart) ORDER BY instance_id
            """,
            logger: PostgresBackend.quietLogger
        )
        var entries: [BudgetLedgerEntry] = []
        for try await (instance, spent, granted, heartbeat) in rows.decode((String, Int64, Int64, Int64).self) {
            entries.append(BudgetLedgerEntry(instanceID: instance, spent: USDNanos(spent), granted: USDNanos(granted), heartbeatAt: heartbeat))
        }
        return entries
    }

    private static func budget(from row: BudgetRow) throws -> Budget {
        guard let kind = Budget.ScopeKind(rawValue: row.2) else { throw StorageError.invalidStoredValue(table: "budget", column: "scope_kind") }
        guard let period = Budget.Period(rawValue: row.6) else { throw StorageError.invalidStoredValue(table: "budget", column: "period") }
        return Budget(
            id: BudgetID(row.0),
            name: row.1,
            scopeKind: kind,
            scopeValue: row.3,
            orgID: row.4.map { OrgID($0) },
            teamID: row.5.map { TeamID($0) },
            period: period,
            timeZone: row.7,
            startsAt: row.8,
            endsAt: row.9,
            limit: USDNanos(row.10),
            softLimit: row.11.map { USDNanos($0) },
            createdAt: row.12,
            updatedAt: row.13
        )
    }

    private func run<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch {
            throw StorageError.mappingPostgres(error, table: "budget")
        }
    }
}
