import KeelCore
import NIOCore

/// The parts of a `POST /v1/embeddings` body the simulator reads.
struct EmbeddingRequest: Sendable {
    /// One input to embed: the seed of its vector and its token count.
    struct Input: Sendable, Equatable {
        let seed: UInt64
        let tokens: Int
    }

    var model: String
    var inputs: [Input]
    var base64: Bool
    var dimensions: Int?

    /// Validates `body` and reads `model`, `input`, `encoding_format` and `dimensions`.
    ///
    /// `input` is a string, an array of strings, an array of token ids, or an array of arrays of
    /// token ids. A string's vector is seeded by the hash of its text alone, so the same text
    /// gets the same vector in any request.
    ///
    /// - Throws: ``SimulatorError`` (status 400) for malformed JSON, a missing `model` or
    ///   `input`, an empty or mixed `input`, an unknown `encoding_format`, or `dimensions`
    ///   outside 1…16384.
    /// - Parameter deployment: the model named by the path (Azure OpenAI), which makes the body's
    ///   `model` optional and ignored.
    static func parse(_ body: ByteBuffer, deployment: String? = nil) throws(SimulatorError) -> EmbeddingRequest {
        try body.withUnsafeReadableBytes { bytes in
            Result<EmbeddingRequest, SimulatorError> { () throws(SimulatorError) in
                try Self.parse(bytes: bytes, deployment: deployment)
            }
        }.get()
    }

    private static func parse(
        bytes: UnsafeRawBufferPointer, deployment: String?
    ) throws(SimulatorError) -> EmbeddingRequest {
        let index: JSONObjectIndex
        do {
            index = try JSONScanner.indexObject(bytes)
        } catch {
            throw SimulatorError.invalidJSON(error)
        }
        guard let model = deployment ?? index["model"].flatMap({ index.string($0) }) else {
            throw SimulatorError.missingParameter("model")
        }
        guard let inputMember = index["input"] else {
            throw SimulatorError.missingParameter("input")
        }
        let inputs = try Self.inputs(JSONValue(inputMember, of: index))

        var base64 = false
        if let format = index["encoding_format"].map({ JSONValue($0, of: index) }), !format.isNull {
            switch format.string {
            case "float": base64 = false
            case "base64": base64 = true
            default:
                throw SimulatorError.invalidParameter(
                    "encoding_format", "'encoding_format' must be 'float' or 'base64'.")
            }
        }
        var dimensions: Int?
        if let member = index["dimensions"], member.kind != .null {
            guard let value = index.int(member), (1...16_384).contains(value) else {
                throw SimulatorError.invalidParameter(
                    "dimensions", "'dimensions' must be a whole number from 1 to 16384.")
            }
            dimensions = value
        }
        return EmbeddingRequest(model: model, inputs: inputs, base64: base64, dimensions: dimensions)
    }

    private static func inputs(_ input: JSONValue) throws(SimulatorError) -> [Input] {
        let invalid = SimulatorError.invalidParameter(
            "input",
            "'input' must be a string, an array of strings, an array of token ids or an array of token id arrays."
        )
        switch input {
        case .string(let text):
            return [Self.input(text: text)]
        case .array(let elements) where !elements.isEmpty:
            if elements.allSatisfy({ $0.string != nil }) {
                return elements.compactMap { $0.string.map(Self.input(text:)) }
            }
            if let tokens = Self.tokenIDs(elements) {
                return [Self.input(tokenIDs: tokens)]
            }
            var inputs: [Input] = []
            for element in elements {
                guard let array = element.array, !array.isEmpty, let tokens = Self.tokenIDs(array) else {
                    throw invalid
                }
                inputs.append(Self.input(tokenIDs: tokens))
            }
            return inputs
        default:
            throw invalid
        }
    }

    private static func tokenIDs(_ elements: [JSONValue]) -> [Int]? {
        var tokens: [Int] = []
        tokens.reserveCapacity(elements.count)
        for element in elements {
            guard let token = element.int else { return nil }
            tokens.append(token)
        }
        return tokens
    }

    private static func input(text: String) -> Input {
        Input(seed: StableHash.of(text.utf8), tokens: SimulatedTokenizer.count(text))
    }

    private static func input(tokenIDs: [Int]) -> Input {
        var hash = StableHash()
        for token in tokenIDs { hash.combine(token) }
        return Input(seed: hash.value, tokens: tokenIDs.count)
    }
}
