public import KeelCore
public import NIOCore

/// Watches an OpenAI chat-completions SSE stream as it passes through, without re-encoding it.
///
/// Events are framed as the SSE specification reads them (``SSEEventFramer``), so the client gets
/// whole events only, and when the client did not ask for usage but the gateway did, the final
/// usage event (`"choices":[]`) is dropped so the client sees exactly the stream it asked for.
/// Every event's data is read once with ``JSONReader``: validated in full, and the fields that
/// matter (`choices[].delta` content, `choices[].finish_reason`, `usage`, `error`, `model`) read
/// where a JSON parser would find them, however the upstream spaces, orders or escapes them.
public struct OpenAIStreamObserver: Sendable {
    public private(set) var accounting = StreamAccounting()
    private var framer = SSEEventFramer()
    private let dropUsageEvent: Bool

    /// - Parameter dropUsageEvent: remove the usage-only final event from the forwarded bytes
    ///   (the gateway added `stream_options.include_usage` for metering; the client did not).
    public init(dropUsageEvent: Bool) {
        self.dropUsageEvent = dropUsageEvent
    }

    /// Observes `chunk` and returns the bytes to forward to the client (possibly empty).
    public mutating func process(_ chunk: ByteBuffer) -> ByteBuffer {
        var accounting = self.accounting
        let dropUsage = self.dropUsageEvent
        let output = self.framer.feed(chunk) { event in
            !Self.observe(data: event.data, into: &accounting, dropUsage: dropUsage)
        }
        // An event longer than any real one: forwarded as is, and the stream is no longer trusted.
        if self.framer.overflowed { accounting.sawMalformedEvent = true }
        self.accounting = accounting
        return output
    }

    /// The upstream body ended: reads an event it left without its blank line, and returns the
    /// bytes still held.
    public mutating func end() -> ByteBuffer {
        var accounting = self.accounting
        let dropUsage = self.dropUsageEvent
        let output = self.framer.finish { event in
            !Self.observe(data: event.data, into: &accounting, dropUsage: dropUsage)
        }
        self.accounting = accounting
        return output
    }

    /// Reads one event's data; returns whether the event must be dropped from the forwarded stream.
    static func observe(data: UnsafeRawBufferPointer, into accounting: inout StreamAccounting, dropUsage: Bool) -> Bool {
        if Self.isDone(data) {
            accounting.sawTerminator = true
            return false
        }
        var event = Event()
        do {
            try event.read(data, wantModel: accounting.responseModel == nil)
        } catch {
            accounting.sawMalformedEvent = true
            return false
        }
        if event.hasError {
            accounting.sawErrorEvent = true
            return false
        }
        if accounting.responseModel == nil, let model = event.model, !model.isEmpty { accounting.responseModel = model }
        if event.hasContent {
            accounting.sawContent = true
            accounting.outputEvents += 1
        }
        if let reason = event.finishReason { accounting.finishReason = reason }
        if let range = event.usage, let usage = OpenAIUsage.decode(UnsafeRawBufferPointer(rebasing: data[range])) {
            accounting.usage = usage
            return dropUsage && event.choices == 0
        }
        return false
    }

    /// `[DONE]`, the stream's terminator, with any whitespace around it.
    static func isDone(_ data: UnsafeRawBufferPointer) -> Bool {
        var start = 0
        var end = data.count
        while start < end, Self.isWhitespace(data[start]) { start += 1 }
        while end > start, Self.isWhitespace(data[end - 1]) { end -= 1 }
        return ByteSearch.equals(UnsafeRawBufferPointer(rebasing: data[start..<end]), "[DONE]")
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// What one chunk object says, read as a JSON parser reads it (the last of duplicate keys wins).
    struct Event {
        /// Elements of `choices`, or `nil` when it is absent or not an array.
        var choices: Int?
        /// Some choice's delta carries content: non-empty text, reasoning or refusal, a tool call.
        var hasContent = false
        /// The last non-null `finish_reason` among the choices.
        var finishReason: String?
        /// Where the `usage` object lies, when it is one.
        var usage: Range<Int>?
        /// A non-null top-level `error`.
        var hasError = false
        var model: String?

        mutating func read(_ data: UnsafeRawBufferPointer, wantModel: Bool) throws(JSONScanner.SyntaxError) {
            var reader = JSONReader(data)
            try reader.enterObject()
            while let key = try reader.nextMember() {
                if reader.key(key, is: "choices") {
                    try self.readChoices(&reader)
                } else if reader.key(key, is: "usage") {
                    let kind = try reader.peek()
                    let range = try reader.skipValue()
                    self.usage = kind == .object ? range : nil
                } else if reader.key(key, is: "error") {
                    self.hasError = try reader.peek() != .null
                    try reader.skipValue()
                } else if wantModel && reader.key(key, is: "model") {
                    self.model = try reader.readString()
                } else {
                    try reader.skipValue()
                }
            }
            try reader.finish()
        }

        private mutating func readChoices(_ reader: inout JSONReader) throws(JSONScanner.SyntaxError) {
            guard try reader.peek() == .array else {
                try reader.skipValue()
                self.choices = nil
                return
            }
            // A repeated `choices` replaces the earlier one, as in a parser that keeps the last key.
            self.hasContent = false
            self.finishReason = nil
            var count = 0
            try reader.enterArray()
            while try reader.nextElement() {
                count += 1
                guard try reader.peek() == .object else {
                    try reader.skipValue()
                    continue
                }
                try reader.enterObject()
                var finishReason: String?
                var content = false
                while let key = try reader.nextMember() {
                    if reader.key(key, is: "finish_reason") {
                        finishReason = try reader.readString()
                    } else if reader.key(key, is: "delta") {
                        content = try Self.deltaCarriesContent(&reader)
                    } else {
                        try reader.skipValue()
                    }
                }
                if content { self.hasContent = true }
                if let finishReason { self.finishReason = finishReason }
            }
            self.choices = count
        }

        /// Whether a delta carries generated content: non-empty `content`, `reasoning_content`,
        /// `reasoning` or `refusal`, a non-empty `tool_calls`, or a `function_call`.
        private static func deltaCarriesContent(_ reader: inout JSONReader) throws(JSONScanner.SyntaxError) -> Bool {
            guard try reader.peek() == .object else {
                try reader.skipValue()
                return false
            }
            // One flag per member, so that a repeated key replaces the earlier value.
            var text = false
            var reasoningContent = false
            var reasoning = false
            var refusal = false
            var toolCalls = false
            var functionCall = false
            try reader.enterObject()
            while let key = try reader.nextMember() {
                if reader.key(key, is: "content") {
                    text = try reader.readNonEmptyString()
                } else if reader.key(key, is: "reasoning_content") {
                    reasoningContent = try reader.readNonEmptyString()
                } else if reader.key(key, is: "reasoning") {
                    reasoning = try reader.readNonEmptyString()
                } else if reader.key(key, is: "refusal") {
                    refusal = try reader.readNonEmptyString()
                } else if reader.key(key, is: "tool_calls") {
                    toolCalls = try reader.readNonEmptyArray()
                } else if reader.key(key, is: "function_call") {
                    functionCall = try reader.peek() == .object
                    try reader.skipValue()
                } else {
                    try reader.skipValue()
                }
            }
            return text || reasoningContent || reasoning || refusal || toolCalls || functionCall
        }
    }
}
