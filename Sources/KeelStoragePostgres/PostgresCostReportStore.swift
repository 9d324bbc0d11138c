import KeelCore
import KeelStorage
import PostgresNIO

/// Cost reports from the PostgreSQL rollups (`cost_rollup`, `cost_rollup_tag`), which
/// ``PostgresRequestRecordStore`` maintains. Each report is one statement, so it sees one
/// committed state. Dimension columns are `COLLATE "C"`, so rows sort as on SQLite.
struct PostgresCostReportStore: CostReportStore {
    let client: PostgresClient

    func costReport(_ query: CostReportQuery) async throws -> [CostReportRow] {
        if let problem = query.problem {
            throw StorageError(.invalidValue, message: "Invalid cost report: \(problem.message)")
        }
        // SUM of BIGINT is NUMERIC in PostgreSQL; the sums fit in BIGINT as the counts do.
        let (sql, arguments) = query.reportSQL(placeholder: { "$\($0)" }, sum: { "COALESCE(SUM(\($0)), 0)::BIGINT" })
        var bindings = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument {
            case .integer(let value): bindings.append(value)
            case .text(let value): bindings.append(value)
            }
        }
        let hasBucket = query.interval != .none
        let textCount = query.groupBy.count
        let rows = try await self.client.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: PostgresBackend.quietLogger)
        var report: [CostReportRow] = []
        for try await row in rows {
            let cells = row.makeRandomAccess()
            var index = 0
            var bucket: Int64?
            if hasBucket {
                bucket = try cells[0].decode(Int64.self)
                index = 1
            }
            var texts: [String] = []
            for offset in 0..<textCount { texts.append(try cells[index + offset].decode(String.self)) }
            index += textCount
            var sums: [Int64] = []
            for offset in 0..<CostRollup.sumColumns.count { sums.append(try cells[index + offset].decode(Int64.self)) }
            if let reportRow = query.row(bucket: bucket, texts: texts, sums: sums) { report.append(reportRow) }
        }
        return report
    }

    func usageProfiles(_ query: UsageProfileQuery) async throws -> [UsageProfile] {
        // SUM of BIGINT is NUMERIC in PostgreSQL; the sums fit in BIGINT as the counts do.
        let (sql, arguments) = query.sql(placeholder: { "$\($0)" }, sum: { "COALESCE(SUM(\($0)), 0)::BIGINT" })
        var bindings = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument {
            case .integer(let value): bindings.append(value)
            case .text(let value): bindings.append(value)
            }
        }
        let rows = try await self.client.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: PostgresBackend.quietLogger)
        var profiles: [UsageProfile] = []
        for try await row in rows {
            let cells = row.makeRandomAccess()
            var texts: [String] = []
            for index in 0..<6 { texts.append(try cells[index].decode(String.self)) }
            var integers: [Int64] = []
            for index in 0..<UsageProfileQuery.integerColumns { integers.append(try cells[6 + index].decode(Int64.self)) }
            profiles.append(UsageProfileQuery.profile(texts: texts, integers: integers))
        }
        return UsageProfileQuery.sorted(profiles)
    }
}
