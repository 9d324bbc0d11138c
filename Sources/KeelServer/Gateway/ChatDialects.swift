import KeelCore
import KeelProviders

/// The translators of each upstream dialect, for requests that arrive in another one.
enum ChatDialects {
    static func upstream(_ dialect: APIDialect) -> (any ChatUpstreamDialect.Type)? {
        switch dialect {
        case .openAI: OpenAIChatDialect.self
        case .anthropic: AnthropicChatDialect.self
        case .gemini: GeminiChatDialect.self
        case .bedrock: BedrockChatDialect.self
        }
    }
}
