import KeelCore
import KeelStorage
import Testing

/// Reports from the rollups must equal sums over the raw records, on every backend.
@Suite("CostReportStore conformance")
struct CostReportStoreConformanceTests {
    /// 2026-11-01T00:00:00Z.
    static let day0: Int64 = 1_793_491_200

    /// A few thousand records across four days, teams, models, providers, users, keys and tags,
    /// at irregular seconds, appended in batches of 500 so several batches touch the same rollups.
    static let records: [RequestRecord] = {
        var records: [RequestRecord] = []
        var random = SplitMix(seed: 7)
        let teams: [TeamID?] = ["search", "ads", "labs", nil]
        let models = ["gpt-a", "gpt-b", "claude-c"]
        let providers: [String?] = ["openai", "anthropic", nil]
        let envs = ["prod", "dev", "staging"]
        for index in 0..<3_000 {
            let second = Int64(random.next() % UInt64(4 * 86_400))
            let team = teams[Int(random.next() % 4)]
            var tags: [String: String] = [:]
            if random.next() % 3 != 0 { tags["env"] = envs[Int(random.next() % 3)] }
            if random.next() % 2 == 0 { tags["feature"] = "f\(random.next() % 4)" }
            let outcome = RequestRecord.Outcome.allCases[Int(random.next() % 4)]
            var record = RequestRecord.fixture(
                "cost-\(index)", at: (Self.day0 + second) * 1_000_000 + Int64(random.next() % 1_000_000),
                keyID: KeyID("key-\(random.next() % 5)"), teamID: team, projectID: random.next() % 2 == 0 ? "p1" : nil,
                userID: UserID("user-\(random.next() % 3)"), requestedModel: models[Int(random.next() % 3)],
                model: random.next() % 10 == 0 ? nil : models[Int(random.next() % 3)],
                provider: providers[Int(random.next() % 3)], outcome: outcome, cost: Int64(random.next() % 5_000_000),
                orgID: team == "labs" ? "globex" : (team == nil ? nil : "acme"), tags: tags)
            record.usage = TokenUsage(
                inputTokens: Int64(random.next() % 1_000), outputTokens: Int64(random.next() % 500),
                cachedInputTokens: Int64(random.next() % 100), cacheWriteTokens: Int64(random.next() % 50),
                cacheWrite1hTokens: Int64(random.next() % 20), reasoningTokens: Int64(random.next() % 30))
            records.append(record)
        }
        return records
    }()

    /// The report computed by brute force over `records`.
    static func expected(_ query: CostReportQuery, _ records: [RequestRecord]) -> [CostReportRow] {
        func value(_ dimension: CostDimension, _ record: RequestRecord) -> String? {
            switch dimension {
            case .org: record.orgID?.rawValue
            case .team: record.teamID?.rawValue
            case .project: record.projectID?.rawValue
            case .user: record.userID?.rawValue
            case .key: record.keyID?.rawValue
            case .model: (record.model?.isEmpty ?? true) ? record.requestedModel : record.model
            case .provider: record.provider
            case .tag(let key): record.tags[key]
            }
        }
        let from = query.from - query.from % 60
        let to = query.to - query.to % 60
        var sums: [[String]: (Int64?, [String?], CostTotals)] = [:]
        for record in records {
            let second = record.startedAt / 1_000_000
            guard second >= from, second < to else { continue }
            if let tagKey = query.tagKey, record.tags[tagKey] == nil { continue }
            guard query.filters.allSatisfy({ value($0.key, record) == $0.value }) else { continue }
            switch query.within {
            case .team(let team): guard record.teamID == team else { continue }
            case .org(let org): guard record.orgID == org else { continue }
            case nil: break
            }
            let width: Int64? =
                switch query.interval {
                case .minute: 60
                case .hour: 3_600
                case .day: 86_400
                case .none: nil
                }
            let bucket = width.map { second - second % $0 }
            let dimensions = query.groupBy.map { value($0, record) }
            let key = [bucket.map(String.init) ?? ""] + dimensions.map { $0 ?? "" }
            sums[key, default: (bucket, dimensions, CostTotals())].2.add(record)
        }
        return sums.sorted { lhs, rhs in
            if lhs.value.0 != rhs.value.0 { return (lhs.value.0 ?? 0) < (rhs.value.0 ?? 0) }
            return lhs.value.1.map { $0 ?? "" }.lexicographicallyPrecedes(rhs.value.1.map { $0 ?? "" })
        }
        .map { CostReportRow(bucket: $0.value.0, dimensions: $0.value.1, totals: $0.value.2) }
    }

    static let queries: [CostReportQuery] = {
        let d = Self.day0
        return [
            CostReportQuery(groupBy: [], interval: .none, from: d, to: d + 4 * 86_400),
            CostReportQuery(groupBy: [.team, .model], interval: .day, from: d, to: d + 4 * 86_400),
            // Edges: hours and minutes around whole days.
            CostReportQuery(groupBy: [.org, .provider], interval: .none, from: d + 3_600 * 5 + 60 * 7, to: d + 3 * 86_400 + 3_600 * 2 + 60 * 13),
            CostReportQuery(groupBy: [.user, .key, .project], interval: .hour, from: d + 86_400 - 60 * 30, to: d + 2 * 86_400 + 60 * 90),
            CostReportQuery(groupBy: [.model], interval: .minute, from: d + 3_600 * 10 + 60 * 3, to: d + 3_600 * 12 + 60 * 4),
            // Seconds are rounded down to the minute.
            CostReportQuery(groupBy: [.team], interval: .day, from: d + 3_601 + 59, to: d + 2 * 86_400 + 119),
            // Filters and scopes.
            CostReportQuery(groupBy: [.model], interval: .day, from: d, to: d + 4 * 86_400, filters: [.team: "search", .provider: "openai"]),
            CostReportQuery(groupBy: [.team], interval: .none, from: d, to: d + 4 * 86_400, within: .org("acme")),
            CostReportQuery(groupBy: [.model], interval: .none, from: d + 7_200, to: d + 86_400 * 2, within: .team("ads")),
            // Tags.
            CostReportQuery(groupBy: [.tag("env"), .model], interval: .day, from: d, to: d + 4 * 86_400),
            CostReportQuery(groupBy: [.team], interval: .hour, from: d + 3_600, to: d + 86_400 + 60 * 45, filters: [.tag("env"): "prod"]),
            CostReportQuery(groupBy: [.tag("feature")], interval: .none, from: d + 60 * 5, to: d + 3 * 86_400, filters: [.tag("feature"): "f1", .org: "acme"], within: .team("search")),
            // Nothing in range.
            CostReportQuery(groupBy: [.team], interval: .none, from: d - 86_400, to: d),
        ]
    }()

    @Test(arguments: StoreBackend.enabled)
    func reportsFromRollupsEqualSumsOverTheRawRecords(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            var start = 0
            while start < Self.records.count {
                let end = min(start + 500, Self.records.count)
                try await stores.requests.append(Array(Self.records[start..<end]))
                start = end
            }
            for query in Self.queries {
                let report = try await stores.costs.costReport(query)
                let expected = Self.expected(query, Self.records)
                #expect(report == expected, "\(query.groupBy) \(query.interval) \(query.from)..<\(query.to) \(query.filters)")
            }
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func bucketEdgesIncludeFromAndExcludeTo(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let d = Self.day0
            let records = [d, d + 59, d + 60, d + 3_599, d + 3_600, d + 86_399, d + 86_400].enumerated().map {
                RequestRecord.fixture("edge-\($0.offset)", at: $0.element * 1_000_000, cost: 10)
            }
            try await stores.requests.append(records)
            func total(_ from: Int64, _ to: Int64, _ interval: CostInterval = .none) async throws -> Int64 {
                try await stores.costs.costReport(CostReportQuery(interval: interval, from: from, to: to))
                    .reduce(0) { $0 + $1.totals.requests }
            }
            #expect(try await total(d, d + 60) == 2)
            #expect(try await total(d + 60, d + 3_600) == 2)
            #expect(try await total(d, d + 86_400) == 6)
            #expect(try await total(d, d + 86_400 + 60) == 7)
            #expect(try await total(d + 3_600, d + 86_400) == 2)
            #expect(try await total(d, d) == 0)
            let hours = try await stores.costs.costReport(CostReportQuery(interval: .hour, from: d, to: d + 86_400 * 2))
            #expect(hours.map(\.bucket) == [d, d + 3_600, d + 86_400 - 3_600, d + 86_400])
            #expect(hours.map(\.totals.requests) == [4, 1, 1, 1])
            #expect(hours.allSatisfy { $0.totals.cost == USDNanos($0.totals.requests * 10) })
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func aRefusedBatchLeavesTheRollupsUnchanged(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let d = Self.day0
            try await stores.requests.append([.fixture("a", at: d * 1_000_000, cost: 5)])
            await #expect(throws: StorageError.self) {
                try await stores.requests.append([.fixture("b", at: d * 1_000_000, cost: 5), .fixture("a", at: d * 1_000_000)])
            }
            let report = try await stores.costs.costReport(CostReportQuery(from: d, to: d + 60))
            #expect(report.map(\.totals.requests) == [1])
            #expect(report.map(\.totals.cost) == [USDNanos(5)])
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func aTagCombinedWithDimensionsTheTagRollupLacksIsRefused(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let query = CostReportQuery(groupBy: [.tag("env"), .provider], from: 0, to: 60)
            #expect(query.problem?.parameter == "group_by")
            await #expect(throws: StorageError.self) { try await stores.costs.costReport(query) }
            #expect(CostReportQuery(groupBy: [.tag("a")], from: 0, to: 60, filters: [.tag("b"): "x"]).problem?.parameter == "tag")
        }
    }

    @Test func segmentsUseTheCoarsestRollupThatFits() {
        let d = Self.day0
        let query = CostReportQuery(interval: .none, from: d - 3_600 - 120, to: d + 86_400 + 3_600 + 180)
        #expect(
            query.segments.map { "\($0.granularity)" } == ["minute", "hour", "day", "hour", "minute"])
        #expect(query.segments.first?.from == d - 3_600 - 120)
        #expect(query.segments.last?.to == d + 86_400 + 3_600 + 180)
        #expect(CostReportQuery(interval: .minute, from: d, to: d + 86_400).segments.map(\.granularity) == [.minute])
        #expect(CostReportQuery(interval: .hour, from: d, to: d + 86_400).segments.map(\.granularity) == [.hour])
    }
}

/// A small deterministic generator, so the dataset is the same on every run and backend.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { self.state = seed }
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
