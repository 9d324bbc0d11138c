public import KeelCore
public import NIOCore

/// Watches an OpenAI chat-completions SSE stream as it passes through, without re-encoding it.
///
/// It forwards complete lines only (a line split across upstream chunks is held until its end
/// arrives, which a client could not use earlier anyway) and, when the client did not ask for
/// usage but the gateway did, drops the final usage event (`"choices":[]`) so the client sees
/// exactly the stream it asked for. Every event's data is validated as JSON; events are otherwise
/// inspected by key patterns (sound in JSON text, where a quote inside a string is escaped), and
/// only events with a usage or error key are indexed.
public struct OpenAIStreamObserver: Sendable {
    public private(set) var accounting = StreamAccounting()
    private var splitter = SSELineSplitter()
    private let dropUsageEvent: Bool

    /// - Parameter dropUsageEvent: remove the usage-only final event from the forwarded bytes
    ///   (the gateway added `stream_options.include_usage` for metering; the client did not).
    public init(dropUsageEvent: Bool) {
        self.dropUsageEvent = dropUsageEvent
    }

    /// Observes `chunk` and returns the bytes to forward to the client (possibly empty).
    public mutating func process(_ chunk: ByteBuffer) -> ByteBuffer {
        let heldBack = self.splitter.carry
        var accounting = self.accounting
        var dropped: [Range<Int>] = []
        var heldBackDropped = false
        let dropUsage = self.dropUsageEvent
        let consumed: Int
        do {
            consumed = try self.splitter.feed(chunk) { line, chunkRange in
                guard Self.observe(line: line, into: &accounting, dropUsage: dropUsage) else { return }
                if heldBack != nil && chunkRange.lowerBound == 0 { heldBackDropped = true }
                dropped.append(chunkRange)
            }
        } catch {
            // A line longer than any real event: forward as is and stop trusting the stream.
            accounting.sawMalformedEvent = true
            self.accounting = accounting
            return chunk
        }
        self.accounting = accounting
        if heldBack == nil && dropped.isEmpty && consumed == chunk.readableBytes { return chunk }

        var output = ByteBuffer()
        if consumed > 0, let heldBack, !heldBackDropped { output = heldBack }
        var position = 0
        for range in dropped {
            if range.lowerBound > position {
                output.writeImmutableBuffer(chunk.getSlice(at: chunk.readerIndex + position, length: range.lowerBound - position)!)
            }
            position = range.upperBound
        }
        if consumed > position {
            output.writeImmutableBuffer(chunk.getSlice(at: chunk.readerIndex + position, length: consumed - position)!)
        }
        return output
    }

    /// Inspects one line; returns whether it must be dropped from the forwarded stream.
    static func observe(line: UnsafeRawBufferPointer, into accounting: inout StreamAccounting, dropUsage: Bool) -> Bool {
        guard ByteSearch.hasPrefix("data:", line) else { return false }
        var start = 5
        if start < line.count && line[start] == UInt8(ascii: " ") { start += 1 }
        let data = UnsafeRawBufferPointer(rebasing: line[start...])
        if ByteSearch.hasPrefix("[DONE]", data) {
            accounting.sawTerminator = true
            return false
        }
        // Every event is validated, but only the rare ones that matter are indexed: building the
        // member list costs allocations that plain validation does not.
        guard (try? JSONScanner.validate(data)) == .object else {
            accounting.sawMalformedEvent = true
            return false
        }
        let mayCarryError = ByteSearch.firstIndex(of: #""error":"#, in: data) != nil
        if mayCarryError, let index = try? JSONScanner.indexObject(data), index["error"] != nil {
            accounting.sawErrorEvent = true
            return false
        }
        if !accounting.sawContent, Self.carriesContent(data) {
            accounting.sawContent = true
        }
        if accounting.sawContent { accounting.outputEvents += 1 }
        if let position = ByteSearch.firstIndex(of: #""finish_reason":""#, in: data) {
            let valueStart = position + 17
            if let valueEnd = data[valueStart...].firstIndex(of: UInt8(ascii: "\"")) {
                accounting.finishReason = String(decoding: UnsafeRawBufferPointer(rebasing: data[valueStart..<valueEnd]), as: UTF8.self)
            }
        }
        if ByteSearch.firstIndex(of: #""usage":{"#, in: data) != nil, let index = try? JSONScanner.indexObject(data) {
            if let usage = index["usage"], usage.kind == .object, let decoded = OpenAIUsage.decode(index.slice(usage)) {
                accounting.usage = decoded
                if dropUsage, let choices = index["choices"], index.arrayCount(choices) == 0 {
                    return true
                }
            }
        }
        return false
    }

    /// Whether an event carries generated content: non-empty text, reasoning, refusal, or a tool call.
    static func carriesContent(_ data: UnsafeRawBufferPointer) -> Bool {
        for pattern: StaticString in [#""content":""#, #""reasoning_content":""#, #""refusal":""#] {
            if let position = ByteSearch.firstIndex(of: pattern, in: data) {
                let next = position + pattern.utf8CodeUnitCount
                if next < data.count && data[next] != UInt8(ascii: "\"") { return true }
            }
        }
        return ByteSearch.firstIndex(of: #""tool_calls":[{"#, in: data) != nil
    }
}
