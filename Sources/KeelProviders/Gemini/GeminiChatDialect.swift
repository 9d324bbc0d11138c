public import KeelCore
public import NIOCore

/// Google Gemini `generateContent` / `streamGenerateContent` as an upstream dialect.
///
/// Pure functions: the request translation is in `Gemini+Translation.swift`, the stream decoder in
/// `Gemini+Streaming.swift`. What Gemini cannot express is refused with `invalidRequest` naming
/// it: `http(s)` image URLs (Gemini takes inline bytes only), tool results carrying images,
/// schemas with `$ref`, unknown reasoning efforts and any ``ChatRequest/unsupportedParameters``.
/// Dropped on purpose, because they are hints Gemini has no field for: `parallelToolCalls`,
/// `user`, cache breakpoints (Gemini caches implicitly) and thinking parts of earlier assistant
/// turns (Gemini does not take thoughts back). A function call's thought signature, which Gemini 3
/// requires back, travels in the tool-call id (see ``GeminiWire/thoughtSignatureMarker``).
public enum GeminiChatDialect: ChatUpstreamDialect {
    public static func encodeRequest(_ request: ChatRequest, upstreamModel: String) throws(KeelError) -> ByteBuffer {
        try Self.body(for: request).jsonBuffer
    }

    public static func decodeResponse(_ body: ByteBuffer) throws(KeelError) -> ChatResponse {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: body)
        } catch {
            throw KeelError.upstreamBadResponse("The Gemini upstream returned a body that is not JSON.")
        }
        return try Self.response(from: json)
    }

    public static func makeStreamDecoder() -> GeminiStreamDecoder {
        GeminiStreamDecoder()
    }
}
