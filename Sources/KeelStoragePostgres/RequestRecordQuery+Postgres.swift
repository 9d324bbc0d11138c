import KeelCore
import KeelStorage
import PostgresNIO

// The WHERE clause of a query, assembled from fixed SQL fragments with numbered parameters.
// Only the choice of fragments depends on the query; every value is bound, never part of the
// SQL text.
extension RequestRecordQuery {
    /// The SQL condition (`TRUE` when there is no filter) and its bindings, `$1` first.
    ///
    /// The model fragment repeats the expression of its index exactly, so the planner can use it.
    /// The cursor compares `id` in the `"C"` collation, byte order, which is how SQLite compares
    /// (and how the column is declared), so a page boundary falls where it falls on SQLite.
    func postgresFilter(includingCursor: Bool) -> (condition: String, bindings: PostgresBindings) {
        var fragments: [String] = []
        var bindings = PostgresBindings()
        func next() -> String { "$\(bindings.count + 1)" }

        if let keyID = self.keyID {
            fragments.append("key_id = \(next())")
            bindings.append(keyID.rawValue)
        }
        if let orgID = self.orgID {
            fragments.append("org_id = \(next())")
            bindings.append(orgID.rawValue)
        }
        if let teamID = self.teamID {
            fragments.append("team_id = \(next())")
            bindings.append(teamID.rawValue)
        }
        if let projectID = self.projectID {
            fragments.append("project_id = \(next())")
            bindings.append(projectID.rawValue)
        }
        if let userID = self.userID {
            fragments.append("user_id = \(next())")
            bindings.append(userID.rawValue)
        }
        if let model = self.model {
            fragments.append("coalesce(nullif(model, ''), requested_model) = \(next())")
            bindings.append(model)
        }
        if let provider = self.provider {
            fragments.append("provider = \(next())")
            bindings.append(provider)
        }
        if let tag = self.tag {
            let key = next()
            bindings.append(tag.key)
            let value = next()
            bindings.append(tag.value)
            fragments.append("tags ->> \(key)::text = \(value)::text")
        }
        if let agentID = self.agentID {
            fragments.append("agent_id = \(next())")
            bindings.append(agentID)
        }
        if let taskID = self.taskID {
            fragments.append("task_id = \(next())")
            bindings.append(taskID)
        }
        if let outcome = self.outcome {
            fragments.append("outcome = \(next())")
            bindings.append(outcome.rawValue)
        }
        if let status = self.status {
            fragments.append("status = \(next())")
            bindings.append(Int64(status))
        }
        if let from = self.from {
            fragments.append("started_at >= \(next())")
            bindings.append(from)
        }
        if let to = self.to {
            fragments.append("started_at < \(next())")
            bindings.append(to)
        }
        if let within = self.within {
            let teams = next()
            bindings.append(within.teamIDs.map(\.rawValue))
            let keys = next()
            bindings.append(within.keyIDs.map(\.rawValue))
            fragments.append("(team_id = ANY(\(teams)) OR key_id = ANY(\(keys)))")
        }
        if includingCursor, let cursor = self.before {
            let startedAt = next()
            bindings.append(cursor.startedAt)
            let id = next()
            bindings.append(cursor.id.rawValue)
            fragments.append("(started_at, id) < (\(startedAt), \(id) COLLATE \"C\")")
        }
        return (fragments.isEmpty ? "TRUE" : fragments.joined(separator: " AND "), bindings)
    }

    /// The statement that reads one page of ``RequestRecordStore/records(matching:)``.
    func postgresSelect() -> PostgresQuery {
        var (condition, bindings) = self.postgresFilter(includingCursor: true)
        let limit = "$\(bindings.count + 1)"
        bindings.append(Int64(self.limit))
        return PostgresQuery(
            unsafeSQL: """
                SELECT \(RequestRecord.postgresSelectColumns) FROM request_record WHERE \(condition) \
                ORDER BY started_at DESC, id COLLATE "C" DESC LIMIT \(limit)
                """,
            binds: bindings
        )
    }

    /// The statement of ``RequestRecordStore/count(matching:)``: the filters without the cursor.
    func postgresCount() -> PostgresQuery {
        let (condition, bindings) = self.postgresFilter(includingCursor: false)
        return PostgresQuery(unsafeSQL: "SELECT count(*) FROM request_record WHERE \(condition)", binds: bindings)
    }
}
