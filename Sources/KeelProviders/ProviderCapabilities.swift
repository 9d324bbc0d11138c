/// What an upstream can do. Declared once per adapter; the router and the conformance tests read it.
public struct ProviderCapabilities: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let chat = Self(rawValue: 1 << 0)
    public static let streaming = Self(rawValue: 1 << 1)
    public static let toolCalls = Self(rawValue: 1 << 2)
    public static let jsonMode = Self(rawValue: 1 << 3)
    public static let imageInput = Self(rawValue: 1 << 4)
    public static let embeddings = Self(rawValue: 1 << 5)
    /// Streams end with an exact usage event when asked (`stream_options.include_usage`).
    public static let streamUsage = Self(rawValue: 1 << 6)
    /// Counts a request's input tokens without running it (Anthropic `count_tokens`).
    public static let countTokens = Self(rawValue: 1 << 7)
}
