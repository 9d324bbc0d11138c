public import KeelCore

/// Usage blocks in the Anthropic dialect, to and from Keel's ``TokenUsage``.
///
/// Anthropic counts a prompt in three disjoint parts: `input_tokens` (neither read from nor
/// written to the cache), `cache_read_input_tokens` and `cache_creation_input_tokens`, the last
/// broken down by lifetime in `cache_creation.ephemeral_5m_input_tokens` /
/// `ephemeral_1h_input_tokens`. Keel's `inputTokens` is the sum of all three (OpenAI's
/// convention). When the breakdown is absent, the whole cache write counts as five-minute.
/// Anthropic does not report thinking tokens apart from `output_tokens`, so `reasoningTokens`
/// stays 0. Server-side web searches (`server_tool_use.web_search_requests`) are billed per
/// search and carried as `webSearchRequests`.
///
/// Source: https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching (usage fields).
public enum AnthropicUsage {
    /// The members of one Anthropic `usage` object, each `nil` when absent. A stream reports
    /// usage twice (`message_start`, then cumulative in `message_delta`), so the fields of a later
    /// report replace those of an earlier one only when present.
    public struct Counts: Sendable, Equatable {
        public var inputTokens: Int?
        public var outputTokens: Int?
        public var cacheReadInputTokens: Int?
        public var cacheCreationInputTokens: Int?
        public var cacheCreation5m: Int?
        public var cacheCreation1h: Int?
        public var webSearchRequests: Int?

        public init() {}

        /// Reads a `usage` object; non-numeric members count as absent.
        public init(_ usage: JSONValue) {
            self.inputTokens = usage["input_tokens"]?.int
            self.outputTokens = usage["output_tokens"]?.int
            self.cacheReadInputTokens = usage["cache_read_input_tokens"]?.int
            self.cacheCreationInputTokens = usage["cache_creation_input_tokens"]?.int
            if let breakdown = usage["cache_creation"] {
                self.cacheCreation5m = breakdown["ephemeral_5m_input_tokens"]?.int
                self.cacheCreation1h = breakdown["ephemeral_1h_input_tokens"]?.int
            }
            self.webSearchRequests = usage["server_tool_use"]?["web_search_requests"]?.int
        }

        /// These counts updated by a later report: present fields replace, absent ones stay.
        public func updated(by later: Counts) -> Counts {
            var merged = self
            merged.inputTokens = later.inputTokens ?? self.inputTokens
            merged.outputTokens = later.outputTokens ?? self.outputTokens
            merged.cacheReadInputTokens = later.cacheReadInputTokens ?? self.cacheReadInputTokens
            merged.cacheCreationInputTokens = later.cacheCreationInputTokens ?? self.cacheCreationInputTokens
            merged.cacheCreation5m = later.cacheCreation5m ?? self.cacheCreation5m
            merged.cacheCreation1h = later.cacheCreation1h ?? self.cacheCreation1h
            merged.webSearchRequests = later.webSearchRequests ?? self.webSearchRequests
            return merged
        }

        /// The counts in Keel's convention.
        public var tokenUsage: TokenUsage {
            let read = Int64(self.cacheReadInputTokens ?? 0)
            var write5m: Int64
            var write1h: Int64
            if self.cacheCreation5m != nil || self.cacheCreation1h != nil {
                write5m = Int64(self.cacheCreation5m ?? 0)
                write1h = Int64(self.cacheCreation1h ?? 0)
            } else {
                write5m = Int64(self.cacheCreationInputTokens ?? 0)
                write1h = 0
            }
            // Trust the total when the breakdown under-reports it (a newer lifetime, say): the
            // rest is billed as the default write.
            if let total = self.cacheCreationInputTokens, Int64(total) > write5m + write1h {
                write5m = Int64(total) - write1h
            }
            return TokenUsage(
                inputTokens: Int64(self.inputTokens ?? 0) + read + write5m + write1h,
                outputTokens: Int64(self.outputTokens ?? 0),
                cachedInputTokens: read,
                cacheWriteTokens: write5m,
                cacheWrite1hTokens: write1h,
                webSearchRequests: Int64(self.webSearchRequests ?? 0)
            )
        }
    }

    /// The usage of an Anthropic `usage` object in Keel's convention.
    public static func decode(_ usage: JSONValue) -> TokenUsage {
        Counts(usage).tokenUsage
    }

    /// `usage` as an Anthropic `usage` object: uncached `input_tokens`, the cache counts with
    /// their lifetime breakdown, and `output_tokens`.
    public static func encode(_ usage: TokenUsage) -> JSONValue {
        let writes = usage.cacheWriteTokens + usage.cacheWrite1hTokens
        var members: [JSONValue.Member] = [
            .init(key: "input_tokens", value: .int(usage.uncachedInputTokens)),
            .init(key: "cache_creation_input_tokens", value: .int(writes)),
            .init(key: "cache_read_input_tokens", value: .int(usage.cachedInputTokens)),
            .init(
                key: "cache_creation",
                value: .object([
                    "ephemeral_5m_input_tokens": .int(usage.cacheWriteTokens),
                    "ephemeral_1h_input_tokens": .int(usage.cacheWrite1hTokens),
                ])
            ),
            .init(key: "output_tokens", value: .int(usage.outputTokens)),
        ]
        if usage.webSearchRequests > 0 {
            members.append(.init(key: "server_tool_use", value: .object(["web_search_requests": .int(usage.webSearchRequests)])))
        }
        return .object(members)
    }
}
