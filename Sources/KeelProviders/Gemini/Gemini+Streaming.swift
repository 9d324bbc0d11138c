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
    private var splitter = SSELineSplitter()
    /// The `data:` lines of the event being read, joined by `\n` as SSE defines.
    private var data: [UInt8] = []
    private var hasData = false
    private var started = false
    private var toolCalls = 0
    private var finished = false
    private var failed = false

    public private(set) var isComplete = false

    public init() {}

    public mutating func decode(_ chunk: ByteBuffer) throws(KeelError) -> [ChatStreamEvent] {
        var lines: [[UInt8]] = []
        do {
            try self.splitter.feed(chunk) { line, _ in lines.append(Array(line)) }
        } catch {
            throw KeelError.upstreamBadResponse("The Gemini upstream sent a stream line longer than the gateway accepts.")
        }
        var events: [ChatStreamEvent] = []
        for line in lines {
            if line.isEmpty {
                if self.hasData { try self.dispatch(into: &events) }
                continue
            }
            guard line.starts(with: Array("data:".utf8)) else { continue }  // `event:`, `id:`, comments
            var value = line.dropFirst(5)
            if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
            if self.hasData { self.data.append(UInt8(ascii: "\n")) }
            self.data.append(contentsOf: value)
            self.hasData = true
        }
        return events
    }

    private mutating func dispatch(into events: inout [ChatStreamEvent]) throws(KeelError) {
        defer {
            self.data.removeAll(keepingCapacity: true)
            self.hasData = false
        }
        if self.failed { return }
        let json: JSONValue
        do {
            json = try self.data.withUnsafeBytes { bytes throws(JSONScanner.SyntaxError) in try JSONValue(parsing: bytes) }
        } catch {
            throw KeelError.upstreamBadResponse("The Gemini upstream sent a stream event that is not JSON.")
        }
        if let error = json["error"] {
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
