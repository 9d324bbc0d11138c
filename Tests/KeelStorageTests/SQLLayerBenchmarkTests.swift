import Foundation
import GRDB
import KeelCore
import KeelStorage
import PostgresNIO
import Testing

@testable import KeelStoragePostgres
@testable import KeelStorageSQLite

/// What the SQL layer costs over the drivers it runs on: the same statement (a budget read by
/// id, and a ledger upsert) through a store written once and through GRDB or PostgresNIO
/// directly, in one process. Not a timed test: it prints µs per operation, median of five runs of
/// 2,000, and runs only with `KEEL_STORAGE_BENCHMARK=1`:
///
///     KEEL_STORAGE_BENCHMARK=1 swift test -c release -Xswiftc -enable-testing --filter SQLLayerBenchmark
@Suite("SQL layer benchmark", .enabled(if: ProcessInfo.processInfo.environment["KEEL_STORAGE_BENCHMARK"] == "1"))
struct SQLLayerBenchmarkTests {
    static let operations = 2_000

    static func median(_ label: String, _ body: () async throws -> Void) async rethrows {
        var runs: [Double] = []
        for _ in 0..<5 {
            let start = ContinuousClock.now
            for _ in 0..<Self.operations { try await body() }
            let elapsed = ContinuousClock.now - start
            runs.append(Double(elapsed.components.attoseconds) / 1e12 / Double(Self.operations) + Double(elapsed.components.seconds) * 1e6 / Double(Self.operations))
        }
        print("sql layer bench: \(label): \(String(format: "%.1f", runs.sorted()[2])) µs/op (median of 5 × \(Self.operations))")
    }

    static let budget = BudgetStoreConformanceTests.budget("bench")

    static func upsert(_ n: Int) -> (String, Int64, Int64) { ("instance-\(n % 4)", Int64(n), 1_700_000_000) }

    @Test func onSQLite() async throws {
        try await withTemporaryDirectory { directory in
            let backend = try await SQLiteBackend.open(path: directory + "/bench.sqlite", logger: .quiet)
            defer { try? backend.close() }
            try await backend.stores.budgets.insertBudget(Self.budget)
            let pool = backend.pool
            let database = backend.stores.database
            try await Self.median("sqlite, budget by id, SQL layer") {
                _ = try await backend.stores.budgets.budget(id: "bench")
            }
            try await Self.median("sqlite, budget by id, GRDB") {
                _ = try await pool.read { db in
                    try Row.fetchOne(
                        db,
                        sql: "SELECT \(SQLBudgetStoreColumns.all) FROM budget WHERE id = ?",
                        arguments: ["bench"]
                    ).map { row in
                        Budget(
                            id: BudgetID(row[0] as String), name: row[1], scopeKind: Budget.ScopeKind(rawValue: row[2])!,
                            scopeValue: row[3], orgID: (row[4] as String?).map { OrgID($0) },
                            teamID: (row[5] as String?).map { TeamID($0) }, period: Budget.Period(rawValue: row[6])!,
                            timeZone: row[7], startsAt: row[8], endsAt: row[9], limit: USDNanos(row[10] as Int64),
                            softLimit: (row[11] as Int64?).map { USDNanos($0) }, createdAt: row[12], updatedAt: row[13]
                        )
                    }
                }
            }
            var n = 0
            try await Self.median("sqlite, ledger upsert, SQL layer") {
                n += 1
                let (instance, spent, now) = Self.upsert(n)
                try await database.run(
                    """
                    INSERT INTO budget_ledger (budget_id, period_start, instance_id, spent_nanos, granted_nanos, heartbeat_at)
                    VALUES (\("bench"), \(Int64(1)), \(instance), \(spent), \(spent), \(now))
                    ON CONFLICT (budget_id, period_start, instance_id) DO UPDATE SET
                    spent_nanos = excluded.spent_nanos, granted_nanos = excluded.granted_nanos, heartbeat_at = excluded.heartbeat_at
                    """
                )
            }
            try await Self.median("sqlite, ledger upsert, GRDB") {
                n += 1
                let (instance, spent, now) = Self.upsert(n)
                try await pool.write { db in
                    try db.execute(
                        sql: """
                            INSERT INTO budget_ledger (budget_id, period_start, instance_id, spent_nanos, granted_nanos, heartbeat_at)
                            VALUES (?, ?, ?, ?, ?, ?)
                            ON CONFLICT (budget_id, period_start, instance_id) DO UPDATE SET
                            spent_nanos = excluded.spent_nanos, granted_nanos = excluded.granted_nanos, heartbeat_at = excluded.heartbeat_at
                            """,
                        arguments: ["bench", 1, instance, spent, spent, now]
                    )
                }
            }
        }
    }

    @Test(.enabled(if: PostgresTestDatabase.url != nil))
    func onPostgreSQL() async throws {
        try await PostgresTestDatabase.withSchema { schema in
            let backend = try await PostgresTestDatabase.open(schema: schema)
            do {
                try await backend.stores.budgets.insertBudget(Self.budget)
                let client = backend.client
                try await Self.median("postgres, budget by id, SQL layer") {
                    _ = try await backend.stores.budgets.budget(id: "bench")
                }
                try await Self.median("postgres, budget by id, PostgresNIO") {
                    let rows = try await client.query(
                        "SELECT \(unescaped: SQLBudgetStoreColumns.all) FROM budget WHERE id = \("bench")",
                        logger: PostgresBackend.quietLogger
                    )
                    typealias BudgetRow = (
                        String, String, String, String, String?, String?, String, String, Int64?, Int64?, Int64, Int64?, Int64, Int64
                    )
                    for try await row in rows.decode(BudgetRow.self) {
                        _ = Budget(
                            id: BudgetID(row.0), name: row.1, scopeKind: Budget.ScopeKind(rawValue: row.2)!, scopeValue: row.3,
                            orgID: row.4.map { OrgID($0) }, teamID: row.5.map { TeamID($0) }, period: Budget.Period(rawValue: row.6)!,
                            timeZone: row.7, startsAt: row.8, endsAt: row.9, limit: USDNanos(row.10), softLimit: row.11.map { USDNanos($0) },
                            createdAt: row.12, updatedAt: row.13
                        )
                    }
                }
                await backend.shutdown()
            } catch {
                await backend.shutdown()
                throw error
            }
        }
    }
}

/// The budget columns, as the store reads them.
enum SQLBudgetStoreColumns {
    static let all =
        "id, name, scope_kind, scope_value, org_id, team_id, period, time_zone, starts_at, ends_at, limit_nanos, soft_limit_nanos, created_at, updated_at"
}
