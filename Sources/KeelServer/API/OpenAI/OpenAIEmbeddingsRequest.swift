import KeelCore
import NIOCore

/// The fields of an OpenAI embeddings body the gateway needs; the rest passes through.
struct OpenAIEmbeddingsRequest: Sendable {
    let body: ByteBuffer
    let model: String
    private let modelRange: Range<Int>

    static func parse(_ body: ByteBuffer, maxDepth: Int) throws(KeelError) -> OpenAIEmbeddingsRequest {
        let parsed = body.withUnsafeReadableBytes { bytes -> Result<OpenAIEmbeddingsRequest, KeelError> in
            let index: JSONObjectIndex
            let modelMember: JSONScanner.Member
            let model: String
            switch OpenAIRequestBody.index(bytes, maxDepth: maxDepth) {
            case .success(let scanned): (index, modelMember, model) = scanned
            case .failure(let error): return .failure(error)
            }
            guard let input = index["input"] else {
                return .failure(.invalidRequest("Missing required parameter: 'input'.", param: "input"))
            }
            switch input.kind {
            case .string:
                break
            case .array:
                guard let count = index.arrayCount(input), count > 0 else {
                    return .failure(.invalidRequest("Invalid 'input': expected a non-empty array.", param: "input"))
                }
            default:
                return .failure(.invalidRequest("Invalid type for 'input': expected a string or an array.", param: "input"))
            }
            if let format = index["encoding_format"], format.kind != .null {
                guard let value = index.string(format), value == "float" || value == "base64" else {
                    return .failure(.invalidRequest("Invalid 'encoding_format': expected 'float' or 'base64'.", param: "encoding_format"))
                }
            }
            if let dimensions = index["dimensions"], dimensions.kind != .null {
                guard let value = index.int(dimensions), value >= 1 else {
                    return .failure(.invalidRequest("Invalid 'dimensions': expected an integer of at least 1.", param: "dimensions"))
                }
            }
            return .success(OpenAIEmbeddingsRequest(body: body, model: model, modelRange: modelMember.range))
        }
        return try parsed.get()
    }

    func upstreamBody(model upstreamModel: String) -> ByteBuffer {
        ModelField.rewritten(self.body, from: self.model, at: self.modelRange, to: upstreamModel)
    }
}
