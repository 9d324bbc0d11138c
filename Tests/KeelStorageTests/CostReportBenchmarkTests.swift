import Foundation
import GRDB
import KeelStoragePostgres
import PostgresNIO
import KeelCore
import KeelStorage
import Testing

@testable import KeelStorageSQLite

/// How long a cost report takes over the rollups of 10M requests on SQLite. Not a timed test:
/// it prints the figures, and runs only with `KEEL_COSTS_BENCH=1` (never in CI):
///
///     KEEL_COSTS_BENCH=1 swift test --filter CostReportBenchmarkTests
///
/// It writes the rollups directly (they are what a report reads): 30 days of minute buckets with
/// 100 distinct dimension rows each (20 teams, 10 models, 3 providers, 1,000 keys rotating) and
/// 2–3 requests a row, about 10M requests; the hour and day rollups are summed from them.
@Suite("Cost report benchmark", .enabled(if: ProcessInfo.processInfo.environment["KEEL_COSTS_BENCH"] == "1"))
struct CostReportBenchmarkTests {
    static let columns =
        "(granularity, bucket_start, org_id, team_id, project_id, user_id, key_id, model, provider, requests, errors, "
        + "input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, cost_nanos)"
    static let day0: Int64 = 1_793_491_200

    static let queries: [(String, CostReportQuery)] = [
        ("team,model by day, 30 whole days", CostReportQuery(groupBy: [.team, .model], interval: .day, from: day0, to: day0 + 30 * 86_400)),
        (
            "team,model total, ragged edges (minutes+hours+days)",
            CostReportQuery(groupBy: [.team, .model], interval: .none, from: day0 + 5_400 + 420, to: day0 + 30 * 86_400 - 2_700)
        ),
        ("model by hour, 7 days", CostReportQuery(groupBy: [.model], interval: .hour, from: day0, to: day0 + 7 * 86_400)),
        ("key total, 30 days, one team", CostReportQuery(groupBy: [.key], from: day0, to: day0 + 30 * 86_400, filters: [.team: "team-3"])),
    ]

    static func measure(_ stores: KeelStores, backend: String) async throws {
        for (name, query) in Self.queries {
            _ = try await stores.costs.costReport(query)
            var timings: [Duration] = []
            var rows: [CostReportRow] = []
            for _ in 0..<5 {
                let start = ContinuousClock.now
                rows = try await stores.costs.costReport(query)
                timings.append(ContinuousClock.now - start)
            }
            let requests = rows.reduce(0) { $0 + $1.totals.requests }
            print("cost bench (\(backend)): \(name): \(rows.count) rows, \(requests) requests, median \(timings.sorted()[2]) of 5")
        }
    }

    /// The same rollups on PostgreSQL (runs with `KEEL_COSTS_BENCH=1` and `KEEL_TEST_POSTGRES_URL`).
    @Test(.enabled(if: PostgresTestDatabase.url != nil))
    func aReportOverTheRollupsOf10MRequestsOnPostgreSQL() async throws {
        try await PostgresTestDatabase.withSchema { schema in
            let backend = try await PostgresTestDatabase.open(schema: schema)
            do {
                try await Self.loadAndMeasure(backend, schema: schema)
                await backend.shutdown()
            } catch {
                await backend.shutdown()
                throw error
            }
        }
    }

    static func loadAndMeasure(_ backend: PostgresBackend, schema: String) async throws {
        do {
            let loadStart = ContinuousClock.now
            try await PostgresTestDatabase.withClient(schema: schema) { client in
                _ = try await client.query(
                    PostgresQuery(
                        unsafeSQL: """
                            INSERT INTO cost_rollup \(Self.columns)
                            SELECT 60, \(Self.day0) + m * 60, 'org-' || (kk % 5), 'team-' || (kk % 20), 'project-' || (kk % 40),
                                   'user-' || (kk % 200), 'key-' || kk, 'model-' || (kk % 10), 'provider-' || (kk % 3),
                                   2 + (kk % 3 = 0)::int, (kk % 17 = 0)::int, 300 * (2 + (kk % 3 = 0)::int), 120 * (2 + (kk % 3 = 0)::int),
                                   kk % 50, kk % 7, kk % 11, 1000 + kk * 37
                            FROM (SELECT m, (k + m * 7) % 1000 AS kk FROM generate_series(0, 43199) AS m, generate_series(0, 99) AS k) AS grid
                            """
                    )
                )
                for (granularity, source) in [(3_600, 60), (86_400, 3_600)] {
                    _ = try await client.query(
                        PostgresQuery(
                            unsafeSQL: """
                                INSERT INTO cost_rollup \(Self.columns)
                                SELECT \(granularity), bucket_start - bucket_start % \(granularity), org_id, team_id, project_id, user_id,
                                       key_id, model, provider, SUM(requests), SUM(errors), SUM(input_tokens), SUM(output_tokens),
                                       SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(reasoning_tokens), SUM(cost_nanos)
                                FROM cost_rollup WHERE granularity = \(source)
                                GROUP BY 2, org_id, team_id, project_id, user_id, key_id, model, provider
                                """
                        )
                    )
                }
                _ = try await client.query("ANALYZE cost_rollup")
            }
            print("cost bench (postgres): loaded in \(ContinuousClock.now - loadStart)")
            try await Self.measure(backend.stores, backend: "postgres")
        }
    }

    @Test func aReportOverTheRollupsOf10MRequests() async throws {
        try await withTemporaryDirectory { directory in
            let backend = try await SQLiteBackend.open(path: directory + "/bench.sqlite", logger: .quiet)
            defer { try? backend.close() }
            let day0 = Self.day0
            let loadStart = ContinuousClock.now
            try await backend.pool.write { db in
                try db.execute(
                    sql: """
                        WITH RECURSIVE minute(m) AS (SELECT 0 UNION ALL SELECT m + 1 FROM minute WHERE m + 1 < 43200),
                        row(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM row WHERE k + 1 < 100)
                        INSERT INTO cost_rollup \(Self.columns)
                        SELECT 60, ? + m * 60, 'org-' || (kk % 5), 'team-' || (kk % 20), 'project-' || (kk % 40),
                               'user-' || (kk % 200), 'key-' || kk, 'model-' || (kk % 10), 'provider-' || (kk % 3),
                               2 + (kk % 3 = 0), (kk % 17 = 0), 300 * (2 + (kk % 3 = 0)), 120 * (2 + (kk % 3 = 0)),
                               kk % 50, kk % 7, kk % 11, 1000 + kk * 37
                        FROM (SELECT m, (k + m * 7) % 1000 AS kk FROM minute, row)
                        """, arguments: [day0])
                for (granularity, source) in [(3_600, 60), (86_400, 3_600)] {
                    try db.execute(
                        sql: """
                            INSERT INTO cost_rollup \(Self.columns)
                            SELECT ?, bucket_start - bucket_start % ?, org_id, team_id, project_id, user_id, key_id, model,
                                   provider, SUM(requests), SUM(errors), SUM(input_tokens), SUM(output_tokens),
                                   SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(reasoning_tokens), SUM(cost_nanos)
                            FROM cost_rollup WHERE granularity = ?
                            GROUP BY 2, org_id, team_id, project_id, user_id, key_id, model, provider
                            """, arguments: [granularity, granularity, source])
                }
            }
            let loaded = ContinuousClock.now - loadStart
            let counts = try await backend.pool.read { db in
                try Row.fetchAll(db, sql: "SELECT granularity, COUNT(*), SUM(requests) FROM cost_rollup GROUP BY 1 ORDER BY 1")
                    .map { "\($0[0] as Int64)s: \($0[1] as Int64) rows, \($0[2] as Int64) requests" }
            }
            print("cost bench: loaded in \(loaded): \(counts.joined(separator: "; "))")

            try await Self.measure(backend.stores, backend: "sqlite")
        }
    }
}
