package import KeelCore

/// The width of a rollup bucket.
public enum CostGranularity: Int64, Sendable, CaseIterable, Comparable {
    case minute = 60
    case hour = 3_600
    case day = 86_400

    /// Seconds per bucket.
    public var seconds: Int64 { self.rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The rollup rows of a batch of request records, summed in memory so a store upserts each
/// distinct key once: `cost_rollup` (per bucket × org, team, project, user, key, model, provider)
/// and `cost_rollup_tag` (per bucket × tag key, tag value, org, team, model), at each
/// ``CostGranularity``.
///
/// A missing dimension is the empty string. The model is the served model, or the requested one
/// when none was served (as ``RequestRecordQuery/model`` filters). Buckets are UTC, from
/// `startedAt` in whole seconds.
package struct CostRollupBatch: Sendable {
    package struct Key: Hashable, Comparable, Sendable {
        package var granularity: Int64
        package var bucketStart: Int64
        package var org, team, project, user, key, model, provider: String

        package static func < (lhs: Self, rhs: Self) -> Bool {
            if lhs.granularity != rhs.granularity { return lhs.granularity < rhs.granularity }
            if lhs.bucketStart != rhs.bucketStart { return lhs.bucketStart < rhs.bucketStart }
            if lhs.org != rhs.org { return lhs.org < rhs.org }
            if lhs.team != rhs.team { return lhs.team < rhs.team }
            if lhs.project != rhs.project { return lhs.project < rhs.project }
            if lhs.user != rhs.user { return lhs.user < rhs.user }
            if lhs.key != rhs.key { return lhs.key < rhs.key }
            if lhs.model != rhs.model { return lhs.model < rhs.model }
            return lhs.provider < rhs.provider
        }
    }

    package struct TagKey: Hashable, Comparable, Sendable {
        package var granularity: Int64
        package var bucketStart: Int64
        package var tagKey, tagValue, org, team, model: String

        package static func < (lhs: Self, rhs: Self) -> Bool {
            if lhs.granularity != rhs.granularity { return lhs.granularity < rhs.granularity }
            if lhs.bucketStart != rhs.bucketStart { return lhs.bucketStart < rhs.bucketStart }
            if lhs.tagKey != rhs.tagKey { return lhs.tagKey < rhs.tagKey }
            if lhs.tagValue != rhs.tagValue { return lhs.tagValue < rhs.tagValue }
            if lhs.org != rhs.org { return lhs.org < rhs.org }
            if lhs.team != rhs.team { return lhs.team < rhs.team }
            return lhs.model < rhs.model
        }
    }

    /// The rows of `cost_rollup`, sorted by key so concurrent writers lock rows in one order.
    package private(set) var rows: [(key: Key, totals: CostTotals)] = []
    /// The rows of `cost_rollup_tag`, sorted by key.
    package private(set) var tagRows: [(key: TagKey, totals: CostTotals)] = []

    package init(_ records: [RequestRecord]) {
        var rows: [Key: CostTotals] = [:]
        var tagRows: [TagKey: CostTotals] = [:]
        for record in records {
            let seconds = Self.floorDiv(record.startedAt, 1_000_000)
            let model = (record.model?.isEmpty ?? true) ? record.requestedModel : record.model ?? ""
            let org = record.orgID?.rawValue ?? ""
            let team = record.teamID?.rawValue ?? ""
            for granularity in CostGranularity.allCases {
                let bucket = seconds - Self.floorMod(seconds, granularity.seconds)
                let key = Key(
                    granularity: granularity.seconds, bucketStart: bucket, org: org, team: team,
                    project: record.projectID?.rawValue ?? "", user: record.userID?.rawValue ?? "",
                    key: record.keyID?.rawValue ?? "", model: model, provider: record.provider ?? "")
                rows[key, default: CostTotals()].add(record)
                for (tagKey, tagValue) in record.tags {
                    let key = TagKey(
                        granularity: granularity.seconds, bucketStart: bucket, tagKey: tagKey, tagValue: tagValue,
                        org: org, team: team, model: model)
                    tagRows[key, default: CostTotals()].add(record)
                }
            }
        }
        self.rows = Self.sorted(rows)
        self.tagRows = Self.sorted(tagRows)
    }

    /// The entries of `totals` in key order. The positions are sorted, not the entries: moving
    /// entries (seven strings and eleven sums each) cost more than comparing them.
    private static func sorted<K: Comparable>(_ totals: [K: CostTotals]) -> [(key: K, totals: CostTotals)] {
        let entries = Array(totals)
        return entries.indices.sorted { entries[$0].key < entries[$1].key }.map { (key: entries[$0].key, totals: entries[$0].value) }
    }

    package static func floorDiv(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor < 0) ? quotient - 1 : quotient
    }

    package static func floorMod(_ value: Int64, _ divisor: Int64) -> Int64 {
        let remainder = value % divisor
        return remainder < 0 ? remainder + divisor : remainder
    }
}

/// Names shared by both backends' rollup SQL.
package enum CostRollup {
    /// The key columns of `cost_rollup`, in the order of ``CostRollupBatch/Key``'s fields.
    package static let keyColumns = [
        "granularity", "bucket_start", "org_id", "team_id", "project_id", "user_id", "key_id", "model", "provider",
    ]
    /// The key columns of `cost_rollup_tag`, in the order of ``CostRollupBatch/TagKey``'s fields.
    package static let tagKeyColumns = ["granularity", "bucket_start", "tag_key", "tag_value", "org_id", "team_id", "model"]
    /// The sum columns of both tables, in the order of ``CostTotals/columnValues``.
    package static let sumColumns = [
        "requests", "errors", "input_tokens", "output_tokens", "cached_input_tokens", "cache_write_tokens",
        "reasoning_tokens", "cost_nanos", "cache_hits", "cache_saved_nanos", "estimated_cost_nanos",
    ]

    /// `INSERT INTO table (…) VALUES <rows> ON CONFLICT (keys) DO UPDATE SET s = table.s + excluded.s, …`,
    /// one statement per ``Swift/Array/statementChunks(for:)`` of `rows` (each a parenthesised
    /// row: its key values, then its sums).
    static func upserts(table: String, keyColumns: [String], rows: [SQLStatement], dialect: SQLDialect) -> [SQLStatement] {
        let columns = (keyColumns + Self.sumColumns).joined(separator: ", ")
        let updates = Self.sumColumns.map { "\($0) = \(table).\($0) + excluded.\($0)" }.joined(separator: ", ")
        return rows.statementChunks(for: dialect).map { chunk in
            """
            INSERT INTO \(raw: table) (\(raw: columns)) VALUES \(SQLStatement.joined(chunk, separator: ", ")) \
            ON CONFLICT (\(raw: keyColumns.joined(separator: ", "))) DO UPDATE SET \(raw: updates)
            """
        }
    }
}

extension CostRollupBatch {
    /// The upserts that add the batch to `cost_rollup` and `cost_rollup_tag`, in `dialect`.
    ///
    /// The rows of one statement have distinct keys (they were summed in memory), as PostgreSQL's
    /// `ON CONFLICT DO UPDATE` requires, and come in key order, so concurrent batches lock rows
    /// in one order.
    package func upsertStatements(for dialect: SQLDialect) -> [SQLStatement] {
        let rows = self.rows.map { key, totals -> SQLStatement in
            """
            (\(key.granularity), \(key.bucketStart), \(key.org), \(key.team), \(key.project), \(key.user), \(key.key), \
            \(key.model), \(key.provider), \(list: totals.columnValues))
            """
        }
        let tagRows = self.tagRows.map { key, totals -> SQLStatement in
            """
            (\(key.granularity), \(key.bucketStart), \(key.tagKey), \(key.tagValue), \(key.org), \(key.team), \(key.model), \
            \(list: totals.columnValues))
            """
        }
        return CostRollup.upserts(table: "cost_rollup", keyColumns: CostRollup.keyColumns, rows: rows, dialect: dialect)
            + CostRollup.upserts(table: "cost_rollup_tag", keyColumns: CostRollup.tagKeyColumns, rows: tagRows, dialect: dialect)
    }
}
