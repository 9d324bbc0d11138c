/// One model served by ``KeelSimulator``, with its default behaviour.
///
/// The timing and length fields are the lowest-precedence source of a request's behaviour: an
/// in-content `[sim …]` directive overrides them, and a queued ``SimulatorScript`` entry
/// overrides both (see ``SimulatorDirectives``).
public struct SimulatedModel: Sendable, Equatable {
    /// Which endpoints serve the model.
    public enum Kind: String, Sendable {
        /// Served by every chat endpoint: `/v1/chat/completions`, Azure deployments,
        /// `/v1/messages`, Gemini `generateContent` and Bedrock `converse`.
        case chat
        /// Served by `/v1/embeddings`, Azure deployments and Gemini `embedContent`.
        case embedding
    }

    /// The model id clients send and `GET /v1/models` lists.
    public var name: String
    /// Which endpoint serves the model; the other endpoint answers 400.
    public var kind: Kind
    /// Delay before the response head, in milliseconds.
    public var latencyMs: Int
    /// Streaming only: delay between the response head and the first content chunk, in milliseconds.
    public var ttftMs: Int
    /// Streaming only: pace of the chunks after the first one; `0` sends them without pause.
    public var tokensPerSecond: Int
    /// A fixed answer length in tokens; `nil` derives 8…40 tokens deterministically from the prompt.
    public var outputTokens: Int?
    /// Extra completion tokens reported as `completion_tokens_details.reasoning_tokens`.
    public var reasoningTokens: Int
    /// Length of the vectors of an embedding model when the request has no `dimensions`.
    public var embeddingDimensions: Int

    /// Creates a model; every field but the name has a default.
    public init(
        name: String,
        kind: Kind = .chat,
        latencyMs: Int = 0,
        ttftMs: Int = 0,
        tokensPerSecond: Int = 0,
        outputTokens: Int? = nil,
        reasoningTokens: Int = 0,
        embeddingDimensions: Int = 256
    ) {
        self.name = name
        self.kind = kind
        self.latencyMs = latencyMs
        self.ttftMs = ttftMs
        self.tokensPerSecond = tokensPerSecond
        self.outputTokens = outputTokens
        self.reasoningTokens = reasoningTokens
        self.embeddingDimensions = embeddingDimensions
    }

    /// The built-in models: `keel-sim-chat` (chat), `keel-sim-embed` (embedding, 256 dimensions),
    /// `keel-sim-reasoning` (chat that reports 16 reasoning tokens per answer), and
    /// `keel-sim-claude` and `keel-sim-gemini` (chat), named for the upstreams they stand in for.
    ///
    /// Every chat model answers in every dialect (OpenAI, Azure OpenAI, Anthropic, Gemini,
    /// Bedrock), and the same prompt gets the same text and usage in each; the names only make a
    /// configuration read naturally.
    public static let defaults: [SimulatedModel] = [
        SimulatedModel(name: "keel-sim-chat", kind: .chat),
        SimulatedModel(name: "keel-sim-embed", kind: .embedding),
        SimulatedModel(name: "keel-sim-reasoning", kind: .chat, reasoningTokens: 16),
        SimulatedModel(name: "keel-sim-claude", kind: .chat),
        SimulatedModel(name: "keel-sim-gemini", kind: .chat),
    ]

    /// The model's settings as directives, the base that request directives are merged over.
    var baseDirectives: SimulatorDirectives {
        SimulatorDirectives(
            latencyMs: self.latencyMs,
            ttftMs: self.ttftMs,
            tokensPerSecond: self.tokensPerSecond,
            tokens: self.outputTokens,
            reasoning: self.reasoningTokens
        )
    }
}
