import KeelCore
import KeelProviders
import NIOCore

/// What the client has received of a stream, read back from the bytes sent to it.
struct StreamTranscript: Sendable {
    /// Where the bytes sent so far end, in SSE terms.
    enum Tail: Sendable, Equatable {
        /// After a blank line (or nothing sent yet): a new event may follow.
        case eventBoundary
        /// After a complete line of an event whose blank line has not come.
        case afterLine
        /// Inside a line.
        case midLine
    }

    /// The id of the answer, as the client's first event gave it.
    var startID: String?
    /// The text received, in order.
    var text = ""
    /// Content events received: about one token each.
    var contentEvents = 0
    /// Content other than text (reasoning, a tool call, a refusal) was received.
    var otherContent = false
    /// The answer's stop reason was received.
    var stopped = false
    /// The client's bytes could not be read back as its dialect, or held an error event.
    var unreadable = false
    var tail = Tail.eventBoundary

    /// Whether the rest of the answer may be asked of another upstream: text only, not stopped,
    /// read back whole, and not cut inside a line.
    var isResumable: Bool {
        !self.unreadable && !self.otherContent && !self.stopped && self.tail != .midLine
            && !self.text.allSatisfy(\.isWhitespace)
    }

    mutating func add(_ event: ChatStreamEvent) {
        switch event {
        case .start(let id, _):
            if self.startID == nil { self.startID = id }
        case .textDelta(let text):
            guard !text.isEmpty else { return }
            self.text += text
            self.contentEvents += 1
        case .stop:
            self.stopped = true
        case .usage:
            break
        case .error:
            self.unreadable = true
        case .thinkingDelta, .thinkingSignature, .redactedThinking, .toolCallStart, .toolCallArgumentsDelta,
            .refusalDelta:
            self.otherContent = true
        }
    }
}

/// A stream's own pipe, with a transcript of what it sends the client (``StreamResume``).
struct TranscribingPipe<Decoder: ChatStreamDecoder>: StreamPipe {
    private var inner: any StreamPipe
    private var decoder: Decoder
    private(set) var transcript = StreamTranscript()
    /// The last bytes sent, for ``StreamTranscript/tail``.
    private var last: (UInt8, UInt8) = (UInt8(ascii: "\n"), UInt8(ascii: "\n"))

    init(inner: any StreamPipe, decoder: Decoder) {
        self.inner = inner
        self.decoder = decoder
    }

    var accounting: StreamAccounting { self.inner.accounting }

    mutating func process(_ chunk: ByteBuffer) -> ByteBuffer {
        let output = self.inner.process(chunk)
        self.record(output)
        return output
    }

    mutating func end() -> ByteBuffer {
        let output = self.inner.end()
        self.record(output)
        return output
    }

    mutating func finish() -> ByteBuffer { self.inner.finish() }

    mutating func failure(_ error: KeelError) -> ByteBuffer { self.inner.failure(error) }

    /// Reads `bytes`, sent to the client, into the transcript.
    mutating func record(_ bytes: ByteBuffer) {
        guard bytes.readableBytes > 0 else { return }
        if !self.transcript.unreadable {
            do {
                for event in try self.decoder.decode(bytes) { self.transcript.add(event) }
            } catch {
                self.transcript.unreadable = true
            }
        }
        let view = bytes.readableBytesView
        let previous = view.count >= 2 ? view[view.index(view.endIndex, offsetBy: -2)] : self.last.1
        self.last = (previous, view[view.index(before: view.endIndex)])
        let newline = UInt8(ascii: "\n")
        // A "\r\n" stream counts as `afterLine` at an event's end too: the extra "\n" the
        // resumption then writes is an empty line, which an SSE reader ignores.
        self.transcript.tail =
            self.last.1 != newline ? .midLine : self.last.0 == newline ? .eventBoundary : .afterLine
    }
}

/// A continuation stream's pipe: its upstream's events encoded by the client's encoder as the
/// replay left it, so they continue the client's stream.
///
/// Its opening (`start`) adds nothing the client has not seen; its first text drops its leading
/// whitespace when the partial answer ended with some (an Anthropic prefill is sent trimmed, so
/// the upstream starts again with the space). Its usage is the cut attempt's plus its own, and
/// that sum is what the client's final usage reports.
struct SplicePipe<Decoder: ChatStreamDecoder, Encoder: ChatStreamEncoder>: StreamPipe {
    private(set) var accounting = StreamAccounting()
    private var decoder: Decoder
    private var encoder: Encoder
    private var trimLeadingWhitespace: Bool
    private let partialUsage: TokenUsage

    init(decoder: Decoder, encoder: Encoder, trimLeadingWhitespace: Bool, partialUsage: TokenUsage) {
        self.decoder = decoder
        self.encoder = encoder
        self.trimLeadingWhitespace = trimLeadingWhitespace
        self.partialUsage = partialUsage
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
        for var event in events {
            switch event {
            case .start:
                continue
            case .textDelta(let text) where self.trimLeadingWhitespace:
                let trimmed = String(text.drop(while: \.isWhitespace))
                if trimmed.isEmpty { continue }
                self.trimLeadingWhitespace = false
                event = .textDelta(trimmed)
            case .usage(let usage):
                let total = Self.sum(self.partialUsage, usage)
                self.accounting.usage = total
                event = .usage(total)
            case .stop(let reason, _):
                self.accounting.finishReason = reason.rawValue
            case .error:
                self.accounting.sawErrorEvent = true
                return output
            default:
                break
            }
            if event.isContent {
                self.trimLeadingWhitespace = false
                self.accounting.sawContent = true
                self.accounting.outputEvents += 1
            }
            self.encoder.encode(event, into: &output)
        }
        if self.decoder.isComplete { self.accounting.sawTerminator = true }
        return output
    }

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

    static func sum(_ a: TokenUsage, _ b: TokenUsage) -> TokenUsage {
        TokenUsage(
            inputTokens: a.inputTokens + b.inputTokens,
            outputTokens: a.outputTokens + b.outputTokens,
            cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
            cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
            cacheWrite1hTokens: a.cacheWrite1hTokens + b.cacheWrite1hTokens,
            reasoningTokens: a.reasoningTokens + b.reasoningTokens,
            webSearchRequests: a.webSearchRequests + b.webSearchRequests
        )
    }
}
