import KeelCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The vectors answering one embeddings request, and their response body.
///
/// A vector is `dimensions` values drawn from a generator seeded by its input, scaled to unit
/// length. Asking for fewer dimensions gives the re-normalised prefix of the longer vector, as
/// OpenAI's shortened embeddings behave.
struct SimulatedEmbeddings: Sendable {
    let model: String
    let vectors: [[Float]]
    let promptTokens: Int

    init(request: EmbeddingRequest, dimensions: Int) {
        self.model = request.model
        self.vectors = request.inputs.map { Self.vector(seed: $0.seed, dimensions: dimensions) }
        self.promptTokens = request.inputs.reduce(0) { $0 + $1.tokens }
    }

    static func vector(seed: UInt64, dimensions: Int) -> [Float] {
        var random = DeterministicRandom(seed: seed)
        var values = [Float](repeating: 0, count: dimensions)
        var squares: Double = 0
        for index in 0..<dimensions {
            let value = random.nextUnitFloat()
            values[index] = value
            squares += Double(value) * Double(value)
        }
        guard squares > 0 else {
            values[0] = 1
            return values
        }
        let scale = Float(1 / squares.squareRoot())
        for index in 0..<dimensions {
            values[index] *= scale
        }
        return values
    }

    /// The `list` body with one `embedding` object per input, floats or base64 of little-endian
    /// float32 values.
    func body(base64: Bool) -> String {
        var json = #"{"object":"list","data":["#
        for (index, vector) in self.vectors.enumerated() {
            if index > 0 { json += "," }
            json += #"{"object":"embedding","index":"# + String(index) + #","embedding":"#
            if base64 {
                json += "\"" + Self.base64(vector) + "\""
            } else {
                json += "["
                for (offset, value) in vector.enumerated() {
                    if offset > 0 { json += "," }
                    json += value.description
                }
                json += "]"
            }
            json += "}"
        }
        json += #"],"model":"# + JSONWriter.quoted(self.model)
        json += #","usage":{"prompt_tokens":"# + String(self.promptTokens)
        json += #","total_tokens":"# + String(self.promptTokens) + "}}"
        return json
    }

    private static func base64(_ vector: [Float]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return Data(bytes).base64EncodedString()
    }
}
