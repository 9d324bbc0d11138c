import KeelCore

/// Cost reports from the rollups (`cost_rollup`, `cost_rollup_tag`) that
/// ``SQLRequestRecordStore`` maintains, and usage profiles from the raw log, on any backend's
/// ``SQLDatabase``.
///
/// Each report is one statement, so it sees one committed state. The rollup primary keys start
/// with `(granularity, bucket_start)`, so each range of a report is an index range scan.
/// Dimension columns compare in byte order on both backends (PostgreSQL declares them
/// `COLLATE "C"`), so rows sort alike.
package struct SQLCostReportStore: CostReportStore {
    package let database: any SQLDatabase

    package init(database: any SQLDatabase) {
        self.database = database
    }

    package func costReport(_ query: CostReportQuery) async throws -> [CostReportRow] {
        if let problem = query.problem {
            throw StorageError(.invalidValue, message: "Invalid cost report: \(problem.message)")
        }
        return try await self.database.rows(query.reportStatement).compactMap(query.row)
    }

    package func usageProfiles(_ query: UsageProfileQuery) async throws -> [UsageProfile] {
        UsageProfileQuery.sorted(try await self.database.rows(query.statement, UsageProfileQuery.profile))
    }
}
