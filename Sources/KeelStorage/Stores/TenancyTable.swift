import KeelCore

/// How one kind of the tenancy tree (organisations, teams, projects, users) is stored, and the
/// statements every kind shares: insert, read by id, list, update, delete.
///
/// A kind is data: its table, its columns and which of them an update replaces, how a row reads
/// back as a record, which list filters apply to it, and the `virtual_key` column that binds
/// keys to it. The rules of ``TenancyStore`` are kept the same way for every kind:
///
/// - references to other rows are the schema's foreign keys (`ON DELETE RESTRICT`), refused by
///   the database as `.referenced`; unique ids and names are its unique keys, `.conflict`;
/// - a delete also checks, in the same transaction, that no unrevoked key is bound to the row:
///   keys carry their bindings as free text without a reference (revoked keys keep theirs as
///   history), so the schema cannot.
struct TenancyTable<Record: Sendable>: Sendable {
    /// The table, as the schema names it.
    let name: String
    /// Every column, in the order of ``read``'s record; the first is `id`.
    let columns: [TenancyColumn<Record>]
    /// The `virtual_key` column whose unrevoked keys hold a row of this kind.
    let boundKeyColumn: String
    /// The condition of ``TenancyQuery/orgIDs`` on this kind; `nil` when it ignores the filter.
    let orgFilter: TenancyFilter?
    /// The condition of ``TenancyQuery/teamIDs`` on this kind; `nil` when it ignores the filter.
    let teamFilter: TenancyFilter?
    /// The record of one row of ``columns``.
    let read: @Sendable (SQLRow) throws -> Record

    private var columnList: SQLStatement { SQLStatement(raw: self.columns.map(\.name).joined(separator: ", ")) }

    func insert(_ record: Record, in db: some SQLExecutor) async throws {
        try await db.run(
            "INSERT INTO \(raw: self.name) (\(self.columnList)) VALUES (\(list: self.columns.map { $0.value(record) }))"
        )
    }

    func record(id: some SQLBindable, in db: some SQLExecutor) async throws -> Record? {
        try await db.row("SELECT \(self.columnList) FROM \(raw: self.name) WHERE id = \(id)", self.read)
    }

    /// The rows `query` selects, in id (byte) order, after its cursor, at most its limit.
    func records(matching query: TenancyQuery, in db: some SQLExecutor) async throws -> [Record] {
        var conditions: [SQLStatement] = []
        if let orgIDs = query.orgIDs, let filter = self.orgFilter { conditions.append(filter.condition(orgIDs)) }
        if let teamIDs = query.teamIDs, let filter = self.teamFilter { conditions.append(filter.condition(teamIDs)) }
        if let after = query.after { conditions.append("id > \(after)") }
        let condition = conditions.isEmpty ? "TRUE" : SQLStatement.joined(conditions, separator: " AND ")
        return try await db.rows(
            "SELECT \(self.columnList) FROM \(raw: self.name) WHERE \(condition) ORDER BY id LIMIT \(query.limit)",
            self.read
        )
    }

    /// Replaces the updatable columns of the row with `record`'s id; whether there was one.
    func update(_ record: Record, in db: some SQLExecutor) async throws -> Bool {
        let id = self.columns[0].value(record)
        let assignments = self.columns.filter(\.isUpdatable).map {
            "\(raw: $0.name) = \($0.value(record))" as SQLStatement
        }
        return try await db.run(
            "UPDATE \(raw: self.name) SET \(SQLStatement.joined(assignments, separator: ", ")) WHERE id = \(id)"
        ) > 0
    }

    /// Deletes the row `id` unless an unrevoked key is bound to it (`.referenced`, naming the
    /// key column) or a row refers to it (the schema's `.referenced`); `false` when there is none.
    func delete(id: some SQLBindable, in db: any SQLDatabase) async throws -> Bool {
        try await db.transaction { tx in
            // PostgreSQL: the row is locked first, so the check and the delete see the same row.
            // SQLite: the transaction already holds the one writer.
            let locked: SQLStatement =
                "SELECT id FROM \(raw: self.name) WHERE id = \(id)\(sqlite: "", postgres: " FOR UPDATE")"
            guard try await tx.row(locked) != nil else { return false }
            let boundKey = try await tx.row(
                "SELECT 1 FROM virtual_key WHERE \(raw: self.boundKeyColumn) = \(id) AND revoked_at IS NULL LIMIT 1"
            )
            if boundKey != nil {
                throw StorageError.referenced(table: self.name, constraint: "virtual_key.\(self.boundKeyColumn)")
            }
            try await tx.run("DELETE FROM \(raw: self.name) WHERE id = \(id)")
            return true
        }
    }
}

/// One column of a ``TenancyTable``: its name, its value in a record, and whether an update
/// replaces it (ids and parents never change).
struct TenancyColumn<Record>: Sendable {
    let name: String
    let isUpdatable: Bool
    let value: @Sendable (Record) -> SQLValue

    init<Value: SQLBindable>(
        _ name: String,
        _ keyPath: any KeyPath<Record, Value> & Sendable,
        updatable: Bool = false
    ) {
        self.name = name
        self.isUpdatable = updatable
        self.value = { $0[keyPath: keyPath].sqlValue }
    }
}

/// How a list filter on organisation or team ids applies to a kind: its `column` is one of the
/// ids, or, for a kind reached through its parent, one of the parents `through` selects.
struct TenancyFilter: Sendable {
    let column: String
    /// A subquery from the ids to the column's values (`SELECT id FROM team WHERE org_id`).
    let through: String?

    static func column(_ name: String, through subquery: String? = nil) -> Self {
        Self(column: name, through: subquery)
    }

    /// An empty set of ids matches nothing. The ids are one JSON array parameter, so the
    /// statement's text does not depend on how many there are.
    func condition<Tag>(_ ids: Set<Identifier<Tag>>) -> SQLStatement {
        let values = SQLStatement.values(ofJSONArray: ids.map(\.rawValue))
        if let through { return "\(raw: self.column) IN (\(raw: through) IN (\(values)))" }
        return "\(raw: self.column) IN (\(values))"
    }
}
