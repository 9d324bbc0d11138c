import GRDB
import KeelCore
import KeelStorage

/// Cost reports from the SQLite rollups (`cost_rollup`, `cost_rollup_tag`), which
/// ``SQLiteRequestRecordStore`` maintains. Reads run on GRDB's reader connections and see one
/// committed state. The rollup primary keys start with `(granularity, bucket_start)`, so each
/// range of a report is an index range scan.
struct SQLiteCostReportStore: CostReportStore {
    let pool: DatabasePool

    func costReport(_ query: CostReportQuery) async throws -> [CostReportRow] {
        if let problem = query.problem {
            throw StorageError(.invalidValue, message: "Invalid cost report: \(problem.message)")
        }
        let (sql, arguments) = query.reportSQL(placeholder: { _ in "?" }, sum: { "COALESCE(SUM(\($0)), 0)" })
        let hasBucket = query.interval != .none
        let textCount = query.groupBy.count
        let values: [DatabaseValue] = arguments.map {
            switch $0 {
            case .integer(let value): value.databaseValue
            case .text(let value): value.databaseValue
            }
        }
        return try await self.pool.read { db in
            let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(values))
            var report: [CostReportRow] = []
            while let row = try rows.next() {
                var index = 0
                var bucket: Int64?
                if hasBucket {
                    bucket = try row.decode(Int64.self, atIndex: 0)
                    index = 1
                }
                var texts: [String] = []
                for offset in 0..<textCount { texts.append(try row.decode(String.self, atIndex: index + offset)) }
                index += textCount
                var sums: [Int64] = []
                for offset in 0..<CostRollup.sumColumns.count { sums.append(try row.decode(Int64.self, atIndex: index + offset)) }
                if let reportRow = query.row(bucket: bucket, texts: texts, sums: sums) { report.append(reportRow) }
            }
            return report
        }
    }

    func usageProfiles(_ query: UsageProfileQuery) async throws -> [UsageProfile] {
        let (sql, arguments) = query.sql(placeholder: { _ in "?" }, sum: { "COALESCE(SUM(\($0)), 0)" })
        let values: [DatabaseValue] = arguments.map {
            switch $0 {
            case .integer(let value): value.databaseValue
            case .text(let value): value.databaseValue
            }
        }
        let profiles = try await self.pool.read { db in
            let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(values))
            var profiles: [UsageProfile] = []
            while let row = try rows.next() {
                var texts: [String] = []
                for index in 0..<6 { texts.append(try row.decode(String.self, atIndex: index)) }
                var integers: [Int64] = []
                for index in 0..<UsageProfileQuery.integerColumns { integers.append(try row.decode(Int64.self, atIndex: 6 + index)) }
                profiles.append(UsageProfileQuery.profile(texts: texts, integers: integers))
            }
            return profiles
        }
        return UsageProfileQuery.sorted(profiles)
    }
}
