import GRDB
import KeelCore
import KeelStorage

// The WHERE clause of a query, assembled from fixed SQL fragments. Only the choice of fragments
// depends on the query; every value is a bound argument, never part of the SQL text.
extension RequestRecordQuery {
    /// The SQL condition (`"TRUE"` when there is no filter) and its arguments, in order.
    ///
    /// The model fragment repeats the expression of its index exactly, as SQLite requires to use
    /// an index on an expression.
    func sqliteFilter(includingCursor: Bool) -> (condition: String, arguments: [DatabaseValue]) {
        var fragments: [String] = []
        var arguments: [DatabaseValue] = []
        func add(_ fragment: String, _ values: DatabaseValue...) {
            fragments.append(fragment)
            arguments.append(contentsOf: values)
        }

        if let keyID = self.keyID { add("key_id = ?", keyID.rawValue.databaseValue) }
        if let orgID = self.orgID { add("org_id = ?", orgID.rawValue.databaseValue) }
        if let teamID = self.teamID { add("team_id = ?", teamID.rawValue.databaseValue) }
        if let projectID = self.projectID { add("project_id = ?", projectID.rawValue.databaseValue) }
        if let userID = self.userID { add("user_id = ?", userID.rawValue.databaseValue) }
        if let model = self.model {
            add("coalesce(nullif(model, ''), requested_model) = ?", model.databaseValue)
        }
        if let provider = self.provider { add("provider = ?", provider.databaseValue) }
        if let tag = self.tag {
            // json_each rather than a JSON path: tag keys may hold '.', ':' and '/'.
            add(
                "EXISTS (SELECT 1 FROM json_each(tags) WHERE json_each.key = ? AND json_each.value = ?)",
                tag.key.databaseValue, tag.value.databaseValue
            )
        }
        if let agentID = self.agentID { add("agent_id = ?", agentID.databaseValue) }
        if let taskID = self.taskID { add("task_id = ?", taskID.databaseValue) }
        if let outcome = self.outcome { add("outcome = ?", outcome.rawValue.databaseValue) }
        if let status = self.status { add("status = ?", Int64(status).databaseValue) }
        if let from = self.from { add("started_at >= ?", from.databaseValue) }
        if let to = self.to { add("started_at < ?", to.databaseValue) }
        if let within = self.within {
            // One bound JSON array per set, so the statement text does not depend on its size.
            add(
                "(team_id IN (SELECT value FROM json_each(?)) OR key_id IN (SELECT value FROM json_each(?)))",
                SQLiteJSON.array(within.teamIDs.map(\.rawValue)).databaseValue,
                SQLiteJSON.array(within.keyIDs.map(\.rawValue)).databaseValue
            )
        }
        if includingCursor, let cursor = self.before {
            add("(started_at, id) < (?, ?)", cursor.startedAt.databaseValue, cursor.id.rawValue.databaseValue)
        }
        return (fragments.isEmpty ? "TRUE" : fragments.joined(separator: " AND "), arguments)
    }

    /// The statement that reads one page of ``RequestRecordStore/records(matching:)``.
    func sqliteSelect() -> (sql: String, arguments: StatementArguments) {
        let filter = self.sqliteFilter(includingCursor: true)
        let sql = """
            SELECT \(RequestRecord.sqliteColumns) FROM request_record WHERE \(filter.condition) \
            ORDER BY started_at DESC, id DESC LIMIT ?
            """
        return (sql, StatementArguments(filter.arguments + [Int64(self.limit).databaseValue]))
    }

    /// The statement of ``RequestRecordStore/count(matching:)``: the filters without the cursor.
    func sqliteCount() -> (sql: String, arguments: StatementArguments) {
        let filter = self.sqliteFilter(includingCursor: false)
        return ("SELECT COUNT(*) FROM request_record WHERE \(filter.condition)", StatementArguments(filter.arguments))
    }
}
