import KeelCore

// The rollup ranges a report reads and its SELECT, shared by both backends. Only the choice of
// fixed fragments depends on the query; every value is a bound parameter.

extension CostReportQuery {
    /// One range of buckets of one granularity: `from <= bucket_start < to`.
    package struct Segment: Sendable, Equatable {
        package var granularity: CostGranularity
        package var from: Int64
        package var to: Int64
    }

    /// Disjoint ranges of rollup buckets whose union is [from, to) rounded down to minutes, each
    /// of the coarsest granularity that fits: whole days, then whole hours at the edges, then
    /// minutes.
    package var segments: [Segment] {
        let from = self.from - CostRollupBatch.floorMod(self.from, 60)
        let to = self.to - CostRollupBatch.floorMod(self.to, 60)
        let levels = CostGranularity.allCases.filter { $0 <= self.interval.coarsestGranularity }.sorted(by: >)
        var segments: [Segment] = []
        func cover(_ lo: Int64, _ hi: Int64, _ levels: ArraySlice<CostGranularity>) {
            guard lo < hi, let granularity = levels.first else { return }
            let width = granularity.seconds
            let start = lo + (width - CostRollupBatch.floorMod(lo, width)) % width
            let end = hi - CostRollupBatch.floorMod(hi, width)
            if start < end {
                cover(lo, start, levels.dropFirst())
                segments.append(Segment(granularity: granularity, from: start, to: end))
                cover(end, hi, levels.dropFirst())
            } else {
                cover(lo, hi, levels.dropFirst())
            }
        }
        cover(from, to, levels[...])
        return segments
    }

    /// The report statement. Columns of the result: `bucket` (unless the interval is `.none`),
    /// `dimension_0`, `dimension_1`… for the `groupBy` values ('' for none), then the sums, named
    /// as ``CostRollup/sumColumns`` and in the order of ``CostTotals/columnValues``.
    package var reportStatement: SQLStatement {
        let tagKey = self.tagKey
        let table = tagKey == nil ? "cost_rollup" : "cost_rollup_tag"
        func column(_ dimension: CostDimension) -> String {
            switch dimension {
            case .org: "org_id"
            case .team: "team_id"
            case .project: "project_id"
            case .user: "user_id"
            case .key: "key_id"
            case .model: "model"
            case .provider: "provider"
            case .tag: "tag_value"
            }
        }

        var selected: [String] = []
        if self.interval != .none {
            let width = self.interval.coarsestGranularity.seconds
            // `width` is one of three constants, never a caller's value.
            selected.append("bucket_start - bucket_start % \(width) AS bucket")
        }
        selected += self.groupBy.enumerated().map { "\(column($1)) AS dimension_\($0)" }
        let groupCount = selected.count
        // SUM of BIGINT is NUMERIC in PostgreSQL; the sums fit in BIGINT as the counts do.
        selected += CostRollup.sumColumns.map { "CAST(COALESCE(SUM(\($0)), 0) AS BIGINT) AS \($0)" }

        var conditions: [SQLStatement] = []
        let segments = self.segments.map { segment -> SQLStatement in
            "(granularity = \(segment.granularity.seconds) AND bucket_start >= \(segment.from) AND bucket_start < \(segment.to))"
        }
        conditions.append(segments.isEmpty ? "FALSE" : "(\(SQLStatement.joined(segments, separator: " OR ")))")
        if let tagKey { conditions.append("tag_key = \(tagKey)") }
        // Sorted so the statement text is the same for the same filters.
        for (dimension, value) in self.filters.sorted(by: { $0.key.description < $1.key.description }) {
            conditions.append("\(raw: column(dimension)) = \(value)")
        }
        switch self.within {
        case .team(let team): conditions.append("team_id = \(team)")
        case .org(let org): conditions.append("org_id = \(org)")
        case nil: break
        }

        var statement: SQLStatement = """
            SELECT \(raw: selected.joined(separator: ", ")) FROM \(raw: table) \
            WHERE \(SQLStatement.joined(conditions, separator: " AND "))
            """
        if groupCount > 0 {
            let positions = (1...groupCount).map(String.init).joined(separator: ", ")
            statement.append(" GROUP BY \(raw: positions) ORDER BY \(raw: positions)")
        }
        return statement
    }

    /// A report row from one result row of ``reportStatement``, or `nil` for the empty row an
    /// aggregate without `GROUP BY` returns when nothing matched.
    package func row(_ row: SQLRow) throws -> CostReportRow? {
        let totals = CostTotals(columnValues: try CostRollup.sumColumns.map { try row.decode($0, as: Int64.self) })
        guard totals.requests > 0 else { return nil }
        let bucket: Int64? = if self.interval == .none { nil } else { try row.decode("bucket") }
        return CostReportRow(
            bucket: bucket,
            dimensions: try self.groupBy.indices.map { index in
                let value = try row.decode("dimension_\(index)", as: String.self)
                return value.isEmpty ? nil : value
            },
            totals: totals)
    }
}
