import Foundation
import GRDB
import KeelCore
import KeelStorage
import Testing

@testable import KeelStorageSQLite

@Suite("SQLite schema and migrations")
struct SQLiteSchemaTests {
    @Test func migrationIDsAreUniqueIncreasingAndNumbered() {
        let ids = KeelSchema.migrations(for: .sqlite).map(\.id)
        #expect(!ids.isEmpty)
        #expect(Set(ids).count == ids.count)
        #expect(ids == ids.sorted())
        for (index, id) in ids.enumerated() {
            #expect(id.hasPrefix(String(format: "%04d_", index + 1)), "\(id)")
        }
    }

    @Test func aNewDatabaseHasTheExpectedTablesColumnsAndIndexes() async throws {
        try await withTemporaryDirectory { directory in
            let backend = try await SQLiteBackend.open(path: directory + "/nested/dirs/keel.sqlite", logger: .quiet)
            defer { try? backend.close() }
            let (tables, columns, indexes) = try await backend.pool.read { db in
                let tables = try String.fetchAll(
                    db,
                    sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
                )
                var columns: [String: [String]] = [:]
                for table in tables {
                    columns[table] = try Row.fetchAll(
                        db,
                        sql: "SELECT name FROM pragma_table_info(?)",
                        arguments: [table]
                    )
                    .map { $0["name"] as String }
                }
                let indexes = try String.fetchAll(
                    db,
                    sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
                )
                return (tables, columns, indexes)
            }
            #expect(
                tables == [
                    "agent", "agent_hold", "agent_tool_pin", "agent_version", "audit_checkpoint", "audit_entry",
                    "audit_head",
                    "audit_node", "audit_salt",
                    "audit_signer_lease",
                    "body_key", "budget", "budget_ledger", "cost_rollup", "cost_rollup_tag", "escalation", "incident",
                    "incident_action", "incident_detection", "incident_event", "incident_record", "org",
                    "playbook", "policy",
                    "policy_probe_result", "project",
                    "rate_limit_lease", "rate_limit_rule", "rate_limit_window", "request_body", "request_record",
                    "route_override",
                    "schema_migration", "setting",
                    "task", "team", "user_account", "virtual_key",
                ]
            )
            #expect(
                columns["request_record"] == [
                    "id", "started_at", "operation", "key_id", "team_id", "project_id", "user_id", "requested_model",
                    "model", "provider", "deployment", "stream", "status", "outcome", "error_class", "attempts",
                    "ttft_us", "upstream_us", "total_us", "input_tokens", "output_tokens", "cached_input_tokens",
                    "cache_write_tokens", "cache_write_1h_tokens", "reasoning_tokens", "cost_nanos", "attempt_log",
                    "web_search_requests",
                    "org_id", "tags", "cache_hit", "cache_saved_nanos", "features", "prompt_prefix_hash",
                    "agent_id", "task_id", "task_outcome", "usage_estimated", "guard_verdict", "tool_name",
                ]
            )
            #expect(
                columns["virtual_key"] == [
                    "id", "hash", "prefix", "name", "team_id", "project_id", "user_id", "models", "created_at",
                    "expires_at", "revoked_at", "org_id", "role", "tags", "agent_id", "suspended_at",
                ]
            )
            #expect(columns["org"] == ["id", "name", "created_at", "updated_at"])
            #expect(columns["team"] == ["id", "org_id", "name", "created_at", "updated_at"])
            #expect(columns["project"] == ["id", "team_id", "name", "created_at", "updated_at"])
            #expect(
                columns["user_account"] == [
                    "id", "org_id", "name", "email", "default_team_id", "created_at", "updated_at",
                ]
            )
            #expect(columns["setting"] == ["name", "value"])
            #expect(
                columns["task"] == [
                    "id", "agent_id", "pool", "agent_version", "org_id", "team_id", "key_id", "state", "outcome",
                    "reason",
                    "priority", "input", "metadata", "budget", "attempts", "max_attempts", "worker", "lease_until",
                    "parent_id", "depth", "created_at", "started_at", "ended_at", "last_activity_at", "updated_at",
                    "escalations",
                ]
            )
            #expect(columns["schema_migration"] == ["id", "applied_at"])
            #expect(
                columns["audit_entry"] == [
                    "idx", "instance_id", "seq", "kind", "time_us", "request_id", "entry", "digest_salt_id",
                    "prompt_digest", "answer_digest",
                ]
            )
            #expect(columns["audit_node"] == ["level", "idx", "hash"])
            #expect(
                columns["incident"] == [
                    "id", "category", "severity", "state", "grouping_key", "org_id", "team_id", "key_id", "agent_id",
                    "model", "provider", "title", "owner", "detections", "escalation_level", "clocks", "evidence",
                    "review", "opened_at", "acknowledged_at", "contained_at", "resolved_at", "closed_at", "updated_at",
                ]
            )
            #expect(
                indexes == [
                    "agent_team", "audit_entry_request", "audit_entry_time", "audit_salt_org", "escalation_call",
                    "escalation_state", "incident_action_due", "incident_open", "incident_opened",
                    "incident_record_request",
                    "request_body_org_time",
                    "request_record_key_started_at",
                    "request_record_model_started_at", "request_record_org_started_at",
                    "request_record_started_at", "request_record_task_started_at",
                    "request_record_team_started_at", "task_agent", "task_queue", "user_account_default_team",
                    "user_account_org", "virtual_key_team",
                ]
            )
        }
    }

    @Test func reopeningADatabaseKeepsItsDataAndDoesNotRerunMigrations() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/keel.sqlite"
            let first = try await SQLiteBackend.open(path: path, logger: .quiet)
            try await first.stores.requests.append([.fixture("kept", at: 1)])
            let appliedBefore = try await Self.appliedMigrationRows(first)
            // A second process (say `keel migrate`) opening the file while the server runs.
            let concurrent = try await SQLiteBackend.open(path: path, logger: .quiet)
            try concurrent.close()
            try first.close()

            let reopened = try await SQLiteBackend.open(path: path, logger: .quiet)
            defer { try? reopened.close() }
            #expect(try await reopened.appliedMigrations() == KeelSchema.migrations(for: .sqlite).map(\.id))
            #expect(try await Self.appliedMigrationRows(reopened) == appliedBefore)
            #expect(try await reopened.stores.requests.records(matching: .init()).map(\.id) == ["kept"])
        }
    }

    @Test func aDatabaseMigratedByANewerKeelIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/keel.sqlite"
            let backend = try await SQLiteBackend.open(path: path, logger: .quiet)
            try await backend.pool.write { db in
                try db.execute(sql: "INSERT INTO schema_migration (id, applied_at) VALUES ('9999_future', 0)")
            }
            try backend.close()
            await #expect {
                _ = try await SQLiteBackend.open(path: path, logger: .quiet)
            } throws: { error in
                (error as? StorageError)?.code == .newerSchema
            }
        }
    }

    @Test func aFailingMigrationIsRolledBackAndStopsTheRun() async throws {
        let migrations = [
            SchemaMigration(id: "0001_one", sql: "CREATE TABLE one (x INTEGER);"),
            SchemaMigration(id: "0002_two", sql: "CREATE TABLE two (x INTEGER); INSERT INTO missing VALUES (1);"),
            SchemaMigration(id: "0003_three", sql: "CREATE TABLE three (x INTEGER);"),
        ]
        try await withTemporaryDirectory { directory in
            let pool = try DatabasePool(path: directory + "/migrations.sqlite")
            defer { try? pool.close() }
            await #expect(throws: DatabaseError.self) {
                _ = try await SQLiteMigrator(migrations: migrations).migrate(pool, logger: .quiet)
            }
            let tables = try await pool.read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            }
            #expect(tables == ["one", "schema_migration"])
            #expect(try await SQLiteMigrator.appliedMigrationIDs(pool) == ["0001_one"])
        }
    }

    @Test func connectionsUseWALNormalSynchronousForeignKeysAndABusyTimeout() async throws {
        try await withTemporaryDirectory { directory in
            let backend = try await SQLiteBackend.open(path: directory + "/keel.sqlite", logger: .quiet)
            defer { try? backend.close() }
            let pragmas = """
                SELECT journal_mode || ',' || synchronous || ',' || foreign_keys || ',' || timeout
                FROM pragma_journal_mode, pragma_synchronous, pragma_foreign_keys, pragma_busy_timeout
                """
            let writer = try await backend.pool.write { db in try String.fetchOne(db, sql: pragmas) }
            let reader = try await backend.pool.read { db in try String.fetchOne(db, sql: pragmas) }
            // WAL, synchronous NORMAL (1), foreign keys on and the configured 5 s busy timeout on the
            // writer; GRDB gives read-only connections a busy timeout of its own (10 s).
            #expect(writer == "wal,1,1,5000")
            #expect(reader?.hasPrefix("wal,1,1,") == true)
            #expect(reader != "wal,1,1,0")
            try await backend.stores.ping()
        }
    }

    @Test(arguments: [
        ("no filter", RequestRecordQuery(), "request_record_started_at"),
        (
            "window and cursor", RequestRecordQuery(from: 1, to: 9, before: .init(startedAt: 5, id: "x")),
            "request_record_started_at"
        ),
        (
            "key and cursor", RequestRecordQuery(keyID: "k", before: .init(startedAt: 5, id: "x")),
            "request_record_key_started_at"
        ),
        ("team and window", RequestRecordQuery(teamID: "t", from: 1, to: 9), "request_record_team_started_at"),
        ("unindexed filter in a window", RequestRecordQuery(userID: "u", from: 1, to: 9), "request_record_started_at"),
        (
            "model and cursor", RequestRecordQuery(model: "m", before: .init(startedAt: 5, id: "x")),
            "request_record_model_started_at"
        ),
    ])
    func anIndexedFilterReadsItsPageFromTheIndexWithoutSorting(
        name: String,
        query: RequestRecordQuery,
        index: String
    ) async throws {
        try await withTemporaryDirectory { directory in
            let backend = try await SQLiteBackend.open(path: directory + "/keel.sqlite", logger: .quiet)
            defer { try? backend.close() }
            let (sql, arguments) = query.sqliteSelect()
            let plan = try await backend.pool.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map {
                    $0["detail"] as String
                }
            }
            let details = plan.joined(separator: " | ")
            #expect(details.split(separator: " ").contains { $0 == index }, "\(name): \(details)")
            #expect(!details.contains("TEMP B-TREE"), "\(name): \(details)")
        }
    }

    private static func appliedMigrationRows(_ backend: SQLiteBackend) async throws -> [[String]] {
        try await backend.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, applied_at FROM schema_migration ORDER BY id")
                .map { [$0["id"], String($0["applied_at"] as Int64)] }
        }
    }
}

extension RequestRecordQuery {
    /// ``pageStatement`` as SQLite runs it, for the tests that read its query plan.
    func sqliteSelect() -> (sql: String, arguments: StatementArguments) {
        let (sql, values) = self.pageStatement.rendered(for: .sqlite)
        let arguments: [DatabaseValue] = values.map { value in
            switch value {
            case .null: .null
            case .int(let number): number.databaseValue
            case .double(let number): number.databaseValue
            case .text(let text): text.databaseValue
            case .bool(let flag): (flag ? 1 as Int64 : 0).databaseValue
            case .blob(let bytes): Data(bytes).databaseValue
            }
        }
        return (sql, StatementArguments(arguments))
    }
}
