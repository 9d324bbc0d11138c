import KeelCore
import KeelProviders
import NIOCore

/// What a stream relay does to the upstream's bytes on their way to the client: pass them through
/// while watching them (same dialect), or decode and re-encode them (translation). Either way it
/// keeps the ``StreamAccounting`` the relay records from, and writes the end and the error event
/// of a stream in the client's dialect.
protocol StreamPipe: Sendable {
    /// What the stream showed so far.
    var accounting: StreamAccounting { get }

    /// The bytes to send the client for `chunk` (possibly empty).
    mutating func process(_ chunk: ByteBuffer) -> ByteBuffer

    /// The upstream body ended: the bytes the pipe still held (an event the upstream left without
    /// its blank line), after reading them into ``accounting``. Called once, before the relay
    /// decides how the stream ended.
    mutating func end() -> ByteBuffer

    /// Bytes that close a complete stream (translation writes the dialect's final events here;
    /// pass-through has forwarded the upstream's own).
    mutating func finish() -> ByteBuffer

    /// The event that ends a broken stream, in the client's dialect.
    mutating func failure(_ error: KeelError) -> ByteBuffer

    /// Why the pipe stopped the stream itself (a content rule blocks what the answer carries):
    /// the relay ends the stream with this error. `nil` while it flows.
    var refusal: KeelError? { get }

    /// What the content guard found in the answer so far, for the request's record.
    var guardVerdict: GuardVerdict? { get }

    /// Calls of tools an approval gates, held back from the client with everything after them
    /// until reviewers decide; empty while nothing is held.
    var heldCalls: [StreamedToolCalls.Call] { get }

    /// What was held, once the held calls are approved.
    mutating func releaseHeld() -> ByteBuffer
}

extension StreamPipe {
    var refusal: KeelError? { nil }
    var guardVerdict: GuardVerdict? { nil }
    var heldCalls: [StreamedToolCalls.Call] { [] }
    mutating func releaseHeld() -> ByteBuffer { ByteBuffer() }
}

/// Same dialect, OpenAI: bytes pass through; the usage chunk the gateway asked for is removed
/// when the client did not ask for it.
struct OpenAIPassThroughPipe: StreamPipe {
    private var observer: OpenAIStreamObserver

    init(dropUsageEvent: Bool) {
        self.observer = OpenAIStreamObserver(dropUsageEvent: dropUsageEvent)
    }

    var accounting: StreamAccounting { self.observer.accounting }

    mutating func process(_ chunk: ByteBuffer) -> ByteBuffer { self.observer.process(chunk) }

    mutating func end() -> ByteBuffer { self.observer.end() }

    mutating func finish() -> ByteBuffer { ByteBuffer() }

    mutating func failure(_ error: KeelError) -> ByteBuffer {
        var event = ByteBuffer(string: "data: ")
        event.writeString(error.openAIBody)
        event.writeString("\n\n")
        return event
    }
}

/// Same dialect, Anthropic: bytes pass through unchanged while usage (from `message_start` and
/// `message_delta`) and completeness (`message_stop`) are read.
struct AnthropicPassThroughPipe: StreamPipe {
    private var observer = AnthropicStreamObserver()

    var accounting: StreamAccounting { self.observer.accounting }

    mutating func process(_ chunk: ByteBuffer) -> ByteBuffer { self.observer.process(chunk) }

    mutating func end() -> ByteBuffer { self.observer.end() }

    mutating func finish() -> ByteBuffer { ByteBuffer() }

    mutating func failure(_ error: KeelError) -> ByteBuffer {
        AnthropicPassThroughPipe.errorEvent(error)
    }

    static func errorEvent(_ error: KeelError) -> ByteBuffer {
        var event = ByteBuffer(string: "event: error\ndata: ")
        event.writeString(error.anthropicBody)
        event.writeString("\n\n")
        return event
    }
}

/// Different dialects: upstream events are decoded to canonical events and encoded in the
/// client's dialect as they arrive; nothing is buffered beyond an incomplete event.
struct TranslatingPipe<Decoder: ChatStreamDecoder, Encoder: ChatStreamEncoder>: StreamPipe {
    private(set) var accounting = StreamAccounting()
    private var decoder: Decoder
    private var encoder: Encoder

    init(decoder: Decoder, encoder: Encoder) {
        self.decoder = decoder
        self.encoder = encoder
    }

    mutating func process(_ chunk: ByteBuffer) -> ByteBuffer {
        guard !self.accounting.sawErrorEvent && !self.accounting.sawMalformedEvent else { return ByteBuffer() }
        let events: [ChatStreamEvent]
        do {
            events = try self.decoder.decode(chunk)
        } catch {
            self.accounting.sawMalformedEvent = true
            return ByteBuffer()
        }
        var output = ByteBuffer()
        for event in events {
            switch event {
            case .usage(let usage):
                self.accounting.usage = usage
            case .stop(let reason, _):
                self.accounting.finishReason = reason.rawValue
            case .error:
                // The relay ends the stream with its own error event in the client's dialect.
                self.accounting.sawErrorEvent = true
                return output
            default:
                if event.isContent {
                    self.accounting.sawContent = true
                    self.accounting.outputEvents += 1
                }
            }
            self.encoder.encode(event, into: &output)
        }
        if self.decoder.isComplete { self.accounting.sawTerminator = true }
        return output
    }

    // A decoder dispatches an event at its blank line, as SSE readers do; one left without it
    // is not read.
    mutating func end() -> ByteBuffer { ByteBuffer() }

    mutating func finish() -> ByteBuffer {
        var output = ByteBuffer()
        self.encoder.finish(into: &output)
        return output
    }

    mutating func failure(_ error: KeelError) -> ByteBuffer {
        var output = ByteBuffer()
        self.encoder.fail(error, into: &output)
        return output
    }
}
