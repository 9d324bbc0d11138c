import KeelCore
import Testing

@Suite("Money: integer nano-dollars and token rates")
struct MoneyTests {
    @Test func tokenCostsRoundHalfUpToTheNanoDollar() {
        #expect(TokenRate(2_500_000).cost(of: 123) == USDNanos(307_500))
        #expect(TokenRate(37_500).cost(of: 1) == USDNanos(38))
        #expect(TokenRate(dollarsPerMillion: "0.0375") == TokenRate(37_500))
        #expect(TokenRate(dollarsPerMillion: "2.50") == TokenRate(2_500_000))
        #expect(TokenRate(dollarsPerMillion: "15") == TokenRate(15_000_000))
        #expect(TokenRate(dollarsPerMillion: "1.2345678") == nil)
        #expect(TokenRate(dollarsPerMillion: "-1") == nil)
        #expect(TokenRate(dollarsPerMillion: "abc") == nil)
    }

    @Test func cachedAndCacheWriteTokensArePricedSeparately() {
        let sonnet = ModelPrice(usd: "3.00", "15.00", cached: "0.30", write: "3.75", write1h: "6.00")
        let usage = TokenUsage(inputTokens: 10_000, outputTokens: 1_000, cachedInputTokens: 4_000, cacheWriteTokens: 2_000, cacheWrite1hTokens: 1_000)
        // 3000 × 3 µ$ + 4000 × 0.3 + 2000 × 3.75 + 1000 × 6 + 1000 × 15, in µ$ → n$
        #expect(sonnet.cost(of: usage) == USDNanos(9_000_000 + 1_200_000 + 7_500_000 + 6_000_000 + 15_000_000))
    }

    @Test func catalogMatchesDatedModelNamesByTheLongestPrefix() {
        let catalog = PriceCatalog.builtIn()
        #expect(catalog.price(for: "gpt-4o-2024-08-06") == catalog.price(for: "gpt-4o"))
        #expect(catalog.price(for: "gpt-4o-mini-2024-07-18") == catalog.price(for: "gpt-4o-mini"))
        #expect(catalog.price(for: "claude-3-5-haiku-20241022") == catalog.price(for: "claude-3-5-haiku"))
        #expect(catalog.price(for: "unknown-model") == nil)
        #expect(catalog.cost(of: TokenUsage(inputTokens: 1_000_000), model: "gpt-4o") == USDNanos(2_500_000_000))
        let overridden = PriceCatalog.builtIn(overrides: ["gpt-4o": ModelPrice(usd: "1", "1")])
        #expect(overridden.cost(of: TokenUsage(inputTokens: 1_000_000), model: "gpt-4o") == USDNanos(1_000_000_000))
    }

    @Test func decimalStringsHaveNineFractionalDigits() {
        #expect(USDNanos(307_500).decimalString == "0.000307500")
        #expect(USDNanos(12_000_000_001).decimalString == "12.000000001")
        #expect(USDNanos(-5).decimalString == "-0.000000005")
    }
}
