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

    /// A value bound to the report statement.
    package enum Argument: Sendable, Equatable {
        case integer(Int64)
        case text(String)
    }

    /// The report statement, with `placeholder(n)` (1-based) for each argument and `sum(column)`
    /// for each summed column, so each backend writes its own dialect. Columns of the result: the
    /// bucket start (unless the interval is `.none`), the `groupBy` values ('' for none), then
    /// the sums in the order of ``CostTotals/columnValues``.
    package func reportSQL(
        placeholder: (Int) -> String,
        sum: (String) -> String
    ) -> (sql: String, arguments: [Argument]) {
        var arguments: [Argument] = []
        func bind(_ value: Argument) -> String {
            arguments.append(value)
            return placeholder(arguments.count)
        }
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
            selected.append("bucket_start - bucket_start % \(width)")
        }
        selected += self.groupBy.map(column)
        let groupCount = selected.count
        selected += CostRollup.sumColumns.map(sum)

        var conditions: [String] = []
        let segments = self.segments.map { segment in
            "(granularity = \(bind(.integer(segment.granularity.seconds))) AND bucket_start >= \(bind(.integer(segment.from))) AND bucket_start < \(bind(.integer(segment.to))))"
        }
        conditions.append(segments.isEmpty ? "FALSE" : "(" + segments.joined(separator: " OR ") + ")")
        if let tagKey { conditions.append("tag_key = \(bind(.text(tagKey)))") }
        // Sorted so the statement text is the same for the same filters.
        for (dimension, value) in self.filters.sorted(by: { $0.key.description < $1.key.description }) {
            conditions.append("\(column(dimension)) = \(bind(.text(value)))")
        }
        switch self.within {
        case .team(let team): conditions.append("team_id = \(bind(.text(team.rawValue)))")
        case .org(let org): conditions.append("org_id = \(bind(.text(org.rawValue)))")
        case nil: break
        }

        var sql = "SELECT \(selected.joined(separator: ", ")) FROM \(table) WHERE \(conditions.joined(separator: " AND "))"
        if groupCount > 0 {
            let positions = (1...groupCount).map(String.init).joined(separator: ", ")
            sql += " GROUP BY \(positions) ORDER BY \(positions)"
        }
        return (sql, arguments)
    }

    /// A report row from the values of one result row of ``reportSQL(placeholder:sum:)``, or
    /// `nil` for the empty row an aggregate without `GROUP BY` returns when nothing matched.
    package func row(bucket: Int64?, texts: [String], sums: [Int64]) -> CostReportRow? {
        let totals = CostTotals(columnValues: sums)
        guard totals.requests > 0 else { return nil }
        return CostReportRow(
            bucket: self.interval == .none ? nil : bucket,
            dimensions: texts.map { $0.isEmpty ? nil : $0 },
            totals: totals)
    }
}
