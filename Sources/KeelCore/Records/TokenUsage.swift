/// Token counts of one request, normalised across dialects.
///
/// `inputTokens` counts every prompt token, including those read from or written to a prompt
/// cache (OpenAI's `prompt_tokens` convention); `outputTokens` counts every generated token,
/// including reasoning tokens (OpenAI's `completion_tokens`). The breakdowns are subsets, so the
/// uncached input is `inputTokens - cachedInputTokens - cacheWriteTokens - cacheWrite1hTokens`.
public struct TokenUsage: Sendable, Equatable, Hashable, Codable {
    public var inputTokens: Int64
    public var outputTokens: Int64
    /// Prompt tokens served from the provider's cache.
    public var cachedInputTokens: Int64
    /// Prompt tokens written to a cache with the default (5-minute) lifetime.
    public var cacheWriteTokens: Int64
    /// Prompt tokens written to a cache with a 1-hour lifetime.
    public var cacheWrite1hTokens: Int64
    /// Output tokens spent on reasoning (a subset of ``outputTokens``).
    public var reasoningTokens: Int64
    /// Web searches a server-side tool ran for the request (Anthropic
    /// `server_tool_use.web_search_requests`), billed per search rather than per token.
    public var webSearchRequests: Int64

    public init(
        inputTokens: Int64 = 0,
        outputTokens: Int64 = 0,
        cachedInputTokens: Int64 = 0,
        cacheWriteTokens: Int64 = 0,
        cacheWrite1hTokens: Int64 = 0,
        reasoningTokens: Int64 = 0,
        webSearchRequests: Int64 = 0
    ) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedInputTokens = cachedInputTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.cacheWrite1hTokens = cacheWrite1hTokens
        self.reasoningTokens = reasoningTokens
        self.webSearchRequests = webSearchRequests
    }

    public static let zero = TokenUsage()

    public var totalTokens: Int64 { self.inputTokens + self.outputTokens }

    /// Prompt tokens billed at the plain input rate.
    public var uncachedInputTokens: Int64 {
        max(0, self.inputTokens - self.cachedInputTokens - self.cacheWriteTokens - self.cacheWrite1hTokens)
    }
}
