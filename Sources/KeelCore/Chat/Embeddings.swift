/// An embeddings request in canonical form, for upstreams whose dialect differs from the
/// client's (OpenAI `/v1/embeddings` to Gemini `batchEmbedContents`).
public struct EmbeddingsRequest: Sendable, Equatable {
    public var model: String
    /// The texts to embed, in order.
    public var inputs: [String]
    /// The requested vector length, when the client asked for one.
    public var dimensions: Int?
    /// The client wants vectors as base64 little-endian float32 (OpenAI `encoding_format`).
    public var base64: Bool

    public init(model: String, inputs: [String], dimensions: Int? = nil, base64: Bool = false) {
        self.model = model
        self.inputs = inputs
        self.dimensions = dimensions
        self.base64 = base64
    }
}

/// An embeddings answer in canonical form.
public struct EmbeddingsResponse: Sendable, Equatable {
    /// One vector per input, in order; each value as the upstream wrote it (JSON number text),
    /// so no precision is lost or invented on the way through.
    public var vectors: [[String]]
    /// Input tokens, when the upstream reports them; `nil` when its dialect has no count.
    public var inputTokens: Int?

    public init(vectors: [[String]], inputTokens: Int?) {
        self.vectors = vectors
        self.inputTokens = inputTokens
    }
}
