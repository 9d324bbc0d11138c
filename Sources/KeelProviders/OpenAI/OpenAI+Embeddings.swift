public import KeelCore
public import NIOCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// OpenAI embeddings bodies, for upstreams of another dialect: the client's request decoded to
/// ``EmbeddingsRequest``, the canonical answer written as OpenAI's `list` of `embedding`s.
public enum OpenAIEmbeddings {
    /// The canonical request of a body the gateway has already validated (`model`, `input`,
    /// `encoding_format`, `dimensions`). Token-id inputs (arrays of integers) have no text to
    /// send another dialect: refused with `invalidRequest` naming `input`.
    public static func decodeRequest(_ body: ByteBuffer) throws(KeelError) -> EmbeddingsRequest {
        guard let json = try? JSONValue(parsing: body), let model = json["model"]?.string, let input = json["input"] else {
            throw .invalidRequest("Invalid embeddings request.", param: "input")
        }
        var inputs: [String]
        switch input {
        case .string(let text):
            inputs = [text]
        case .array(let elements):
            inputs = []
            for element in elements {
                guard let text = element.string else {
                    throw .invalidRequest("Token-id inputs cannot be sent to this model's provider; send text.", param: "input")
                }
                inputs.append(text)
            }
        default:
            throw .invalidRequest("Invalid type for 'input': expected a string or an array.", param: "input")
        }
        return EmbeddingsRequest(
            model: model,
            inputs: inputs,
            dimensions: json["dimensions"]?.int,
            base64: json["encoding_format"]?.string == "base64"
        )
    }

    /// The OpenAI answer for `response`: vectors as float arrays (their values as the upstream
    /// wrote them) or as base64 of little-endian float32s, and `usage` with the prompt tokens.
    public static func encodeResponse(_ response: EmbeddingsResponse, model: String, base64: Bool) -> ByteBuffer {
        var json = #"{"object":"list","data":["#
        for (index, vector) in response.vectors.enumerated() {
            if index > 0 { json += "," }
            json += #"{"object":"embedding","index":\#(index),"embedding":"#
            if base64 {
                var bytes: [UInt8] = []
                bytes.reserveCapacity(vector.count * 4)
                for value in vector {
                    let bits = Float(value).map { $0.bitPattern } ?? 0
                    bytes.append(contentsOf: [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8((bits >> 16) & 0xFF), UInt8(bits >> 24)])
                }
                json += JSONWriter.quoted(Data(bytes).base64EncodedString())
            } else {
                json += "[" + vector.joined(separator: ",") + "]"
            }
            json += "}"
        }
        let tokens = response.inputTokens ?? 0
        json += #"],"model":"# + JSONWriter.quoted(model) + #","usage":{"prompt_tokens":\#(tokens),"total_tokens":\#(tokens)}}"#
        return ByteBuffer(string: json)
    }
}
