import KeelCore
import NIOCore

/// The fields of an OpenAI chat-completions body the gateway needs, read without decoding the
/// rest, and the edits that turn the client's bytes into the upstream's.
struct OpenAIChatRequest: Sendable {
    let body: ByteBuffer
    let model: String
    let stream: Bool
    /// The client asked for the final usage chunk (`stream_options.include_usage`).
    let clientWantsUsage: Bool
    let maxTokens: Int?
    /// Where the model value lies in `body`.
    private let modelRange: Range<Int>
    /// Edits that make a stream end with a usage chunk, for exact metering.
    private let usageEdits: ByteEdits
    /// Tools, images and the prompt fingerprint, for the record.
    let traits: PromptTraits

    /// Validates `body` and reads the fields. Errors are the ones the OpenAI API gives.
    static func parse(_ body: ByteBuffer, maxDepth: Int) throws(KeelError) -> OpenAIChatRequest {
        let parsed = body.withUnsafeReadableBytes { bytes -> Result<OpenAIChatRequest, KeelError> in
            let index: JSONObjectIndex
            let modelMember: JSONScanner.Member
            let model: String
            switch OpenAIRequestBody.index(bytes, maxDepth: maxDepth) {
            case .success(let scanned): (index, modelMember, model) = scanned
            case .failure(let error): return .failure(error)
            }
            guard let messages = index["messages"] else {
                return .failure(.invalidRequest("Missing required parameter: 'messages'.", param: "messages"))
            }
            guard let count = index.arrayCount(messages) else {
                return .failure(.invalidRequest("Invalid type for 'messages': expected an array of message objects.", param: "messages"))
            }
            guard count > 0 else {
                return .failure(.invalidRequest("Invalid 'messages': empty array. Expected an array with minimum length 1.", param: "messages"))
            }
            var stream = false
            if let member = index["stream"], member.kind != .null {
                guard let value = index.bool(member) else {
                    return .failure(.invalidRequest("Invalid type for 'stream': expected a boolean.", param: "stream"))
                }
                stream = value
            }
            var maxTokens: Int?
            for name in ["max_tokens", "max_completion_tokens"] {
                guard let member = index[name], member.kind != .null else { continue }
                guard let value = index.int(member), value >= 1 else {
                    return .failure(.invalidRequest("Invalid '\(name)': expected an integer of at least 1.", param: name))
                }
                maxTokens = value
            }
            var clientWantsUsage = false
            var edits = ByteEdits()
            let options = index["stream_options"].flatMap { $0.kind == .null ? nil : $0 }
            if let options {
                guard stream else {
                    return .failure(.invalidRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.", param: "stream_options"))
                }
                guard options.kind == .object, let inner = try? JSONScanner.indexObject(index.slice(options)) else {
                    return .failure(.invalidRequest("Invalid type for 'stream_options': expected an object.", param: "stream_options"))
                }
                if let include = inner["include_usage"] {
                    clientWantsUsage = inner.bool(include) ?? false
                    if !clientWantsUsage {
                        let base = options.range.lowerBound
                        edits.replace((base + include.range.lowerBound)..<(base + include.range.upperBound), with: "true")
                    }
                } else {
                    let separator = inner.members.isEmpty ? "" : ","
                    edits.insert(#""include_usage":true"# + separator, at: options.range.lowerBound + 1)
                }
            } else if stream {
                let open = Self.openingBrace(bytes)
                let separator = index.members.isEmpty ? "" : ","
                edits.insert(#""stream_options":{"include_usage":true}"# + separator, at: open + 1)
            }
            return .success(
                OpenAIChatRequest(
                    body: body,
                    model: model,
                    stream: stream,
                    clientWantsUsage: clientWantsUsage,
                    maxTokens: maxTokens,
                    modelRange: modelMember.range,
                    usageEdits: edits,
                    traits: PromptTraits(index)
                )
            )
        }
        return try parsed.get()
    }

    /// The body for an upstream whose model is `upstreamModel`: the client's bytes with only the
    /// model (and, for streams, `include_usage`) changed. The original buffer when nothing changes.
    func upstreamBody(model upstreamModel: String) -> ByteBuffer {
        var edits = self.usageEdits
        if upstreamModel != self.model {
            edits.replace(self.modelRange, with: JSONWriter.quoted(upstreamModel))
        }
        return edits.applied(to: self.body)
    }

    private static func openingBrace(_ bytes: UnsafeRawBufferPointer) -> Int {
        bytes.firstIndex(of: UInt8(ascii: "{")) ?? 0
    }
}
