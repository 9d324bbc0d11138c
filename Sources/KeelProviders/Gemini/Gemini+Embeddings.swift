public import KeelCore
public import NIOCore

/// OpenAI embeddings to and from Gemini's `batchEmbedContents`.
///
/// One request per input, `outputDimensionality` from `dimensions`. The Gemini API reports no
/// token counts for embeddings (its `BatchEmbedContentsResponse` holds only `embeddings`); a
/// `usageMetadata.promptTokenCount`, where a server sends one, is read, and otherwise the answer's
/// usage is unknown (`nil`), which the gateway records as zero tokens.
///
/// Source: https://ai.google.dev/api/embeddings (`batchEmbedContents`, `ContentEmbedding`).
public enum GeminiEmbeddings {
    /// The `batchEmbedContents` body for `request` on `upstreamModel`.
    public static func encodeRequest(_ request: EmbeddingsRequest, upstreamModel: String) -> ByteBuffer {
        let model = upstreamModel.hasPrefix("models/") ? upstreamModel : "models/" + upstreamModel
        let requests: [JSONValue] = request.inputs.map { text in
            .object([
                "model": .string(model),
                "content": .object(["parts": .array([.object(["text": .string(text)])])]),
                "outputDimensionality": request.dimensions.map { .int($0) },
            ])
        }
        return JSONValue.object(["requests": .array(requests)]).jsonBuffer
    }

    /// Reads a `batchEmbedContents` answer; `upstreamBadResponse` when it is not one, or when its
    /// count of vectors differs from `expected`.
    public static func decodeResponse(_ body: ByteBuffer, expected: Int) throws(KeelError) -> EmbeddingsResponse {
        guard let json = try? JSONValue(parsing: body), let embeddings = json["embeddings"]?.array, embeddings.count == expected else {
            throw .upstreamBadResponse()
        }
        var vectors: [[String]] = []
        vectors.reserveCapacity(embeddings.count)
        for embedding in embeddings {
            guard let values = embedding["values"]?.array else { throw .upstreamBadResponse() }
            var vector: [String] = []
            vector.reserveCapacity(values.count)
            for value in values {
                guard case .number(let text) = value else { throw .upstreamBadResponse() }
                vector.append(text)
            }
            vectors.append(vector)
        }
        return EmbeddingsResponse(vectors: vectors, inputTokens: json["usageMetadata"]?["promptTokenCount"]?.int)
    }
}
