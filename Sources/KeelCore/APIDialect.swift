/// A wire dialect spoken by clients or upstreams.
public enum APIDialect: String, Sendable, Hashable, Codable, CaseIterable {
    case openAI = "openai"
    case anthropic
    case gemini
    case bedrock
}
