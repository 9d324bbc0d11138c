import KeelCore

// The statements of a query of the request log, for both backends. Only the choice of fixed
// fragments depends on the query, so a combination of filters always has the same text (SQLite
// caches it prepared); every value is a bound parameter.
//
// Index use: the key, team, model and org filters and the time window match indexes that end in
// `(started_at, id)`, so a page is an index range scan in the log's order, with no sort, on both
// backends (SQLiteSchemaTests checks SQLite's plans). The model condition repeats the expression
// of its index exactly, as both planners require to use an index on an expression.
extension RequestRecordQuery {
    /// The conditions of the query, `AND`-joined (`TRUE` when there are none); the cursor too when
    /// `includingCursor`.
    ///
    /// The cursor compares `id` in byte order on both backends: SQLite compares text that way, and
    /// PostgreSQL's `id` column is declared `COLLATE "C"`, which wins over a parameter's default
    /// collation, so a page boundary falls where it falls on SQLite.
    func condition(includingCursor: Bool) -> SQLStatement {
        var conditions: [SQLStatement] = []
        if let keyID = self.keyID { conditions.append("key_id = \(keyID)") }
        if let orgID = self.orgID { conditions.append("org_id = \(orgID)") }
        if let teamID = self.teamID { conditions.append("team_id = \(teamID)") }
        if let projectID = self.projectID { conditions.append("project_id = \(projectID)") }
        if let userID = self.userID { conditions.append("user_id = \(userID)") }
        if let model = self.model { conditions.append("coalesce(nullif(model, ''), requested_model) = \(model)") }
        if let provider = self.provider { conditions.append("provider = \(provider)") }
        if let tag = self.tag {
            // Each tag as a (key, value) row rather than a JSON path: tag keys may hold '.', ':'
            // and '/', which a path would read as syntax.
            conditions.append(
                """
                EXISTS (SELECT 1 FROM \(sqlite: "json_each", postgres: "jsonb_each_text")(tags) AS tag \
                WHERE tag.key = \(tag.key) AND tag.value = \(tag.value))
                """
            )
        }
        if let agentID = self.agentID { conditions.append("agent_id = \(agentID)") }
        if let taskID = self.taskID { conditions.append("task_id = \(taskID)") }
        if let outcome = self.outcome { conditions.append("outcome = \(outcome)") }
        if let status = self.status { conditions.append("status = \(Int64(status))") }
        if let from = self.from { conditions.append("started_at >= \(from)") }
        // One upper bound on started_at: given two (the period's end and the cursor's), SQLite's
        // planner bounds the index range by one of them, and with the period's it read every
        // newer row again for each page (quadratic over a long export).
        let cursor = includingCursor ? self.before : nil
        if let cursor, self.to.map({ cursor.startedAt < $0 }) ?? true {
            conditions.append("started_at <= \(cursor.startedAt)")
        } else if let to = self.to {
            conditions.append("started_at < \(to)")
        }
        if let within = self.within {
            let teams = SQLStatement.values(ofJSONArray: within.teamIDs.map(\.rawValue))
            let keys = SQLStatement.values(ofJSONArray: within.keyIDs.map(\.rawValue))
            conditions.append("(team_id IN (\(teams)) OR key_id IN (\(keys)))")
        }
        if let cursor {
            conditions.append("(started_at, id) < (\(cursor.startedAt), \(cursor.id))")
        }
        return conditions.isEmpty ? "TRUE" : .joined(conditions, separator: " AND ")
    }

    /// The statement that reads one page of ``RequestRecordStore/records(matching:)``.
    package var pageStatement: SQLStatement {
        """
        SELECT \(RequestRecord.selectColumns) FROM request_record WHERE \(self.condition(includingCursor: true)) \
        ORDER BY started_at DESC, id DESC LIMIT \(Int64(self.limit))
        """
    }

    /// The statement of ``RequestRecordStore/count(matching:)``: the filters without the cursor.
    package var countStatement: SQLStatement {
        "SELECT COUNT(*) FROM request_record WHERE \(self.condition(includingCursor: false))"
    }
}
