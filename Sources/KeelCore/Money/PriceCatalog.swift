/// Prices by upstream model name: the built-in list for current OpenAI, Anthropic and Gemini
/// models, overlaid with the prices from configuration.
///
/// Lookup is exact first, then by the longest catalog name that prefixes the model followed by
/// `-` (so `gpt-4o-2024-08-06` is priced as `gpt-4o` and `gpt-4o-mini-…` as `gpt-4o-mini`).
public struct PriceCatalog: Sendable {
    public private(set) var prices: [String: ModelPrice]

    public init(prices: [String: ModelPrice]) {
        self.prices = prices
    }

    /// The built-in catalog, with `overrides` replacing entries of the same name.
    public static func builtIn(overrides: [String: ModelPrice] = [:]) -> PriceCatalog {
        var catalog = PriceCatalog(prices: Self.builtInPrices)
        for (name, price) in overrides { catalog.prices[name] = price }
        return catalog
    }

    public func price(for model: String) -> ModelPrice? {
        if let exact = self.prices[model] { return exact }
        var best: (name: String, price: ModelPrice)?
        for (name, price) in self.prices
        where model.hasPrefix(name + "-") && name.count > (best?.name.count ?? 0) {
            best = (name, price)
        }
        return best?.price
    }

    /// The cost of `usage` on `model`, or zero when the model has no price.
    public func cost(of usage: TokenUsage, model: String) -> USDNanos {
        self.price(for: model)?.cost(of: usage) ?? .zero
    }

    /// Prices in dollars per million tokens, from the providers' public price pages (late 2026).
    /// Anthropic cache writes cost 1.25× input (5 minutes) and 2× input (1 hour); reads 0.1×.
    static let builtInPrices: [String: ModelPrice] = [
        // OpenAI
        "gpt-5": ModelPrice(usd: "1.25", "10.00", cached: "0.125"),
        "gpt-5-mini": ModelPrice(usd: "0.25", "2.00", cached: "0.025"),
        "gpt-5-nano": ModelPrice(usd: "0.05", "0.40", cached: "0.005"),
        "gpt-4.1": ModelPrice(usd: "2.00", "8.00", cached: "0.50"),
        "gpt-4.1-mini": ModelPrice(usd: "0.40", "1.60", cached: "0.10"),
        "gpt-4.1-nano": ModelPrice(usd: "0.10", "0.40", cached: "0.025"),
        "gpt-4o": ModelPrice(usd: "2.50", "10.00", cached: "1.25"),
        "gpt-4o-mini": ModelPrice(usd: "0.15", "0.60", cached: "0.075"),
        "o1": ModelPrice(usd: "15.00", "60.00", cached: "7.50"),
        "o3": ModelPrice(usd: "2.00", "8.00", cached: "0.50"),
        "o3-mini": ModelPrice(usd: "1.10", "4.40", cached: "0.55"),
        "o4-mini": ModelPrice(usd: "1.10", "4.40", cached: "0.275"),
        "text-embedding-3-small": ModelPrice(usd: "0.02", "0"),
        "text-embedding-3-large": ModelPrice(usd: "0.13", "0"),
        "text-embedding-ada-002": ModelPrice(usd: "0.10", "0"),
        // Anthropic
        "claude-opus-4-5": ModelPrice(usd: "5.00", "25.00", cached: "0.50", write: "6.25", write1h: "10.00", searchesPerThousand: "10.00"),
        "claude-opus-4-1": ModelPrice(usd: "15.00", "75.00", cached: "1.50", write: "18.75", write1h: "30.00", searchesPerThousand: "10.00"),
        "claude-opus-4": ModelPrice(usd: "15.00", "75.00", cached: "1.50", write: "18.75", write1h: "30.00", searchesPerThousand: "10.00"),
        "claude-sonnet-4-5": ModelPrice(usd: "3.00", "15.00", cached: "0.30", write: "3.75", write1h: "6.00", searchesPerThousand: "10.00"),
        "claude-sonnet-4": ModelPrice(usd: "3.00", "15.00", cached: "0.30", write: "3.75", write1h: "6.00", searchesPerThousand: "10.00"),
        "claude-3-7-sonnet": ModelPrice(usd: "3.00", "15.00", cached: "0.30", write: "3.75", write1h: "6.00", searchesPerThousand: "10.00"),
        "claude-haiku-4-5": ModelPrice(usd: "1.00", "5.00", cached: "0.10", write: "1.25", write1h: "2.00", searchesPerThousand: "10.00"),
        "claude-3-5-haiku": ModelPrice(usd: "0.80", "4.00", cached: "0.08", write: "1.00", write1h: "1.60", searchesPerThousand: "10.00"),
        "claude-3-haiku": ModelPrice(usd: "0.25", "1.25", cached: "0.03", write: "0.30", write1h: "0.50", searchesPerThousand: "10.00"),
        // Google Gemini (prompts up to 200k tokens)
        "gemini-2.5-pro": ModelPrice(usd: "1.25", "10.00", cached: "0.125"),
        "gemini-2.5-flash": ModelPrice(usd: "0.30", "2.50", cached: "0.03"),
        "gemini-2.5-flash-lite": ModelPrice(usd: "0.10", "0.40", cached: "0.01"),
        "gemini-2.0-flash": ModelPrice(usd: "0.10", "0.40", cached: "0.025"),
        "gemini-embedding-001": ModelPrice(usd: "0.15", "0"),
        // The built-in simulator, priced so that cost accounting is visible without real keys.
        "keel-sim-chat": ModelPrice(usd: "1.00", "2.00", cached: "0.10"),
        "keel-sim-embed": ModelPrice(usd: "0.02", "0"),
        "keel-sim-claude": ModelPrice(usd: "1.00", "5.00", cached: "0.10", write: "1.25", write1h: "2.00", searchesPerThousand: "10.00"),
        "keel-sim-gemini": ModelPrice(usd: "0.30", "2.50", cached: "0.03"),
    ]
}
