/// What one model costs per token kind. Missing cache rates fall back to the input rate.
public struct ModelPrice: Sendable, Equatable, Hashable, Codable {
    public var input: TokenRate
    public var output: TokenRate
    public var cachedInput: TokenRate?
    public var cacheWrite: TokenRate?
    public var cacheWrite1h: TokenRate?
    /// The price of one server-side web search, when the provider bills searches.
    public var webSearch: USDNanos?

    public init(
        input: TokenRate,
        output: TokenRate,
        cachedInput: TokenRate? = nil,
        cacheWrite: TokenRate? = nil,
        cacheWrite1h: TokenRate? = nil,
        webSearch: USDNanos? = nil
    ) {
        self.input = input
        self.output = output
        self.cachedInput = cachedInput
        self.cacheWrite = cacheWrite
        self.cacheWrite1h = cacheWrite1h
        self.webSearch = webSearch
    }

    /// A price from dollars per million tokens, e.g. `ModelPrice(usd: "2.50", "10.00", cached: "1.25")`,
    /// and web searches in dollars per thousand. Programmer error when a literal is not a decimal.
    public init(
        usd input: String,
        _ output: String,
        cached: String? = nil,
        write: String? = nil,
        write1h: String? = nil,
        searchesPerThousand: String? = nil
    ) {
        func rate(_ text: String) -> TokenRate {
            guard let rate = TokenRate(dollarsPerMillion: text) else { preconditionFailure("bad price literal \(text)") }
            return rate
        }
        self.init(
            input: rate(input),
            output: rate(output),
            cachedInput: cached.map(rate),
            cacheWrite: write.map(rate),
            cacheWrite1h: write1h.map(rate),
            // $X per thousand searches is X × 10⁶ n$ per search: the number `TokenRate` holds
            // for $X per million tokens, so it parses the literal exactly.
            webSearch: searchesPerThousand.map { USDNanos(rate($0).microUSDPerMillionTokens) }
        )
    }

    /// The cost of `usage`: each token kind at its rate, each rounded once, half-up.
    public func cost(of usage: TokenUsage) -> USDNanos {
        self.input.cost(of: usage.uncachedInputTokens)
            + (self.cachedInput ?? self.input).cost(of: usage.cachedInputTokens)
            + (self.cacheWrite ?? self.input).cost(of: usage.cacheWriteTokens)
            + (self.cacheWrite1h ?? self.cacheWrite ?? self.input).cost(of: usage.cacheWrite1hTokens)
            + self.output.cost(of: usage.outputTokens)
            + USDNanos((self.webSearch?.rawValue ?? 0) * usage.webSearchRequests)
    }

    /// One representative price per token: three input tokens to one output token, the blend
    /// price comparisons commonly quote, `(3 · input + output) / 4`, rounded down to the
    /// micro-dollar per million tokens. ``RoutingStrategy/leastCost`` orders deployments by it.
    public var blendedRate: TokenRate {
        TokenRate((3 * self.input.microUSDPerMillionTokens + self.output.microUSDPerMillionTokens) / 4)
    }
}
