/// The wire format a simulator route speaks: its request shape, its answers, its stream framing
/// and its error bodies.
enum SimulatorDialect: String, Sendable {
    /// `POST /v1/chat/completions`, `POST /v1/embeddings`.
    case openAI = "openai"
    /// `POST /openai/deployments/{deployment}/…?api-version=…`: OpenAI bodies, Azure's routing,
    /// auth and some of its errors.
    case azure
    /// `POST /v1/messages`, `POST /v1/messages/count_tokens`.
    case anthropic
    /// `POST /v1beta/models/{model}:generateContent` and friends.
    case gemini
    /// `POST /model/{modelId}/converse`, `POST /model/{modelId}/converse-stream`.
    case bedrock

    /// The status of an in-stream `fault=error` without a `status` directive: each dialect's
    /// overload error.
    var defaultStreamErrorStatus: Int {
        switch self {
        case .anthropic: 529
        case .openAI, .azure, .gemini, .bedrock: 503
        }
    }
}
