public import KeelCore
public import NIOCore

/// Reads a Gemini `streamGenerateContent?alt=sse` stream into canonical events.
///
/// Each SSE `data:` event is a whole `GenerateContentResponse` carrying the parts generated since
/// the previous one. Text and thought parts become deltas; a function call arrives whole, so it
/// becomes ``ChatStreamEvent/toolCallStart(index:id:name:)`` and one arguments delta. The event
/// with a `finishReason` ends the answer and carries the final `usageMetadata` (earlier events
/// carry running counts, which are not reported). An `{"error":…}` event ends the stream with
/// ``ChatStreamEvent/error(_:)``.
public struct GeminiStreamDecoder: ChatStreamDecoder {
    private var framer = SSEEventFramer()
    private var started = false
    private var toolCalls = 0
    private var finished = false
    private var failed = false

    public private(set) var isComplete = false

    public init() {}

    public mutating func decode(_ chunk: ByteBuffer) throws(KeelError) -> [ChatStreamEvent] {
        var events: [ChatStreamEvent] = []
        var failure: KeelError?
        // The framer is taken out while it runs, since each event it reports changes the decoder.
        var framer = self.framer
        defer { self.framer = framer }
        _ = framer.feed(chunk) { event in
            guard failure == nil else { return true }
            do throws(KeelError) {
                try self.dispatch(event.data, into: &events)
            } catch {
                failure = error
            }
            return true
        }
        if framer.overflowed {
            throw KeelError.upstreamBadResponse("The Gemini upstream sent a stream event longer than the gateway accepts.")
        }
        if let failure { throw failure }
        return events
    }

    private mutating func dispatch(_ data: UnsafeRawBufferPointer, into events: inout [ChatStreamEvent]) throws(KeelError) {
        if self.failed { return }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: data)
        } catch {
            throw KeelError.upstreamBadResponse("The Gemini upstream sent a stream event that is not JSON.")
        }
        if let error = json["error"], !error.isNull {
            events.append(.error(GeminiFailure.error(inStream: error)))
            self.failed = true
            self.isComplete = true
            return
        }
        if !self.started {
            self.started = true
            let id = json["responseId"]?.string ?? "gemini-" + GeminiWire.randomAlphanumerics(24)
            events.append(.start(id: id, model: json["modelVersion"]?.string ?? ""))
        }
        let candidate = json["candidates"]?.array?.first
        for part in candidate?["content"]?["parts"]?.array ?? [] {
            switch GeminiChatDialect.content(of: part) {
            case .text(let text)?:
                events.append(.textDelta(text.text))
            case .thinking(let thinking)?:
                events.append(.thinkingDelta(thinking.text))
            case .toolCall(let call)?:
                events.append(.toolCallStart(index: self.toolCalls, id: call.id, name: call.name))
                events.append(.toolCallArgumentsDelta(index: self.toolCalls, call.arguments))
                self.toolCalls += 1
            default:
                continue
            }
        }
        if !self.finished {
            if let reason = candidate?["finishReason"]?.string {
                self.finished = true
                events.append(.stop(GeminiChatDialect.stopReason(reason, hasToolCalls: self.toolCalls > 0), stopSequence: nil))
            } else if candidate == nil, json["promptFeedback"]?["blockReason"] != nil {
                self.finished = true
                events.append(.stop(.contentFilter, stopSequence: nil))
            }
        }
        if self.finished, let metadata = json["usageMetadata"] {
            events.append(.usage(GeminiChatDialect.usage(from: metadata)))
        }
        self.isComplete = self.finished
    }
}
