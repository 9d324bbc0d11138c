import KeelCore
import KeelProviders
import NIOCore
import Testing

/// What a stream said, independent of how it was cut into events: for comparing a stream with
/// its translation into the other dialect.
struct StreamSummary: Equatable, CustomStringConvertible {
    struct ToolCall: Equatable {
        var id: String
        var name: String
        var arguments: String
    }

    var id: String?
    var text = ""
    var thinking = ""
    var signatures: [String] = []
    var refusal = ""
    var toolCalls: [Int: ToolCall] = [:]
    var stopReason: ChatStopReason?
    var stopSequence: String?
    var usage: TokenUsage?
    var errors: [KeelError] = []

    init(_ events: [ChatStreamEvent]) {
        for event in events {
            switch event {
            case .start(let id, _): self.id = id
            case .textDelta(let text): self.text += text
            case .thinkingDelta(let text): self.thinking += text
            case .thinkingSignature(let signature): self.signatures.append(signature)
            case .redactedThinking(let data): self.signatures.append("redacted:" + data)
            case .toolCallStart(let index, let id, let name): self.toolCalls[index] = ToolCall(id: id, name: name, arguments: "")
            case .toolCallArgumentsDelta(let index, let pieces): self.toolCalls[index]?.arguments += pieces
            case .refusalDelta(let text): self.refusal += text
            case .stop(let reason, let sequence):
                self.stopReason = reason
                self.stopSequence = sequence
            case .usage(let usage): self.usage = usage
            case .error(let error): self.errors.append(error)
            }
        }
    }

    var description: String {
        "text=\(self.text.debugDescription) thinking=\(self.thinking.count) tools=\(self.toolCalls) stop=\(String(describing: self.stopReason)) usage=\(String(describing: self.usage))"
    }
}

/// Feeds `chunks` to a fresh decoder and returns every event and whether the stream completed.
func decodeStream<Decoder: ChatStreamDecoder>(_ decoder: Decoder, _ chunks: [ByteBuffer]) throws -> (events: [ChatStreamEvent], isComplete: Bool) {
    var decoder = decoder
    var events: [ChatStreamEvent] = []
    for chunk in chunks {
        events += try decoder.decode(chunk)
    }
    return (events, decoder.isComplete)
}

/// Encodes `events` with `encoder`, ending the stream with `finish` (or `fail` after an error).
func encodeStream<Encoder: ChatStreamEncoder>(_ encoder: Encoder, _ events: [ChatStreamEvent]) -> ByteBuffer {
    var encoder = encoder
    var output = ByteBuffer()
    var failed = false
    for event in events {
        encoder.encode(event, into: &output)
        if case .error = event { failed = true }
    }
    if !failed { encoder.finish(into: &output) }
    return output
}

/// The `data:` payloads of an SSE text, as JSON where they are JSON.
func sseData(_ buffer: ByteBuffer) -> [(event: String?, data: String)] {
    let text = String(buffer: buffer)
    var result: [(String?, String)] = []
    for block in text.split(separator: "\n\n", omittingEmptySubsequences: true) {
        var name: String?
        var data = ""
        for line in block.split(separator: "\n") {
            if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
        }
        result.append((name, data))
    }
    return result
}

func body(_ json: String) -> ByteBuffer {
    ByteBuffer(string: json)
}

/// Runs `body` and returns the `KeelError` it throws, or `nil`.
func keelError(_ body: () throws(KeelError) -> Void) -> KeelError? {
    do {
        try body()
        return nil
    } catch {
        let failure: KeelError = error
        return failure
    }
}
