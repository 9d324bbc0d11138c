import KeelCore
import NIOCore

/// The fields of an Anthropic Messages body (`POST /v1/messages`) the gateway needs, read without
/// decoding the rest, and the one edit (the model) that turns the client's bytes into the
/// upstream's when the upstream speaks Anthropic too.
///
/// Errors read as the Anthropic API's own (`max_tokens: Field required`), rendered by the route
/// in Anthropic's error shape.
struct AnthropicMessagesRequest: Sendable {
    let body: ByteBuffer
    let model: String
    let stream: Bool
    let maxTokens: Int
    private let modelRange: Range<Int>
    /// Tools, images and the prompt fingerprint, for the record.
    let traits: PromptTraits

    static func parse(_ body: ByteBuffer, maxDepth: Int) throws(KeelError) -> AnthropicMessagesRequest {
        let parsed = body.withUnsafeReadableBytes { bytes -> Result<AnthropicMessagesRequest, KeelError> in
            let index: JSONObjectIndex
            let modelMember: JSONScanner.Member
            let model: String
            switch Self.indexWithModel(bytes, maxDepth: maxDepth) {
            case .success(let scanned): (index, modelMember, model) = scanned
            case .failure(let error): return .failure(error)
            }
            guard let maxTokensMember = index["max_tokens"] else {
                return .failure(.invalidRequest("max_tokens: Field required", param: "max_tokens"))
            }
            guard let maxTokens = index.int(maxTokensMember), maxTokens >= 1 else {
                return .failure(.invalidRequest("max_tokens: Input should be an integer of at least 1", param: "max_tokens"))
            }
            guard let messages = index["messages"] else {
                return .failure(.invalidRequest("messages: Field required", param: "messages"))
            }
            guard let count = index.arrayCount(messages) else {
                return .failure(.invalidRequest("messages: Input should be a valid list", param: "messages"))
            }
            guard count > 0 else {
                return .failure(.invalidRequest("messages: at least one message is required", param: "messages"))
            }
            var stream = false
            if let member = index["stream"], member.kind != .null {
                guard let value = index.bool(member) else {
                    return .failure(.invalidRequest("stream: Input should be a valid boolean", param: "stream"))
                }
                stream = value
            }
            return .success(
                AnthropicMessagesRequest(
                    body: body, model: model, stream: stream, maxTokens: maxTokens, modelRange: modelMember.range,
                    traits: PromptTraits(index))
            )
        }
        return try parsed.get()
    }

    /// The body for an Anthropic upstream whose model is `upstreamModel`: the client's bytes with
    /// only the model changed (the original buffer when it is the same).
    func upstreamBody(model upstreamModel: String) -> ByteBuffer {
        ModelField.rewritten(self.body, from: self.model, at: self.modelRange, to: upstreamModel)
    }

    /// The scanned object and its `model`, or the error the Anthropic API gives for the body.
    static func indexWithModel(_ bytes: UnsafeRawBufferPointer, maxDepth: Int) -> Result<(JSONObjectIndex, JSONScanner.Member, String), KeelError> {
        let index: JSONObjectIndex
        do throws(JSONScanner.SyntaxError) {
            index = try JSONScanner.indexObject(bytes, maxDepth: maxDepth)
        } catch {
            return .failure(OpenAIRequestBody.syntaxError(error))
        }
        guard let modelMember = index["model"] else {
            return .failure(.invalidRequest("model: Field required", param: "model"))
        }
        guard let model = index.string(modelMember), !model.isEmpty else {
            return .failure(.invalidRequest("model: Input should be a valid string", param: "model"))
        }
        return .success((index, modelMember, model))
    }
}

/// The fields of an Anthropic `count_tokens` body: like a Messages body without `max_tokens`.
struct AnthropicCountTokensRequest: Sendable {
    let body: ByteBuffer
    let model: String
    private let modelRange: Range<Int>

    static func parse(_ body: ByteBuffer, maxDepth: Int) throws(KeelError) -> AnthropicCountTokensRequest {
        let parsed = body.withUnsafeReadableBytes { bytes -> Result<AnthropicCountTokensRequest, KeelError> in
            let index: JSONObjectIndex
            let modelMember: JSONScanner.Member
            let model: String
            switch AnthropicMessagesRequest.indexWithModel(bytes, maxDepth: maxDepth) {
            case .success(let scanned): (index, modelMember, model) = scanned
            case .failure(let error): return .failure(error)
            }
            guard let messages = index["messages"] else {
                return .failure(.invalidRequest("messages: Field required", param: "messages"))
            }
            guard index.arrayCount(messages) != nil else {
                return .failure(.invalidRequest("messages: Input should be a valid list", param: "messages"))
            }
            return .success(AnthropicCountTokensRequest(body: body, model: model, modelRange: modelMember.range))
        }
        return try parsed.get()
    }

    func upstreamBody(model upstreamModel: String) -> ByteBuffer {
        ModelField.rewritten(self.body, from: self.model, at: self.modelRange, to: upstreamModel)
    }
}
