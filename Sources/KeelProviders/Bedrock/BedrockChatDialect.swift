public import KeelCore
public import NIOCore

/// Amazon Bedrock's Converse API (`/converse`, `/converse-stream`) as an upstream dialect.
///
/// Pure functions: the translation is in `Bedrock+Translation.swift`, the event-stream decoder in
/// `Bedrock+Streaming.swift`. Refused with `invalidRequest`, naming the problem: image URLs
/// (Converse takes inline bytes only), image types other than PNG, JPEG, GIF and WebP, JSON
/// response formats (Converse has no JSON mode), reasoning efforts, a thinking budget or `top_k`
/// for a model that is not Anthropic's (they travel in the model-specific
/// `additionalModelRequestFields`), `tool_choice: none` in a conversation that already holds tool
/// calls, and any ``ChatRequest/unsupportedParameters``. Dropped on purpose: `parallelToolCalls`
/// and `user`, which Converse has no field for. Cache breakpoints become `cachePoint` blocks (a
/// 1-hour TTL is sent as the default checkpoint).
public enum BedrockChatDialect: ChatUpstreamDialect {
    public static func encodeRequest(_ request: ChatRequest, upstreamModel: String) throws(KeelError) -> ByteBuffer {
        try Self.body(for: request, upstreamModel: upstreamModel).jsonBuffer
    }

    public static func decodeResponse(_ body: ByteBuffer) throws(KeelError) -> ChatResponse {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: body)
        } catch {
            throw KeelError.upstreamBadResponse("The Bedrock upstream returned a body that is not JSON.")
        }
        return try Self.response(from: json)
    }

    public static func makeStreamDecoder() -> BedrockStreamDecoder {
        BedrockStreamDecoder()
    }
}
