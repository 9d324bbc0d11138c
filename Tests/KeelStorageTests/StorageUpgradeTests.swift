import Foundation
import GRDB
import KeelCore
import KeelStorage
import KeelStorageSQLite
import PostgresNIO
import Testing

@testable import KeelStoragePostgres

/// Databases written by an earlier Keel open with the current code: their pending migrations
/// apply, every store reads what was written, and the upgraded schema is the schema a new
/// database gets.
///
/// The fixtures (`Fixtures/schema-NNNN.*.sql`) are dumps of databases a released `keel serve`
/// wrote through its admin API and data plane (`Fixtures/make-upgrade-fixtures.sh`).
@Suite("Storage upgrades")
struct StorageUpgradeTests {
    static let fixtures = ["schema-0015"]

    static func fixture(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test(arguments: Self.fixtures)
    func anSQLiteDatabaseOfAnEarlierKeelOpensWithEverythingInIt(fixture: String) async throws {
        let dump = try Self.fixture(fixture + ".sqlite.sql")
        try await withTemporaryDirectory { directory in
            let path = directory + "/old.sqlite"
            let old = try DatabaseQueue(path: path)
            try await old.writeWithoutTransaction { db in try db.execute(sql: dump) }
            try old.close()

            let backend = try await SQLiteBackend.open(path: path, logger: .quiet)
            defer { try? backend.close() }
            try await Self.expectFixtureData(backend.stores)

            let fresh = try await SQLiteBackend.open(path: directory + "/fresh.sqlite", logger: .quiet)
            defer { try? fresh.close() }
            #expect(try await backend.appliedMigrations() == fresh.appliedMigrations())
            let upgraded = try await Self.sqliteSchema(backend.stores.database)
            let new = try await Self.sqliteSchema(fresh.stores.database)
            #expect(upgraded == new, "the upgraded schema is a new database's")
            #expect(upgraded.count > 20)
        }
    }

    @Test(arguments: Self.fixtures)
    func aPostgresDatabaseOfAnEarlierKeelOpensWithEverythingInIt(fixture: String) async throws {
        guard PostgresTestDatabase.url != nil else { return }
        let dump = try Self.fixture(fixture + ".postgres.sql")
        try await PostgresTestDatabase.withSchema { schema in
            try await PostgresTestDatabase.withClient { client in
                let sql = dump.replacing("keel_fixture", with: PostgresBackend.quotedIdentifier(schema))
                for statement in PostgresStatementSplitter.statements(in: sql) {
                    try await client.query(PostgresQuery(unsafeSQL: statement))
                }
            }
            let backend = try await PostgresTestDatabase.open(schema: schema)
            do {
                try await Self.expectFixtureData(backend.stores)
                try await PostgresTestDatabase.withSchema { freshSchema in
                    let fresh = try await PostgresTestDatabase.open(schema: freshSchema)
                    let upgraded = try await Self.postgresSchema(backend.stores.database, schema: schema)
                    let new = try await Self.postgresSchema(fresh.stores.database, schema: freshSchema)
                    await fresh.shutdown()
                    #expect(upgraded == new, "the upgraded schema is a new database's")
                    #expect(upgraded.count > 20)
                }
                await backend.shutdown()
            } catch {
                await backend.shutdown()
                throw error
            }
        }
    }

    /// What the fixture script wrote, read back through every store.
    static func expectFixtureData(_ stores: KeelStores) async throws {
        let team = try #require(try await stores.tenancy.team(id: "search"))
        #expect(team.name == "Search" && team.orgID == "acme")
        #expect(try await stores.tenancy.teams(matching: TenancyQuery(orgIDs: ["acme"])).map(\.id) == ["ads", "search"])
        #expect(try await stores.tenancy.project(id: "ranking")?.teamID == "search")
        let user = try #require(try await stores.tenancy.user(id: "ada"))
        #expect(user.email == "ada@example.com" && user.defaultTeamID == "search")
        #expect(try await stores.tenancy.organization(id: "acme")?.name == "Acme")

        let keys = try await stores.keys.allKeys()
        #expect(keys.count == 2)
        let ranker = try #require(keys.first { $0.name == "ranker" })
        #expect(ranker.teamID == "search" && ranker.projectID == "ranking" && ranker.userID == "ada")
        #expect(ranker.tags == ["env": "prod"])
        #expect(keys.first { $0.name == "viewer" }?.role == .viewer)

        let budget = try #require(try await stores.budgets.budget(id: "search-daily"))
        #expect(budget.limit == USDNanos(25_000_000_000) && budget.softLimit == USDNanos(20_000_000_000))
        #expect(budget.scopeKind == .team && budget.period == .daily && budget.timeZone == "Europe/Berlin")
        let rules = try await stores.rateLimits.rules()
        #expect(rules.map(\.id) == ["search-rpm"])
        #expect(rules.first?.requestsPerWindow == 600 && rules.first?.maxConcurrent == 8)

        let records = try await stores.requests.records(matching: RequestRecordQuery(limit: 100))
        #expect(records.count == 7)
        #expect(records.filter { $0.outcome == .success }.count == 6)
        #expect(records.contains { $0.stream && $0.usage.outputTokens > 0 })
        #expect(records.allSatisfy { $0.keyID == ranker.id && $0.teamID == "search" })
        #expect(records.filter { $0.tags["env"] == "prod" }.count == 7)
        let failed = try #require(records.first { $0.outcome != .success })
        #expect(failed.status == 502 && failed.errorClass == "upstream_unavailable" && failed.attempts == 3)
        #expect(try await stores.requests.count(matching: RequestRecordQuery(teamID: "search")) == 7)

        let report = try await stores.costs.costReport(CostReportQuery(groupBy: [.team], from: 0, to: Int64.max / 2_000_000))
        #expect(report.count == 1 && report.first?.dimensions == ["search"])
        #expect(report.first?.totals.requests == 7 && report.first?.totals.errors == 1)
        #expect(report.first?.totals.cost == records.reduce(.zero) { $0 + $1.cost })

        #expect(try await stores.agentTasks.task("task-1")?.outcome == .success)
        #expect(try await stores.agentTasks.task("task-4")?.outcome == .failure)
        #expect(try await stores.agentTasks.task("task-5") == nil)
        #expect(try await stores.agentTasks.totals(ofTask: "task-2", within: nil).requests == 1)
    }

    /// Every table's columns and every index of an SQLite database, as SQLite describes them.
    static func sqliteSchema(_ db: any SQLDatabase) async throws -> [String] {
        var schema: [String] = []
        let tables = try await db.rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ) { try $0.decode("name", as: String.self) }
        for table in tables {
            for column in try await db.rows("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(\(table))") {
                schema.append("\(table).\(column.values)")
            }
            for index in try await db.rows("SELECT name, \"unique\", partial FROM pragma_index_list(\(table)) ORDER BY name") {
                let name = try index.decode("name", as: String.self)
                let columns = try await db.rows("SELECT name FROM pragma_index_xinfo(\(name)) WHERE key = 1 ORDER BY seqno")
                schema.append("\(table) index \(index.values) \(columns.map(\.values))")
            }
        }
        for check in try await db.rows("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name") {
            // CHECK constraints and STRICT live only in the statement's text.
            let sql = try check.decode("sql", as: String.self)
            let checks = sql.components(separatedBy: "CHECK").count - 1
            schema.append("\(try check.decode("name", as: String.self)) checks=\(checks) strict=\(sql.hasSuffix("STRICT"))")
        }
        return schema
    }

    /// Every table's columns, constraints and indexes of a PostgreSQL schema, as the catalog
    /// describes them.
    static func postgresSchema(_ db: any SQLDatabase, schema: String) async throws -> [String] {
        var described: [String] = []
        for column in try await db.rows(
            """
            SELECT table_name, column_name, data_type, is_nullable, column_default, collation_name
            FROM information_schema.columns WHERE table_schema = \(schema) ORDER BY table_name, ordinal_position
            """
        ) {
            described.append("\(column.values)")
        }
        for constraint in try await db.rows(
            """
            SELECT c.conrelid::regclass::text AS table_name, c.conname, pg_get_constraintdef(c.oid) AS definition
            FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
            WHERE n.nspname = \(schema) ORDER BY 1, 2
            """
        ) {
            described.append("\(constraint.values)".replacing(schema, with: "S"))
        }
        for index in try await db.rows(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = \(schema) ORDER BY 1, 2"
        ) {
            described.append("\(index.values)".replacing(schema, with: "S"))
        }
        return described
    }
}
