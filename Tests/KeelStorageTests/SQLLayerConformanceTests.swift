import KeelCore
import KeelStorage
import Testing

/// The SQL layer the stores are written against, on every backend: values round-trip in every
/// type, interpolated values are parameters and never SQL, writes report what they changed,
/// transactions commit or roll back whole and serialise on a lock, and a refused write is the
/// same ``StorageError`` on both.
@Suite("SQL layer conformance")
struct SQLLayerConformanceTests {
    static let table: SQLStatement = """
        CREATE TABLE sample (
            id      TEXT PRIMARY KEY NOT NULL,
            count   \(sqlite: "INTEGER", postgres: "BIGINT") NOT NULL CHECK (count >= 0),
            ratio   \(sqlite: "REAL", postgres: "DOUBLE PRECISION"),
            flag    BOOLEAN NOT NULL DEFAULT FALSE,
            data    \(sqlite: "BLOB", postgres: "BYTEA"),
            doc     \(sqlite: "TEXT", postgres: "JSONB"),
            note    TEXT
        )
        """

    static func withSample(_ backend: StoreBackend, _ body: (any SQLDatabase) async throws -> Void) async throws {
        try await backend.withStores { stores in
            try await stores.database.run(Self.table)
            try await body(stores.database)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func valuesRoundTripAsParametersNeverAsSQL(backend: StoreBackend) async throws {
        try await Self.withSample(backend) { db in
            let hostile = "x'); DROP TABLE sample; --"
            let bytes: [UInt8] = [0, 1, 254, 255]
            let inserted = try await db.run(
                """
                INSERT INTO sample (id, count, ratio, flag, data, note)
                VALUES (\(hostile), \(Int64.max), \(0.125), \(true), \(bytes), \(SQLValue.null))
                """
            )
            #expect(inserted == 1)
            let row = try #require(try await db.row("SELECT id, count, ratio, flag, data, note FROM sample WHERE id = \(hostile)"))
            #expect(try row.decode("id", as: String.self) == hostile)
            #expect(try row.decode("count", as: Int64.self) == Int64.max)
            #expect(try row.decode("ratio", as: Double.self) == 0.125)
            #expect(try row.decode("flag", as: Bool.self))
            #expect(try row.decode("data", as: [UInt8].self) == bytes)
            #expect(try row.decode("note", as: String?.self) == nil)
            #expect(try row.decode("count", as: USDNanos.self) == USDNanos(Int64.max))

            try await db.run("UPDATE sample SET doc = \(json: #"{"models": ["a", "b"]}"#) WHERE id = \(hostile)")
            let doc = try #require(try await db.row("SELECT doc FROM sample") { try $0.decode("doc", as: String.self) })
            #expect(try JSONValue(parsing: doc) == JSONValue(parsing: #"{"models":["a","b"]}"#), "JSON reads back as its text: \(doc)")

            let ids = try await db.rows("SELECT id FROM sample WHERE id IN (\(list: [hostile, "other"]))") { try $0.decode("id", as: OrgID.self) }
            #expect(ids == [OrgID(hostile)])
            #expect(try await db.rows("SELECT id FROM sample WHERE id IN (\(list: [String]()))").isEmpty, "an empty list matches nothing")
            let total = try #require(try await db.row("SELECT SUM(count) - \(Int64.max) AS total, COUNT(*) AS n FROM sample"))
            #expect(try total.decode("total", as: Int64.self) == 0, "a sum reads as an integer on both")
            #expect(try total.decodeFirst(as: Int.self) == 0)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func writesReportTheRowsTheyChangedAndReturningRowsComeBack(backend: StoreBackend) async throws {
        try await Self.withSample(backend) { db in
            for id in ["a", "b", "c"] {
                try await db.run("INSERT INTO sample (id, count) VALUES (\(id), \(1))")
            }
            #expect(try await db.run("UPDATE sample SET count = count + 1 WHERE id <> \("c")") == 2)
            #expect(try await db.run("DELETE FROM sample WHERE id = \("nobody")") == 0)
            let returned = try await db.rows(
                "UPDATE sample SET note = \("seen") WHERE id = \("c") RETURNING id, count"
            ) { (try $0.decode("id", as: String.self), try $0.decode("count", as: Int.self)) }
            #expect(returned.count == 1 && returned.first?.0 == "c" && returned.first?.1 == 1)
            let upserted = try await db.rows(
                """
                INSERT INTO sample (id, count) VALUES (\("a"), \(10))
                ON CONFLICT (id) DO UPDATE SET count = sample.count + excluded.count RETURNING count
                """
            ) { try $0.decode("count", as: Int.self) }
            #expect(upserted == [12])
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func aTransactionCommitsWholeOrRollsBackWhole(backend: StoreBackend) async throws {
        struct Abandon: Error {}
        try await Self.withSample(backend) { db in
            let kept = try await db.transaction { tx in
                try await tx.run("INSERT INTO sample (id, count) VALUES (\("kept"), \(1))")
                return try await tx.row("SELECT count FROM sample WHERE id = \("kept")") { try $0.decode("count", as: Int.self) }
            }
            #expect(kept == 1, "a transaction reads its own writes")
            await #expect(throws: Abandon.self) {
                try await db.transaction { tx in
                    try await tx.run("INSERT INTO sample (id, count) VALUES (\("lost"), \(1))")
                    throw Abandon()
                }
            }
            let refused = await #expect(throws: StorageError.self) {
                try await db.transaction { tx in
                    try await tx.run("INSERT INTO sample (id, count) VALUES (\("lost2"), \(1))")
                    try await tx.run("INSERT INTO sample (id, count) VALUES (\("kept"), \(1))")
                }
            }
            #expect(refused?.code == .conflict)
            let ids = try await db.rows("SELECT id FROM sample ORDER BY id") { try $0.decode("id", as: String.self) }
            #expect(ids == ["kept"], "nothing of a rolled-back transaction stays")
            // The writer is free again after a rollback.
            #expect(try await db.run("INSERT INTO sample (id, count) VALUES (\("after"), \(1))") == 1)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func transactionsThatTakeTheSameLockRunOneAfterAnother(backend: StoreBackend) async throws {
        try await Self.withSample(backend) { db in
            try await db.run("INSERT INTO sample (id, count) VALUES (\("counter"), \(0))")
            // A read, a pause, then a write of what was read: only serialised transactions
            // lose no increment.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await db.transaction { tx in
                            try await tx.lock("sample:counter")
                            let count = try #require(
                                try await tx.row("SELECT count FROM sample WHERE id = \("counter")") { try $0.decode("count", as: Int.self) }
                            )
                            try await Task.sleep(for: .milliseconds(5))
                            try await tx.run("UPDATE sample SET count = \(count + 1) WHERE id = \("counter")")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let count = try await db.row("SELECT count FROM sample WHERE id = \("counter")") { try $0.decode("count", as: Int.self) }
            #expect(count == 8)
        }
    }

    /// The request recorder and the agent task store write through their own tuned paths; while
    /// a transaction of the layer is open they wait for it, and both commit.
    @Test(arguments: StoreBackend.enabled)
    func writesOfTheTunedStoresWaitForAnOpenTransaction(backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            try await stores.database.run(Self.table)
            let db = stores.database
            let transaction = Task {
                try await db.transaction { tx in
                    try await tx.run("INSERT INTO sample (id, count) VALUES (\("held"), \(1))")
                    try await Task.sleep(for: .milliseconds(300))
                    try await tx.run("UPDATE sample SET count = \(2) WHERE id = \("held")")
                }
            }
            try await Task.sleep(for: .milliseconds(50))
            try await stores.requests.append([RequestRecord.fixture("during-transaction", at: 1_700_000_000_000_000)])
            #expect(try await stores.agentTasks.end(AgentTaskEnd(taskID: "t", outcome: .success, endedAt: 1)))
            try await transaction.value
            #expect(try await stores.requests.count(matching: RequestRecordQuery()) == 1)
            #expect(try await db.row("SELECT count FROM sample WHERE id = \("held")") { try $0.decode("count", as: Int.self) } == 2)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func refusedWritesAreTheSameStorageErrorOnEveryBackend(backend: StoreBackend) async throws {
        try await Self.withSample(backend) { db in
            try await db.run("INSERT INTO sample (id, count) VALUES (\("a"), \(1))")
            let conflict = await #expect(throws: StorageError.self) {
                try await db.run("INSERT INTO sample (id, count) VALUES (\("a"), \(2))")
            }
            #expect(conflict?.code == .conflict)
            #expect(conflict?.message.contains("sample") == true, "the message names the table: \(conflict?.message ?? "")")
            let invalid = await #expect(throws: StorageError.self) {
                try await db.run("UPDATE sample SET count = \(-1) WHERE id = \("a")")
            }
            #expect(invalid?.code == .invalidValue)

            let unreadable = await #expect(throws: StorageError.self) {
                _ = try await db.row("SELECT note FROM sample") { try $0.decode("note", as: String.self) }
            }
            #expect(unreadable?.code == .invalidStoredValue, "a NULL where a value must be")
            let missing = await #expect(throws: StorageError.self) {
                _ = try await db.row("SELECT id FROM sample") { try $0.decode("nothing", as: String.self) }
            }
            #expect(missing?.message.contains("sample.nothing") == true)
        }
    }

    @Test func statementsRenderInEachDialectWithTheirParametersInOrder() {
        let teams: [TeamID] = ["t1", "t2"]
        var statement: SQLStatement = "SELECT id FROM team WHERE org_id = \(OrgID("acme"))"
        statement.append(" AND id IN (\(list: teams)) AND kind = \(sqlite: "'x'", postgres: "'y'")")
        statement = statement + " LIMIT \(10)"
        let sqlite = statement.rendered(for: .sqlite)
        #expect(sqlite.sql == "SELECT id FROM team WHERE org_id = ? AND id IN (?, ?) AND kind = 'x' LIMIT ?")
        let postgres = statement.rendered(for: .postgres)
        #expect(postgres.sql == "SELECT id FROM team WHERE org_id = $1 AND id IN ($2, $3) AND kind = 'y' LIMIT $4")
        #expect(postgres.values == [.text("acme"), .text("t1"), .text("t2"), .int(10)])
        let joined = SQLStatement.joined(["a = \(1)", "b = \(2)"], separator: " AND ")
        #expect(joined.rendered(for: .postgres).sql == "a = $1 AND b = $2")
    }

    @Test func jsonParametersManyParametersAndTextOutsideASCIIRenderInPlace() {
        let row: SQLStatement = "(\(1), \(json: "{\"ü\": 1}"), \(nil as String?), 'déjà vu')"
        let rows = SQLStatement.joined(Array(repeating: row, count: 4), separator: ", ")
        let statement: SQLStatement = "INSERT INTO sample (id, attributes, name, note) VALUES \(rows)"
        let postgres = statement.rendered(for: .postgres)
        #expect(postgres.sql.hasSuffix("($10, $11::jsonb, $12, 'déjà vu')"))
        #expect(postgres.sql.hasPrefix("INSERT INTO sample (id, attributes, name, note) VALUES ($1, $2::jsonb, $3, 'déjà vu'), ($4,"))
        #expect(postgres.values.count == 12)
        #expect(postgres.values[1] == .text("{\"ü\": 1}") && postgres.values[2] == .null)
        #expect(statement.rendered(for: .sqlite).sql.hasSuffix("(?, ?, ?, 'déjà vu')"))
        #expect(statement.verb == .write(table: "sample"))
        let select: SQLStatement = "SELECT \(raw: (1...80).map { "c\($0)" }.joined(separator: ", ")) FROM sample WHERE id = \(1)"
        #expect(select.verb == .read && select.table == "sample")
        #expect(SQLStatement(raw: "").isEmpty && !SQLStatement("\(sqlite: "", postgres: "")").isEmpty)
    }
}
