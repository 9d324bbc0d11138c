import FoundationEssentials
import Hummingbird
import KeelCore
import KeelStorage

extension AdminAPI {
    /// The longest range of a report by the minute, and by the hour: finer reports of longer
    /// ranges would return more rows than a client can use.
    static let maxMinuteRange: Int64 = 2 * 86_400
    static let maxHourRange: Int64 = 93 * 86_400

    /// `GET /admin/v1/costs?group_by&from&to&interval&org&team&project&user&key&model&provider&tag`.
    ///
    /// - `group_by`: comma-separated subset of `org`, `team`, `project`, `user`, `key`, `model`,
    ///   `provider`, `tag:<key>` (default: none, one row per bucket).
    /// - `from` / `to`: Unix seconds, an RFC 3339 date (`2026-11-01`, midnight UTC) or date-time
    ///   (`2026-11-01T12:00:00Z`); `[from, to)`, rounded down to the minute. Default: the 30 days
    ///   up to the end of the current minute.
    /// - `interval`: `minute` (ranges up to 2 days), `hour` (up to 93 days), `day` or `none`
    ///   (default `day`).
    /// - Filters: `org`, `team`, `project`, `user`, `key` (a key id), `model`, `provider`, and
    ///   `tag=key:value`.
    ///
    /// Reads the rollups, never the raw log. A scoped caller sees only its scope, as on
    /// `/admin/v1/requests`: a team-scoped caller its team's costs, an org-scoped caller its
    /// organisation's. Errors are 400 with the parameter's name.
    func costReport(_ request: Request) async throws -> Response {
        let caller = try self.authenticate(request, .read, .requestLog)
        let parameters = request.uri.queryParameters
        var groupBy: [CostDimension] = []
        if let text = parameters["group_by"], !text.isEmpty {
            for item in text.split(separator: ",") {
                guard let dimension = CostDimension(item) else {
                    throw KeelError.invalidRequest(
                        "Invalid 'group_by': a comma-separated list of org, team, project, user, key, model, provider, tag:<key>.",
                        param: "group_by")
                }
                groupBy.append(dimension)
            }
        }
        let intervalText = parameters["interval"].map(String.init) ?? "day"
        guard let interval = CostInterval(rawValue: intervalText) else {
            throw KeelError.invalidRequest("Invalid 'interval': one of minute, hour, day, none.", param: "interval")
        }
        let (from, to) = try Self.costWindow(parameters)
        guard from <= to else { throw KeelError.invalidRequest("Invalid 'to': before 'from'.", param: "to") }
        if interval == .minute, to - from > Self.maxMinuteRange {
            throw KeelError.invalidRequest("Invalid 'interval': minute buckets cover at most 2 days.", param: "interval")
        }
        if interval == .hour, to - from > Self.maxHourRange {
            throw KeelError.invalidRequest("Invalid 'interval': hour buckets cover at most 93 days.", param: "interval")
        }
        var filters: [CostDimension: String] = [:]
        let named: [(Substring, CostDimension)] = [
            ("org", .org), ("team", .team), ("project", .project), ("user", .user), ("key", .key), ("model", .model),
            ("provider", .provider),
        ]
        for (name, dimension) in named {
            if let value = parameters[name] { filters[dimension] = String(value) }
        }
        if let text = parameters["tag"] {
            let tag = try Self.tagFilter(String(text))
            filters[.tag(tag.key)] = tag.value
        }
        var query = CostReportQuery(groupBy: groupBy, interval: interval, from: from, to: to, filters: filters)
        if let problem = query.problem {
            throw KeelError.invalidRequest("Invalid '\(problem.parameter)': \(problem.message)", param: problem.parameter)
        }
        var rows: [CostReportRow] = []
        if let within = Self.costScope(caller) {
            query.within = within
            rows = try await self.stores.costs.costReport(query)
        }
        return try Self.encode(CostReportView(query: query, rows: rows))
    }

    /// `from` and `to` of a cost query (Unix seconds or RFC 3339): by default the 30 days up to
    /// the end of the current minute, so the latest requests count.
    static func costWindow(_ parameters: Parameters) throws(KeelError) -> (from: Int64, to: Int64) {
        let now = WallClock.unixMicros() / 1_000_000
        let to = try parameters["to"].map { text throws(KeelError) in try Self.time(String(text), name: "to") } ?? (now - now % 60 + 60)
        let from = try parameters["from"].map { text throws(KeelError) in try Self.time(String(text), name: "from") } ?? (to - 30 * 86_400)
        return (from, to)
    }

    /// What costs `caller` may read: `.some(nil)` everything, `.some(scope)` one team's or
    /// organisation's, `nil` nothing.
    static func costScope(_ caller: AdminCaller) -> CostReportQuery.Scope?? {
        switch AdminAuthorization.listScope(caller) {
        case .everything: .some(nil)
        case .nothing: nil
        case .within(let scope):
            if let team = scope.teamID { .some(.team(team)) } else if let org = scope.orgID { .some(.org(org)) } else { nil }
        }
    }

    /// Unix seconds, an RFC 3339 date (midnight UTC) or an RFC 3339 date-time.
    static func time(_ text: String, name: String) throws(KeelError) -> Int64 {
        if let seconds = Int64(text) { return seconds }
        let invalid = KeelError.invalidRequest(
            "Invalid '\(name)': Unix seconds or an RFC 3339 date (2026-11-01) or date-time (2026-11-01T00:00:00Z).",
            param: name)
        let full = text.count == 10 ? text + "T00:00:00Z" : text
        guard let date = try? Date(full, strategy: .iso8601) else { throw invalid }
        return Int64(date.timeIntervalSince1970.rounded(.down))
    }

    /// A cost report as the admin API shows it.
    struct CostReportView: Encodable {
        let query: CostReportQuery
        let rows: [CostReportRow]

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ string: String) { self.stringValue = string }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        static func encode(_ totals: CostTotals, into container: inout KeyedEncodingContainer<Key>) throws {
            try container.encode(totals.requests, forKey: Key("requests"))
            try container.encode(totals.errors, forKey: Key("errors"))
            try container.encode(totals.inputTokens, forKey: Key("input_tokens"))
            try container.encode(totals.outputTokens, forKey: Key("output_tokens"))
            try container.encode(totals.cachedInputTokens, forKey: Key("cached_input_tokens"))
            try container.encode(totals.cacheWriteTokens, forKey: Key("cache_write_tokens"))
            try container.encode(totals.reasoningTokens, forKey: Key("reasoning_tokens"))
            try container.encode(totals.cost.rawValue, forKey: Key("cost_nanos"))
            try container.encode(totals.cost.decimalString, forKey: Key("cost_usd"))
            // Of the cost, the part the gateway estimated for streams cut before their usage came.
            try container.encode(totals.estimatedCost.rawValue, forKey: Key("estimated_cost_nanos"))
            try container.encode(totals.estimatedCost.decimalString, forKey: Key("estimated_cost_usd"))
            try container.encode(totals.cacheHits, forKey: Key("cache_hits"))
            try container.encode(totals.cacheSavedCost.rawValue, forKey: Key("cache_saved_nanos"))
            try container.encode(totals.cacheSavedCost.decimalString, forKey: Key("cache_saved_usd"))
        }

        struct RowView: Encodable {
            let groupBy: [CostDimension]
            let row: CostReportRow
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Key.self)
                if let bucket = self.row.bucket { try container.encode(bucket, forKey: Key("bucket")) }
                for (dimension, value) in zip(self.groupBy, self.row.dimensions) {
                    try container.encode(value, forKey: Key(dimension.description))
                }
                try CostReportView.encode(self.row.totals, into: &container)
            }
        }

        struct TotalsView: Encodable {
            let totals: CostTotals
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Key.self)
                try CostReportView.encode(self.totals, into: &container)
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(self.query.from - self.query.from % 60, forKey: Key("from"))
            try container.encode(self.query.to - self.query.to % 60, forKey: Key("to"))
            try container.encode(self.query.interval.rawValue, forKey: Key("interval"))
            try container.encode(self.query.groupBy.map(\.description), forKey: Key("group_by"))
            try container.encode(self.rows.map { RowView(groupBy: self.query.groupBy, row: $0) }, forKey: Key("data"))
            var total = CostTotals()
            for row in self.rows { total.add(row.totals) }
            try container.encode(TotalsView(totals: total), forKey: Key("total"))
        }
    }
}
