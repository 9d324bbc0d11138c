import KeelCore
import KeelOps
import KeelStorage
import Testing

@Suite("CostRecommender")
struct CostRecommenderTests {
    static let month: Int64 = 30 * 86_400
    let recommender = CostRecommender(prices: .builtIn())

    func profile(
        deployment: String,
        requests: Int64,
        input: Int64,
        output: Int64,
        cached: Int64 = 0,
        cost: USDNanos = USDNanos(1_000_000_000),
        tools: Int64 = 0,
        images: Int64 = 0,
        repeated: Int64 = 0,
        prefixes: Int64 = 0,
        repeatedInput: Int64 = 0
    ) -> UsageProfile {
        UsageProfile(
            team: "search", project: "ranking", model: "chat", provider: "upstream", deployment: deployment,
            totals: CostTotals(requests: requests, inputTokens: input, outputTokens: output, cachedInputTokens: cached, cost: cost),
            requestsWithTools: tools, requestsWithImages: images,
            repeatedPrefixRequests: repeated, repeatedPrefixes: prefixes, repeatedPrefixInputTokens: repeatedInput)
    }

    @Test func shortSimplePromptsToAnExpensiveModelGetTheCheaperModelOfItsFamily() throws {
        let profile = self.profile(deployment: "gpt-4o", requests: 1_000, input: 200_000, output: 50_000)
        let suggestion = try #require(self.recommender.recommendations(for: [profile], windowSeconds: Self.month).first)
        #expect(suggestion.kind == .cheaperModel)
        #expect(suggestion.scope == .init(team: "search", project: "ranking"))
        #expect(suggestion.currentModel == "gpt-4o")
        // The dearest OpenAI chat model at no more than half gpt-4o's blended $4.375/M:
        // gpt-4.1-mini ($0.70/M), not gpt-5-mini ($0.6875/M) nor a reasoning model.
        #expect(suggestion.suggestedModel == "gpt-4.1-mini")
        // gpt-4o: 200k × $2.50/M + 50k × $10/M = $1.00; gpt-4.1-mini: 200k × $0.40/M + 50k × $1.60/M = $0.16.
        #expect(suggestion.projectedMonthlySaving == USDNanos(840_000_000))
        #expect(suggestion.evidence.requests == 1_000)
        #expect(suggestion.evidence.averageInputTokens == 200 && suggestion.evidence.averageOutputTokens == 50)
        #expect(suggestion.evidence.currentMonthlyCost == USDNanos(1_000_000_000))
    }

    @Test func savingsAndCostsAreProjectedToThirtyDays() throws {
        let profile = self.profile(deployment: "gpt-4o", requests: 1_000, input: 200_000, output: 50_000)
        let suggestion = try #require(self.recommender.recommendations(for: [profile], windowSeconds: Self.month / 2).first)
        #expect(suggestion.projectedMonthlySaving == USDNanos(1_680_000_000))
        #expect(suggestion.evidence.currentMonthlyCost == USDNanos(2_000_000_000))
        #expect(CostRecommender.monthly(USDNanos(7), window: Self.month * 2) == USDNanos(3))
        #expect(CostRecommender.monthly(USDNanos(.max / 2), window: 86_400) == USDNanos(.max))
    }

    @Test(arguments: [
        ("tools", 1 as Int64, 0 as Int64, 200_000 as Int64, 50_000 as Int64, 1_000 as Int64),
        ("images", 0, 1, 200_000, 50_000, 1_000),
        ("long prompts", 0, 0, 2_000_000, 50_000, 1_000),
        ("long answers", 0, 0, 200_000, 500_000, 1_000),
        ("too few requests", 0, 0, 2_000, 500, 10),
    ])
    func noCheaperModelForTrafficThatIsNotShortAndSimple(
        _ reason: String, tools: Int64, images: Int64, input: Int64, output: Int64, requests: Int64
    ) {
        let profile = self.profile(
            deployment: "gpt-4o", requests: requests, input: input, output: output, tools: tools, images: images)
        #expect(self.recommender.recommendations(for: [profile], windowSeconds: Self.month).isEmpty, "\(reason)")
    }

    @Test func noCheaperModelWhenTheFamilyHasNoneAtHalfThePrice() {
        // gpt-4o-mini ($0.2625/M blended): gpt-5-nano ($0.1375/M) is over half of it.
        let profile = self.profile(deployment: "gpt-4o-mini", requests: 1_000, input: 200_000, output: 50_000)
        #expect(self.recommender.recommendations(for: [profile], windowSeconds: Self.month).isEmpty)
        // A model the catalog does not price gets nothing either.
        let unknown = self.profile(deployment: "in-house-llm", requests: 1_000, input: 200_000, output: 50_000)
        #expect(self.recommender.recommendations(for: [unknown], windowSeconds: Self.month).isEmpty)
    }

    @Test func repeatedLongPromptsWithoutCacheReadsGetPromptCaching() throws {
        // 100 of 120 requests repeat one of 4 prefixes; none read the cache. Long answers keep
        // the cheaper-model rule out of it.
        let profile = self.profile(
            deployment: "claude-sonnet-4-5", requests: 120, input: 360_000, output: 120_000,
            repeated: 100, prefixes: 4, repeatedInput: 300_000)
        let suggestions = self.recommender.recommendations(for: [profile], windowSeconds: Self.month)
        #expect(suggestions.count == 1)
        let suggestion = try #require(suggestions.first)
        #expect(suggestion.kind == .promptCaching)
        #expect(suggestion.suggestedModel == nil)
        #expect(suggestion.evidence.repeatedPrefixRequests == 100)
        // 96 reads of 1,024 tokens at $3.00 − $0.30 per M = 265,420,800 n$; 4 writes of 1,024
        // tokens at the $0.75 per M write premium = 3,072,000 n$.
        #expect(suggestion.projectedMonthlySaving == USDNanos(262_348_800))
    }

    @Test func promptCachingUsesTheRepeatedPromptsAverageWhenShorterThanTheFingerprint() throws {
        // gpt-4.1 has no write premium; 20 requests over 2 prefixes averaging 900 tokens.
        let profile = self.profile(
            deployment: "gpt-4.1", requests: 20, input: 18_000, output: 20_000, repeated: 20, prefixes: 2, repeatedInput: 18_000)
        let suggestion = try #require(self.recommender.recommendations(for: [profile], windowSeconds: Self.month).first)
        // 18 reads × 900 tokens at $2.00 − $0.50 per M.
        #expect(suggestion.projectedMonthlySaving == USDNanos(24_300_000))
    }

    @Test func noPromptCachingWhenTheCacheIsReadOrTheModelHasNoCachedPrice() {
        let reading = self.profile(
            deployment: "claude-sonnet-4-5", requests: 120, input: 360_000, output: 120_000, cached: 10_000,
            repeated: 100, prefixes: 4, repeatedInput: 300_000)
        #expect(self.recommender.recommendations(for: [reading], windowSeconds: Self.month).isEmpty)
        let custom = CostRecommender(prices: PriceCatalog(prices: ["plain": ModelPrice(usd: "3.00", "15.00")]))
        let plain = self.profile(
            deployment: "plain", requests: 120, input: 360_000, output: 120_000, repeated: 100, prefixes: 4, repeatedInput: 300_000)
        #expect(custom.recommendations(for: [plain], windowSeconds: Self.month).isEmpty)
    }

    @Test func suggestionsComeLargestSavingFirst() {
        let small = self.profile(deployment: "gpt-4o", requests: 100, input: 20_000, output: 5_000)
        var large = self.profile(deployment: "claude-opus-4-5", requests: 1_000, input: 200_000, output: 50_000)
        large.team = "ads"
        let suggestions = self.recommender.recommendations(for: [small, large], windowSeconds: Self.month)
        #expect(suggestions.map(\.currentModel) == ["claude-opus-4-5", "gpt-4o"])
        #expect(suggestions.first?.suggestedModel == "claude-haiku-4-5")
    }

    @Test func familiesFollowTheCatalogNames() {
        #expect(CostRecommender.family(of: "gpt-4o-2024-08-06") == "openai")
        #expect(CostRecommender.family(of: "o4-mini") == "openai-reasoning")
        #expect(CostRecommender.family(of: "claude-3-5-haiku") == "anthropic")
        #expect(CostRecommender.family(of: "gemini-2.5-flash") == "google")
        #expect(CostRecommender.family(of: "keel-sim-chat") == "keel-sim")
        #expect(CostRecommender.family(of: "mistral-large") == "mistral")
    }
}
