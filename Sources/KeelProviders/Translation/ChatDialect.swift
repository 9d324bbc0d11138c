public import KeelCore
public import NIOCore

/// A dialect clients speak to the gateway (OpenAI Chat Completions, Anthropic Messages), when the
/// upstream speaks another: the client's body is decoded to the canonical ``ChatRequest`` and the
/// canonical answer encoded back in the client's words.
///
/// Pure functions of their inputs; per-stream state lives in the ``StreamEncoder`` value.
public protocol ChatClientDialect {
    associatedtype StreamEncoder: ChatStreamEncoder

    /// Decodes and validates a client's request body. Errors are the ones the dialect's own API
    /// gives for the same mistake (status 400, its wording, the offending parameter).
    static func decodeRequest(_ body: ByteBuffer, maxDepth: Int) throws(KeelError) -> ChatRequest

    /// Encodes a complete answer as the dialect's response body; `model` is the name the client
    /// asked for.
    static func encodeResponse(_ response: ChatResponse, model: String) -> ByteBuffer

    /// A stream encoder for one answer to `request`; `model` is the name the client asked for.
    static func makeStreamEncoder(for request: ChatRequest, model: String) -> StreamEncoder
}

/// A dialect an upstream speaks, for requests that arrive in another one.
public protocol ChatUpstreamDialect {
    associatedtype StreamDecoder: ChatStreamDecoder

    /// Encodes a canonical request as the upstream's body for `upstreamModel`. Throws
    /// `invalidRequest` for what the upstream cannot express (an unsupported parameter, an
    /// image it cannot take), naming it, instead of dropping it silently.
    static func encodeRequest(_ request: ChatRequest, upstreamModel: String) throws(KeelError) -> ByteBuffer

    /// Decodes a complete upstream answer; `upstreamBadResponse` when it is not one.
    static func decodeResponse(_ body: ByteBuffer) throws(KeelError) -> ChatResponse

    /// A decoder for one upstream stream.
    static func makeStreamDecoder() -> StreamDecoder
}

/// Reads one upstream stream, in whatever pieces its bytes arrive, into canonical events.
public protocol ChatStreamDecoder: Sendable {
    /// Consumes `chunk` and returns the events it completes (an event split across chunks comes
    /// out with the chunk that ends it). Throws `upstreamBadResponse` on bytes that break the
    /// dialect's framing or JSON.
    mutating func decode(_ chunk: ByteBuffer) throws(KeelError) -> [ChatStreamEvent]

    /// Whether the dialect's end of stream arrived (OpenAI `[DONE]`, Anthropic `message_stop`,
    /// Gemini's final candidate with a finish reason, Bedrock `metadata` after `messageStop`).
    var isComplete: Bool { get }
}

/// Writes canonical events as one client stream in a dialect, including its framing
/// (`data:` lines, `event:` names, terminators).
public protocol ChatStreamEncoder: Sendable {
    /// Appends the bytes for `event` (possibly none: some events only update state, e.g. usage
    /// that the dialect reports in its final event).
    mutating func encode(_ event: ChatStreamEvent, into output: inout ByteBuffer)

    /// Appends the end of a complete stream (e.g. the usage chunk and `[DONE]`, or
    /// `message_delta` and `message_stop`).
    mutating func finish(into output: inout ByteBuffer)

    /// Appends an error event that ends a broken stream, in the dialect's shape.
    mutating func fail(_ error: KeelError, into output: inout ByteBuffer)
}
