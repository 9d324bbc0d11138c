import KeelCore
import KeelStorage
import Testing

/// Usage profiles (the evidence of cost recommendations) from the raw log, on every backend.
@Suite("CostReportStore usage profiles conformance")
struct UsageProfileConformanceTests {
    /// 2026-11-01T00:00:00Z.
    static let day0: Int64 = 1_793_491_200

    static func record(
        _ id: String,
        second: Int64,
        team: TeamID? = "search",
        project: ProjectID? = "ranking",
        key: KeyID = "key-a",
        org: OrgID? = "acme",
        model: String? = "gpt-x",
        operation: String = "chat.completions",
        input: Int64 = 100,
        output: Int64 = 10,
        cached: Int64 = 0,
        features: RequestFeatures = [],
        prefix: Int64? = nil,
        outcome: RequestRecord.Outcome = .success
    ) -> RequestRecord {
        var record = RequestRecord.fixture(
            id, at: (Self.day0 + second) * 1_000_000, keyID: key, teamID: team, projectID: project, model: model,
            outcome: outcome, cost: input * 2 + output * 8, orgID: org)
        record.operation = operation
        record.usage = TokenUsage(inputTokens: input, outputTokens: output, cachedInputTokens: cached)
        record.features = features
        record.promptPrefixHash = prefix
        return record
    }

    static let prefixA: Int64 = -7_312_345_678_901_234_567
    static let prefixB: Int64 = 42

    static let records: [RequestRecord] = [
        // search/ranking on gpt-x: A three times, B twice, one without a fingerprint.
        record("r1", second: 10, input: 2_000, features: .tools, prefix: prefixA),
        record("r2", second: 20, input: 2_100, prefix: prefixA),
        record("r3", second: 30, input: 2_200, features: [.tools, .images], prefix: prefixA, outcome: .error),
        record("r4", second: 40, input: 3_000, cached: 500, prefix: prefixB),
        record("r5", second: 50, input: 3_100, prefix: prefixB),
        record("r6", second: 60, input: 50),
        // Another scope sending prefix A once: not a repeat of search's, and one A alone is none.
        record("r7", second: 70, team: "ads", project: nil, input: 2_000, prefix: prefixA),
        // Another prefix alone in its scope and deployment.
        record("r8", second: 80, model: "gpt-y", input: 4_000, prefix: prefixB),
        // No team, no project: attributed to the key.
        record("r9", second: 90, team: nil, project: nil, key: "key-z", org: nil, input: 10),
        // Left out: outside the window, not a chat, not served by an upstream.
        record("x1", second: 86_400, input: 9_999, prefix: prefixA),
        record("x2", second: 100, operation: "embeddings", input: 9_999),
        record("x3", second: 110, model: nil, input: 9_999),
    ]

    @Test(arguments: StoreBackend.enabled)
    func profilesGroupTheWindowByScopeAndDeploymentAndCountRepeatedPrefixes(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            try await stores.requests.append(Self.records)
            let query = UsageProfileQuery(from: Self.day0, to: Self.day0 + 86_400)
            let profiles = try await stores.costs.usageProfiles(query)
            let search = UsageProfile(
                team: "search", project: "ranking", model: "gpt-x", provider: "openai", deployment: "gpt-x-2025",
                totals: CostTotals(
                    requests: 6, errors: 1, inputTokens: 12_450, outputTokens: 60, cachedInputTokens: 500,
                    cost: USDNanos(12_450 * 2 + 60 * 8)),
                requestsWithTools: 2, requestsWithImages: 1,
                repeatedPrefixRequests: 5, repeatedPrefixes: 2, repeatedPrefixInputTokens: 12_400)
            let searchY = UsageProfile(
                team: "search", project: "ranking", model: "gpt-y", provider: "openai", deployment: "gpt-y-2025",
                totals: CostTotals(requests: 1, inputTokens: 4_000, outputTokens: 10, cost: USDNanos(8_080)))
            let ads = UsageProfile(
                team: "ads", model: "gpt-x", provider: "openai", deployment: "gpt-x-2025",
                totals: CostTotals(requests: 1, inputTokens: 2_000, outputTokens: 10, cost: USDNanos(4_080)))
            let key = UsageProfile(
                key: "key-z", model: "gpt-x", provider: "openai", deployment: "gpt-x-2025",
                totals: CostTotals(requests: 1, inputTokens: 10, outputTokens: 10, cost: USDNanos(100)))
            #expect(profiles == [key, ads, search, searchY])

            #expect(try await stores.costs.usageProfiles(UsageProfileQuery(from: Self.day0, to: Self.day0 + 86_400, within: .team("ads"))) == [ads])
            #expect(
                try await stores.costs.usageProfiles(UsageProfileQuery(from: Self.day0, to: Self.day0 + 86_400, within: .org("acme")))
                    == [ads, search, searchY])
            #expect(try await stores.costs.usageProfiles(UsageProfileQuery(from: Self.day0 + 86_400 * 2, to: Self.day0 + 86_400 * 3)).isEmpty)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func featuresAndPromptFingerprintsRoundTrip(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            try await stores.requests.append(Self.records)
            let stored = try await stores.requests.records(matching: RequestRecordQuery(limit: 100))
            let byID = Dictionary(uniqueKeysWithValues: stored.map { ($0.id, $0) })
            for record in Self.records {
                #expect(byID[record.id] == record)
            }
            #expect(byID["r3"]?.features == [.tools, .images])
            #expect(byID["r1"]?.promptPrefixHash == Self.prefixA)
        }
    }
}
