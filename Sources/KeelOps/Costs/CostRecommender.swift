public import KeelCore
public import KeelStorage

/// Turns the usage profiles of a window into right-sizing suggestions. A pure value: no I/O, no
/// clock; the caller reads the profiles (``CostReportStore/usageProfiles(_:)``) and passes the
/// window's length.
///
/// Money is integer nano-dollars throughout. Amounts over the window are scaled to a month of
/// 30 days: `amount × 2,592,000 / window seconds`, rounded down.
///
/// Rules, each applied to every profile (one scope × one deployment):
///
/// - **Cheaper model** (``CostRecommendation/Kind/cheaperModel``): at least
///   ``Configuration/minimumRequests`` requests, average input at most
///   ``Configuration/shortInputTokens`` and average output at most
///   ``Configuration/shortOutputTokens`` tokens, no request with tools or images; and the price
///   catalog holds a model of the same family (``family(of:)``) whose blended price
///   (``ModelPrice/blendedRate``) is at most ``Configuration/cheaperPriceRatio`` of the current
///   one's — of those, the dearest, so the step down is the smallest one that cuts the price
///   that much. Saving: the window's token volumes (uncached input, cached input, cache writes,
///   output) at the current model's catalog price minus the same volumes at the suggested one's.
/// - **Prompt caching** (``CostRecommendation/Kind/promptCaching``): the current model's price
///   has a cached-input rate below its input rate (its provider caches prompts), the profile read
///   nothing from the cache, and at least ``Configuration/minimumRepeatedRequests`` requests
///   share a prompt prefix fingerprint with another (``PromptTraits``). Each repeated prefix is
///   written once and read by every later request: with `R` repeated requests over `P` distinct
///   prefixes, `R − P` requests read `T` tokens from the cache, where `T` is the fingerprinted
///   prefix (1,024 tokens) or the repeated requests' average input if smaller. Saving: `(R − P) ·
///   T` tokens at (input − cached input) minus `P · T` tokens at (cache write − input) when
///   writes cost more than input (Anthropic). A lower bound: the shared prefix is often longer
///   than 1,024 tokens, and reads assume the cache lifetime covers the repeats.
///
/// A suggestion is made only when its projected saving exceeds ``Configuration/minimumMonthlySaving``.
/// Suggestions come largest saving first.
public struct CostRecommender: Sendable {
    /// Thresholds of the rules.
    public struct Configuration: Sendable, Equatable {
        public var minimumRequests: Int64
        public var shortInputTokens: Int64
        public var shortOutputTokens: Int64
        /// The suggested model's blended price is at most this share of the current one's.
        public var cheaperPriceRatio: Double
        public var minimumRepeatedRequests: Int64
        public var minimumMonthlySaving: USDNanos

        public init(
            minimumRequests: Int64 = 20,
            shortInputTokens: Int64 = 1_000,
            shortOutputTokens: Int64 = 300,
            cheaperPriceRatio: Double = 0.5,
            minimumRepeatedRequests: Int64 = 10,
            minimumMonthlySaving: USDNanos = .zero
        ) {
            self.minimumRequests = minimumRequests
            self.shortInputTokens = shortInputTokens
            self.shortOutputTokens = shortOutputTokens
            self.cheaperPriceRatio = cheaperPriceRatio
            self.minimumRepeatedRequests = minimumRepeatedRequests
            self.minimumMonthlySaving = minimumMonthlySaving
        }
    }

    public static let monthSeconds: Int64 = 30 * 86_400
    /// Tokens a prompt fingerprint stands for: ``PromptTraits/prefixBytes`` at about four bytes
    /// per token, the shortest prefix OpenAI and Anthropic cache.
    public static let fingerprintTokens: Int64 = 1_024

    public var prices: PriceCatalog
    public var configuration: Configuration

    public init(prices: PriceCatalog, configuration: Configuration = Configuration()) {
        self.prices = prices
        self.configuration = configuration
    }

    /// The suggestions for `profiles`, observed over `windowSeconds` seconds (at least 1).
    public func recommendations(for profiles: [UsageProfile], windowSeconds: Int64) -> [CostRecommendation] {
        let window = max(1, windowSeconds)
        var result: [CostRecommendation] = []
        for profile in profiles where profile.totals.requests > 0 {
            if let suggestion = self.cheaperModel(profile, window: window) { result.append(suggestion) }
            if let suggestion = self.promptCaching(profile, window: window) { result.append(suggestion) }
        }
        return result.filter { $0.projectedMonthlySaving > self.configuration.minimumMonthlySaving }
            .sorted {
                if $0.projectedMonthlySaving != $1.projectedMonthlySaving {
                    return $0.projectedMonthlySaving > $1.projectedMonthlySaving
                }
                return ($0.scope.description, $0.currentModel, $0.kind.rawValue) < ($1.scope.description, $1.currentModel, $1.kind.rawValue)
            }
    }

    /// The vendor family of a model name, by the naming schemes in the catalog: OpenAI's `gpt-…`
    /// are `openai` and its `o1`, `o3`, `o4-mini` `openai-reasoning`; `claude-…` is `anthropic`; `gemini-…` is `google`;
    /// `keel-sim-…` is the simulator's; any other name is its first `-`-separated word.
    public static func family(of model: String) -> String {
        let name = model.lowercased()
        if name.hasPrefix("gpt-") { return "openai" }
        // Reasoning models bill hidden reasoning tokens: never a replacement for a chat model.
        if let first = name.first, first == "o", name.dropFirst().first?.isNumber == true { return "openai-reasoning" }
        if name.hasPrefix("claude-") { return "anthropic" }
        if name.hasPrefix("gemini-") { return "google" }
        if name.hasPrefix("keel-sim-") { return "keel-sim" }
        return String(name.split(separator: "-").first ?? Substring(name))
    }

    /// `amount` over `window` seconds scaled to 30 days, without overflowing on large amounts.
    public static func monthly(_ amount: USDNanos, window: Int64) -> USDNanos {
        let value = amount.rawValue
        let whole = (value / window).multipliedReportingOverflow(by: Self.monthSeconds)
        let part = (value % window) * Self.monthSeconds / window
        return USDNanos(whole.overflow ? .max : whole.partialValue + part)
    }

    /// The cheaper model of the same family for `current`, as the rule above picks it.
    public func cheaperModel(than current: String) -> (name: String, price: ModelPrice)? {
        guard let price = self.prices.price(for: current) else { return nil }
        let family = Self.family(of: current)
        let ceiling = Double(price.blendedRate.microUSDPerMillionTokens) * self.configuration.cheaperPriceRatio
        var best: (name: String, price: ModelPrice)?
        for (name, candidate) in self.prices.prices
        where name != current && Self.family(of: name) == family && Self.isChat(candidate)
            && Double(candidate.blendedRate.microUSDPerMillionTokens) <= ceiling
        {
            let rate = candidate.blendedRate.microUSDPerMillionTokens
            if let chosen = best {
                let chosenRate = chosen.price.blendedRate.microUSDPerMillionTokens
                if rate < chosenRate || (rate == chosenRate && name > chosen.name) { continue }
            }
            best = (name, candidate)
        }
        return best
    }

    /// Embedding models have no output price; they are never a chat model's replacement.
    private static func isChat(_ price: ModelPrice) -> Bool { price.output.microUSDPerMillionTokens > 0 }

    private func cheaperModel(_ profile: UsageProfile, window: Int64) -> CostRecommendation? {
        let totals = profile.totals
        let configuration = self.configuration
        guard totals.requests >= configuration.minimumRequests,
            totals.inputTokens <= configuration.shortInputTokens * totals.requests,
            totals.outputTokens <= configuration.shortOutputTokens * totals.requests,
            profile.requestsWithTools == 0, profile.requestsWithImages == 0,
            let current = self.prices.price(for: profile.deployment),
            let suggested = self.cheaperModel(than: profile.deployment)
        else { return nil }
        // Cache writes are not split by lifetime in the profile: all priced as 5-minute writes.
        let usage = TokenUsage(
            inputTokens: totals.inputTokens, outputTokens: totals.outputTokens,
            cachedInputTokens: totals.cachedInputTokens, cacheWriteTokens: totals.cacheWriteTokens)
        let saving = current.cost(of: usage) - suggested.price.cost(of: usage)
        return CostRecommendation(
            kind: .cheaperModel,
            scope: Self.scope(profile),
            model: profile.model,
            provider: profile.provider,
            currentModel: profile.deployment,
            suggestedModel: suggested.name,
            action: "Send these short, tool-free prompts to \(suggested.name) instead of \(profile.deployment).",
            evidence: self.evidence(profile, window: window),
            projectedMonthlySaving: Self.monthly(saving, window: window)
        )
    }

    private func promptCaching(_ profile: UsageProfile, window: Int64) -> CostRecommendation? {
        let totals = profile.totals
        guard totals.cachedInputTokens == 0,
            profile.repeatedPrefixRequests >= self.configuration.minimumRepeatedRequests,
            profile.repeatedPrefixes > 0,
            let price = self.prices.price(for: profile.deployment),
            let cached = price.cachedInput,
            cached.microUSDPerMillionTokens < price.input.microUSDPerMillionTokens
        else { return nil }
        let prefixTokens = min(Self.fingerprintTokens, profile.repeatedPrefixInputTokens / profile.repeatedPrefixRequests)
        let reads = (profile.repeatedPrefixRequests - profile.repeatedPrefixes) * prefixTokens
        let writes = profile.repeatedPrefixes * prefixTokens
        var saving = price.input.cost(of: reads) - cached.cost(of: reads)
        if let write = price.cacheWrite, write.microUSDPerMillionTokens > price.input.microUSDPerMillionTokens {
            saving = saving - (write.cost(of: writes) - price.input.cost(of: writes))
        }
        var evidence = self.evidence(profile, window: window)
        evidence.repeatedPrefixRequests = profile.repeatedPrefixRequests
        return CostRecommendation(
            kind: .promptCaching,
            scope: Self.scope(profile),
            model: profile.model,
            provider: profile.provider,
            currentModel: profile.deployment,
            suggestedModel: nil,
            action:
                "Enable prompt caching on \(profile.deployment): \(profile.repeatedPrefixRequests) requests repeat "
                + "\(profile.repeatedPrefixes) long prompt prefixes and none was read from the cache. Put the shared "
                + "part (tools, system prompt) first and mark it cacheable where the provider asks for it.",
            evidence: evidence,
            projectedMonthlySaving: Self.monthly(saving, window: window)
        )
    }

    private func evidence(_ profile: UsageProfile, window: Int64) -> CostRecommendation.Evidence {
        let totals = profile.totals
        return CostRecommendation.Evidence(
            requests: totals.requests,
            averageInputTokens: totals.inputTokens / totals.requests,
            averageOutputTokens: totals.outputTokens / totals.requests,
            currentMonthlyCost: Self.monthly(totals.cost, window: window),
            cachedInputTokens: totals.cachedInputTokens
        )
    }

    private static func scope(_ profile: UsageProfile) -> CostRecommendation.Scope {
        CostRecommendation.Scope(team: profile.team, project: profile.project, key: profile.key)
    }
}
