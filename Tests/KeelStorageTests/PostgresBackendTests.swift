import Foundation
import KeelCore
import KeelStorage
import KeelStorageSQLite
import Logging
import NIOPosix
import PostgresNIO
import Testing

@testable import KeelStoragePostgres

@Suite("PostgreSQL backend")
struct PostgresBackendTests {
    static let serverAvailable = PostgresTestDatabase.url != nil

    @Test func theSchemaRendersForEachBackendInItsOwnDialectOnly() {
        let postgres = KeelSchema.migrations(for: .postgres)
        let sqlite = KeelSchema.migrations(for: .sqlite)
        #expect(postgres.map(\.id) == sqlite.map(\.id), "each number means the same change on every backend")
        for migration in postgres {
            for sqliteOnly in [") STRICT", "WITHOUT ROWID", "json_valid", "json_type", "AUTOINCREMENT"] {
                #expect(!migration.sql.contains(sqliteOnly), "\(migration.id) has SQLite's \(sqliteOnly)")
            }
        }
        for migration in sqlite {
            for postgresOnly in ["BIGINT", "BOOLEAN", "JSONB", "jsonb_", "COLLATE"] {
                #expect(!migration.sql.contains(postgresOnly), "\(migration.id) has PostgreSQL's \(postgresOnly)")
            }
        }
        #expect(
            postgres.contains { $0.sql.contains("COLLATE \"C\"") } && sqlite.contains { $0.sql.contains(") STRICT") }
        )
    }

    @Test func aURLWithEveryPartIsRead() throws {
        let url = try PostgresURL(parsing: "postgresql://keel:p%40ss:w%2Frd@db.internal:6543/keel_prod?sslmode=require")
        #expect(url.host == "db.internal")
        #expect(url.port == 6543)
        #expect(url.username == "keel")
        #expect(url.password == "p@ss:w/rd")
        #expect(url.database == "keel_prod")
        #expect(url.tlsMode == .require)
        #expect(url.redacted == "postgres://keel@db.internal:6543/keel_prod")
    }

    @Test func aMinimalURLGetsTheDefaults() throws {
        let url = try PostgresURL(parsing: "postgres://keel@[::1]")
        #expect(url.host == "::1")
        #expect(url.port == 5432)
        #expect(url.password == nil)
        #expect(url.database == nil)
        #expect(url.tlsMode == .prefer)
        #expect(url.redacted == "postgres://keel@[::1]:5432/")
        #expect(try PostgresURL(parsing: "postgres://a:b@c@localhost/x?sslmode=disable").password == "b@c")
    }

    @Test(arguments: [
        "mysql://keel@localhost/keel", "localhost:5432", "postgres://keel@:5432/db", "postgres://localhost/db",
        "postgres://keel@localhost:99999/db", "postgres://keel@localhost/db?sslmode=sometimes",
        "postgres://keel@localhost/db?application=x", "postgres://keel:%zz@localhost/db",
    ])
    func aMalformedURLIsAConfigurationErrorWithoutThePassword(url: String) async throws {
        let error = try #require(throws: StorageError.self) { try PostgresURL(parsing: url) }
        #expect(error.code == .invalidConfiguration)
        #expect(!error.message.contains("%zz"))
        await #expect(throws: StorageError.self) {
            _ = try await PostgresBackend.open(url: url, logger: .quiet)
        }
    }

    @Test func migrationScriptsAreSplitIntoStatementsOutsideQuotesAndComments() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE t (a TEXT DEFAULT 'x;y', "b;c" INT); /* block; /* nested; */ still; */
            INSERT INTO t VALUES ('it''s; fine', 1);
            DO $body$ BEGIN PERFORM 1; END $body$;
            SELECT $1, E'\\'; still a string';
            -- only a comment;
            """
        #expect(
            PostgresStatementSplitter.statements(in: script) == [
                "-- a comment; with a semicolon\nCREATE TABLE t (a TEXT DEFAULT 'x;y', \"b;c\" INT)",
                "/* block; /* nested; */ still; */\nINSERT INTO t VALUES ('it''s; fine', 1)",
                "DO $body$ BEGIN PERFORM 1; END $body$",
                "SELECT $1, E'\\'; still a string'",
            ]
        )
        #expect(PostgresStatementSplitter.statements(in: "SELECT 1") == ["SELECT 1"])
        #expect(PostgresStatementSplitter.statements(in: " ;\n; -- x") == [])
    }

    @Test(.enabled(if: serverAvailable))
    func aNewDatabaseHasTheExpectedTablesColumnsAndIndexes() async throws {
        try await PostgresTestDatabase.withSchema { schema in
            let backend = try await PostgresTestDatabase.open(schema: schema)
            #expect(try await backend.appliedMigrations() == KeelSchema.migrations(for: .postgres).map(\.id))
            let tables = try await Self.strings(
                backend,
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
                schema
            )
            #expect(
                tables == [
                    "agent", "agent_hold", "agent_tool_pin", "agent_version", "audit_checkpoint", "audit_entry",
                    "audit_head",
                    "audit_node", "audit_salt",
                    "audit_signer_lease",
                    "body_key", "budget", "budget_ledger", "cost_rollup", "cost_rollup_tag", "escalation", "incident",
                    "incident_action", "incident_detection", "incident_event", "incident_record", "org", "playbook",
                    "policy",
                    "policy_probe_result", "project",
                    "rate_limit_lease", "rate_limit_rule", "rate_limit_window", "request_body", "request_record",
                    "route_override",
                    "schema_migration", "setting",
                    "task", "team", "user_account", "virtual_key",
                ]
            )
            let columns = try await Self.strings(
                backend,
                """
                SELECT column_name::text FROM information_schema.columns
                WHERE table_schema = $1 AND table_name = 'request_record' ORDER BY ordinal_position
                """,
                schema
            )
            #expect(
                columns == [
                    "id", "started_at", "operation", "key_id", "team_id", "project_id", "user_id", "requested_model",
                    "model", "provider", "deployment", "stream", "status", "outcome", "error_class", "attempts",
                    "ttft_us", "upstream_us", "total_us", "input_tokens", "output_tokens", "cached_input_tokens",
                    "cache_write_tokens", "cache_write_1h_tokens", "reasoning_tokens", "cost_nanos", "attempt_log",
                    "web_search_requests",
                    "org_id", "tags", "cache_hit", "cache_saved_nanos", "features", "prompt_prefix_hash",
                    "agent_id", "task_id", "task_outcome", "usage_estimated", "guard_verdict", "tool_name",
                ]
            )
            let indexes = try await Self.strings(
                backend,
                "SELECT indexname::text FROM pg_indexes WHERE schemaname = $1 AND tablename = 'request_record' ORDER BY 1",
                schema
            )
            #expect(
                indexes == [
                    "request_record_key_started_at", "request_record_model_started_at", "request_record_org_started_at",
                    "request_record_pkey",
                    "request_record_started_at", "request_record_task_started_at", "request_record_team_started_at",
                ]
            )
            // The cursor compares ids in byte order whatever the database's default collation.
            let collations = try await Self.strings(
                backend,
                """
                SELECT table_name::text || '.' || collation_name::text FROM information_schema.columns
                WHERE table_schema = $1 AND column_name = 'id' AND collation_name IS NOT NULL ORDER BY 1
                """,
                schema
            )
            #expect(
                collations == [
                    "agent.C", "budget.C", "org.C", "policy.C", "project.C", "rate_limit_rule.C", "request_record.C",
                    "schema_migration.C", "task.C", "team.C",
                    "user_account.C", "virtual_key.C",
                ]
            )
            await backend.shutdown()
        }
    }

    @Test(.enabled(if: serverAvailable))
    func backendsOpeningTheSameEmptyDatabaseAtOnceAllSucceedAndMigrateOnce() async throws {
        try await PostgresTestDatabase.withSchema { schema in
            let backends = try await withThrowingTaskGroup(of: PostgresBackend.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await PostgresTestDatabase.open(schema: schema) }
                }
                return try await group.reduce(into: [PostgresBackend]()) { $0.append($1) }
            }
            #expect(backends.count == 4)
            let rows = try await Self.strings(
                backends[0],
                "SELECT id FROM schema_migration WHERE $1 <> '' ORDER BY id",
                schema
            )
            #expect(rows == KeelSchema.migrations(for: .postgres).map(\.id))
            try await backends[1].stores.requests.append([.fixture("shared", at: 1)])
            #expect(try await backends[2].stores.requests.records(matching: .init()).map(\.id) == ["shared"])
            for backend in backends { await backend.shutdown() }
        }
    }

    @Test(.enabled(if: serverAvailable))
    func reopeningAMigratedDatabaseAppliesNothingAndKeepsTheData() async throws {
        try await PostgresTestDatabase.withSchema { schema in
            let first = try await PostgresTestDatabase.open(schema: schema)
            try await first.stores.requests.append([.fixture("kept", at: 1)])
            let before = try await Self.strings(
                first,
                "SELECT id || ':' || applied_at FROM schema_migration WHERE $1 <> '' ORDER BY id",
                schema
            )
            await first.shutdown()

            let reopened = try await PostgresTestDatabase.open(schema: schema)
            let after = try await Self.strings(
                reopened,
                "SELECT id || ':' || applied_at FROM schema_migration WHERE $1 <> '' ORDER BY id",
                schema
            )
            #expect(after == before)
            #expect(try await reopened.stores.requests.records(matching: .init()).map(\.id) == ["kept"])
            await reopened.shutdown()
        }
    }

    @Test(.enabled(if: serverAvailable))
    func aDatabaseMigratedByANewerKeelIsRefused() async throws {
        try await PostgresTestDatabase.withSchema { schema in
            let backend = try await PostgresTestDatabase.open(schema: schema)
            try await backend.client.query("INSERT INTO schema_migration (id, applied_at) VALUES ('9999_future', 0)")
            await backend.shutdown()
            let error = try await #require(throws: StorageError.self) {
                _ = try await PostgresTestDatabase.open(schema: schema)
            }
            #expect(error.code == .newerSchema)
            #expect(error.message.contains("9999_future"))
        }
    }

    @Test(.enabled(if: serverAvailable))
    func aFailingMigrationIsRolledBackAndStopsTheRun() async throws {
        let migrations = [
            SchemaMigration(id: "0001_one", sql: "CREATE TABLE one (x INTEGER);"),
            SchemaMigration(id: "0002_two", sql: "CREATE TABLE two (x INTEGER); INSERT INTO missing VALUES (1);"),
            SchemaMigration(id: "0003_three", sql: "CREATE TABLE three (x INTEGER);"),
        ]
        try await PostgresTestDatabase.withSchema { schema in
            try await PostgresTestDatabase.withClient(schema: schema) { client in
                await #expect(throws: PSQLError.self) {
                    try await client.withConnection { connection in
                        _ = try await PostgresMigrator(migrations: migrations)
                            .migrate(connection, schema: schema, logger: .quiet)
                    }
                }
                var tables: [String] = []
                let rows = try await client.query(
                    "SELECT table_name::text FROM information_schema.tables WHERE table_schema = \(schema) ORDER BY 1"
                )
                for try await name in rows.decode(String.self) { tables.append(name) }
                #expect(tables == ["one", "schema_migration"])
                let applied = try await client.withConnection { connection in
                    try await PostgresMigrator.appliedMigrationIDs(connection, logger: .quiet)
                }
                #expect(applied == ["0001_one"])
            }
        }
    }

    @Test(.enabled(if: serverAvailable))
    func anUnreachableServerFailsTheOpenInsteadOfWaiting() async throws {
        let url = try #require(PostgresTestDatabase.url)
        var location = try PostgresURL(parsing: url)
        location.port = 1
        let unreachable = "postgres://\(location.username)@\(location.host):1/db?sslmode=disable"
        let error = await #expect(throws: (any Error).self) {
            _ = try await PostgresBackend.open(
                url: unreachable,
                configuration: .init(connectTimeout: .seconds(2)),
                logger: .quiet
            )
        }
        // The direct connection's refusal, with the server's address and errno, not the pool's
        // give-up after retrying for a minute. (Not timed: under the whole suite on two cores a
        // task waits tens of seconds to be scheduled again, whatever it waited for.)
        let reflected = String(reflecting: error)
        #expect(reflected.contains("Connection refused") && reflected.contains(":1"), "\(reflected)")
    }

    @Test(.enabled(if: serverAvailable))
    func pingAnswersWhileOpenAndFailsAfterShutdown() async throws {
        try await PostgresTestDatabase.withSchema { schema in
            let backend = try await PostgresTestDatabase.open(schema: schema)
            try await backend.stores.ping()
            #expect(backend.stores.backendDescription.hasPrefix("postgres://"))
            await backend.shutdown()
            await #expect(throws: (any Error).self) { try await backend.stores.ping() }
        }
    }

    private static func strings(_ backend: PostgresBackend, _ sql: String, _ schema: String) async throws -> [String] {
        var bindings = PostgresBindings()
        bindings.append(schema)
        let rows = try await backend.client.query(PostgresQuery(unsafeSQL: sql, binds: bindings))
        var values: [String] = []
        for try await value in rows.decode(String.self) { values.append(value) }
        return values
    }
}
