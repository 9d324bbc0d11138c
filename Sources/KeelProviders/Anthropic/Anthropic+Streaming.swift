public import KeelCore
public import NIOCore

/// Reads an upstream Messages stream (`message_start`, `content_block_*`, `ping`,
/// `message_delta`, `message_stop`, `error`) into canonical events, in whatever pieces its bytes
/// arrive. Tool-use blocks are numbered 0, 1, … in order of appearance (their canonical index),
/// whatever their block index. Usage is reported after `message_start` and again, merged with
/// the cumulative counts of `message_delta`, as the exact total. Unknown event and delta kinds
/// are skipped, as Anthropic asks of clients.
///
/// Source: https://docs.anthropic.com/en/docs/build-with-claude/streaming
public struct AnthropicStreamDecoder: ChatStreamDecoder {
    private var reader = SSEEventReader()
    public private(set) var isComplete = false
    private var failed = false
    private var toolOrdinals: [Int: Int] = [:]
    private var usage = AnthropicUsage.Counts()

    public init() {}

    public mutating func decode(_ chunk: ByteBuffer) throws(KeelError) -> [ChatStreamEvent] {
        var output: [ChatStreamEvent] = []
        for event in try self.reader.feed(chunk) where !self.isComplete && !self.failed {
            let json = try SSEEventReader.json(event)
            self.decode(type: json["type"]?.string ?? event.name ?? "", json: json, into: &output)
        }
        return output
    }

    private mutating func decode(type: String, json: JSONValue, into output: inout [ChatStreamEvent]) {
        switch type {
        case "message_start":
            let message = json["message"] ?? .object([])
            let id = message["id"]?.string.flatMap { $0.isEmpty ? nil : $0 } ?? AnthropicWire.generatedID(prefix: "msg_")
            output.append(.start(id: id, model: message["model"]?.string ?? ""))
            if let usage = message["usage"], usage.isObject {
                self.usage = AnthropicUsage.Counts(usage)
                output.append(.usage(self.usage.tokenUsage))
            }
        case "content_block_start":
            let index = json["index"]?.int ?? 0
            let block = json["content_block"] ?? .object([])
            switch block["type"]?.string {
            case "text":
                if let text = block["text"]?.string, !text.isEmpty { output.append(.textDelta(text)) }
            case "thinking":
                if let text = block["thinking"]?.string, !text.isEmpty { output.append(.thinkingDelta(text)) }
            case "redacted_thinking":
                if let data = block["data"]?.string { output.append(.redactedThinking(data)) }
            case "tool_use":
                let ordinal = self.toolOrdinals.count
                self.toolOrdinals[index] = ordinal
                let id = block["id"]?.string ?? AnthropicWire.generatedID(prefix: "toolu_")
                output.append(.toolCallStart(index: ordinal, id: id, name: block["name"]?.string ?? ""))
                if let input = block["input"], let members = input.members, !members.isEmpty {
                    output.append(.toolCallArgumentsDelta(index: ordinal, input.jsonText))
                }
            default:
                break
            }
        case "content_block_delta":
            let index = json["index"]?.int ?? 0
            let delta = json["delta"] ?? .object([])
            switch delta["type"]?.string {
            case "text_delta":
                if let text = delta["text"]?.string, !text.isEmpty { output.append(.textDelta(text)) }
            case "thinking_delta":
                if let text = delta["thinking"]?.string, !text.isEmpty { output.append(.thinkingDelta(text)) }
            case "signature_delta":
                if let signature = delta["signature"]?.string { output.append(.thinkingSignature(signature)) }
            case "input_json_delta":
                if let pieces = delta["partial_json"]?.string, !pieces.isEmpty, let ordinal = self.toolOrdinals[index] {
                    output.append(.toolCallArgumentsDelta(index: ordinal, pieces))
                }
            default:
                break
            }
        case "message_delta":
            if let delta = json["delta"], let reason = delta["stop_reason"]?.string {
                output.append(.stop(AnthropicWire.stopReason(reason), stopSequence: delta["stop_sequence"]?.string))
            }
            if let usage = json["usage"], usage.isObject {
                self.usage = self.usage.updated(by: AnthropicUsage.Counts(usage))
                output.append(.usage(self.usage.tokenUsage))
            }
        case "message_stop":
            self.isComplete = true
        case "error":
            self.failed = true
            output.append(.error(AnthropicFailure.error(type: json["error"]?["type"]?.string, message: json["error"]?["message"]?.string)))
        default:
            // `ping`, `content_block_stop` and kinds added later.
            break
        }
    }
}

/// Writes canonical events as a client's Messages stream: `message_start` (the message skeleton
/// and the usage known so far), then per part `content_block_start`, deltas (`text_delta`,
/// `thinking_delta`, `signature_delta`, `input_json_delta`) and `content_block_stop` when the
/// kind of part changes, a `ping` after the first block opens, and at the end `message_delta`
/// (stop reason, stop sequence and the exact cumulative usage: uncached input, cache reads and
/// writes, output) and `message_stop`.
///
/// An OpenAI upstream reports usage only at its end, after `message_start` has gone out with
/// zeros, so the totals the client must read — the ones the gateway records — are in
/// `message_delta.usage`, as Anthropic's own streams put them. Refusal text is written as text
/// (the stop reason says `refusal`). A tool call's arguments that arrive after another block
/// opened are still written to the tool's block index, which Anthropic's SDKs accumulate by.
public struct AnthropicStreamEncoder: ChatStreamEncoder {
    private enum Block: Equatable {
        case text
        case thinking
        case tool(Int)
    }

    private let model: String
    private var id: String
    private var started = false
    private var pinged = false
    private var nextIndex = 0
    private var open: (block: Block, index: Int)?
    private var toolBlocks: [Int: Int] = [:]
    private var stopReason: ChatStopReason?
    private var stopSequence: String?
    private var usage = TokenUsage.zero

    init(model: String, id: String = "") {
        self.model = model
        self.id = id
    }

    public mutating func encode(_ event: ChatStreamEvent, into output: inout ByteBuffer) {
        switch event {
        case .start(let id, _):
            if self.id.isEmpty && !id.isEmpty { self.id = id }
            self.writeStart(into: &output)
        case .textDelta(let text), .refusalDelta(let text):
            guard !text.isEmpty else { return }
            let index = self.openBlock(.text, into: &output)
            self.writeDelta(index: index, .object(["type": .string("text_delta"), "text": .string(text)]), into: &output)
        case .thinkingDelta(let text):
            guard !text.isEmpty else { return }
            let index = self.openBlock(.thinking, into: &output)
            self.writeDelta(index: index, .object(["type": .string("thinking_delta"), "thinking": .string(text)]), into: &output)
        case .thinkingSignature(let signature):
            let index = self.openBlock(.thinking, into: &output)
            self.writeDelta(index: index, .object(["type": .string("signature_delta"), "signature": .string(signature)]), into: &output)
        case .redactedThinking(let data):
            self.closeBlock(into: &output)
            let index = self.startBlock(.object(["type": .string("redacted_thinking"), "data": .string(data)]), into: &output)
            self.open = nil
            Self.writeEvent("content_block_stop", .object(["type": .string("content_block_stop"), "index": .int(index)]), into: &output)
        case .toolCallStart(let ordinal, let id, let name):
            self.closeBlock(into: &output)
            let block: JSONValue = .object([
                "type": .string("tool_use"),
                "id": .string(id.isEmpty ? AnthropicWire.generatedID(prefix: "toolu_") : id),
                "name": .string(name),
                "input": .object([]),
            ])
            let index = self.startBlock(block, into: &output)
            self.open = (.tool(ordinal), index)
            self.toolBlocks[ordinal] = index
        case .toolCallArgumentsDelta(let ordinal, let pieces):
            guard !pieces.isEmpty, let index = self.toolBlocks[ordinal] else { return }
            self.writeDelta(index: index, .object(["type": .string("input_json_delta"), "partial_json": .string(pieces)]), into: &output)
        case .stop(let reason, let stopSequence):
            self.closeBlock(into: &output)
            self.stopReason = reason
            self.stopSequence = stopSequence
        case .usage(let usage):
            self.usage = usage
        case .error(let error):
            self.fail(error, into: &output)
        }
    }

    public mutating func finish(into output: inout ByteBuffer) {
        self.writeStart(into: &output)
        self.closeBlock(into: &output)
        let delta: JSONValue = .object([
            "stop_reason": .string((self.stopReason ?? .endTurn).anthropic),
            "stop_sequence": self.stopSequence.map(JSONValue.string) ?? .null,
        ])
        Self.writeEvent(
            "message_delta",
            .object(["type": .string("message_delta"), "delta": delta, "usage": AnthropicUsage.encode(self.usage)]),
            into: &output
        )
        Self.writeEvent("message_stop", .object(["type": .string("message_stop")]), into: &output)
    }

    public mutating func fail(_ error: KeelError, into output: inout ByteBuffer) {
        output.writeString("event: error\ndata: ")
        output.writeString(error.anthropicBody)
        output.writeString("\n\n")
    }

    private mutating func writeStart(into output: inout ByteBuffer) {
        guard !self.started else { return }
        self.started = true
        if self.id.isEmpty { self.id = AnthropicWire.generatedID(prefix: "msg_") }
        let message: JSONValue = .object([
            "id": .string(self.id),
            "type": .string("message"),
            "role": .string("assistant"),
            "model": .string(self.model),
            "content": .array([]),
            "stop_reason": .null,
            "stop_sequence": .null,
            "usage": AnthropicUsage.encode(self.usage),
        ])
        Self.writeEvent("message_start", .object(["type": .string("message_start"), "message": message]), into: &output)
    }

    /// The index of the open block of `kind`, opening one (and closing another) if needed.
    private mutating func openBlock(_ kind: Block, into output: inout ByteBuffer) -> Int {
        if let open = self.open, open.block == kind { return open.index }
        self.closeBlock(into: &output)
        let block: JSONValue =
            kind == .text
            ? .object(["type": .string("text"), "text": .string("")])
            : .object(["type": .string("thinking"), "thinking": .string("")])
        let index = self.startBlock(block, into: &output)
        self.open = (kind, index)
        return index
    }

    private mutating func startBlock(_ block: JSONValue, into output: inout ByteBuffer) -> Int {
        self.writeStart(into: &output)
        let index = self.nextIndex
        self.nextIndex += 1
        Self.writeEvent(
            "content_block_start",
            .object(["type": .string("content_block_start"), "index": .int(index), "content_block": block]),
            into: &output
        )
        if !self.pinged {
            self.pinged = true
            Self.writeEvent("ping", .object(["type": .string("ping")]), into: &output)
        }
        return index
    }

    private mutating func closeBlock(into output: inout ByteBuffer) {
        guard let open = self.open else { return }
        self.open = nil
        Self.writeEvent("content_block_stop", .object(["type": .string("content_block_stop"), "index": .int(open.index)]), into: &output)
    }

    private mutating func writeDelta(index: Int, _ delta: JSONValue, into output: inout ByteBuffer) {
        Self.writeEvent("content_block_delta", .object(["type": .string("content_block_delta"), "index": .int(index), "delta": delta]), into: &output)
    }

    private static func writeEvent(_ name: String, _ data: JSONValue, into output: inout ByteBuffer) {
        output.writeString("event: ")
        output.writeString(name)
        output.writeString("\ndata: ")
        output.writeString(data.jsonText)
        output.writeString("\n\n")
    }
}

extension AnthropicChatDialect {
    public static func makeStreamEncoder(for request: ChatRequest, model: String) -> AnthropicStreamEncoder {
        AnthropicStreamEncoder(model: model)
    }

    public static func makeStreamDecoder() -> AnthropicStreamDecoder {
        AnthropicStreamDecoder()
    }
}

/// Watches an Anthropic Messages stream as it passes through unchanged (client and upstream
/// both speak Anthropic), for the record: the first content (time to first token), the stop
/// reason of `message_delta`, the end (`message_stop`), error events, and the exact usage from
/// `message_start` updated by the cumulative counts of `message_delta`.
///
/// Events are framed as the SSE specification reads them (``SSEEventFramer``) and their data read
/// with ``JSONReader``, so spacing, key order, escapes and multi-line `data:` change nothing. The
/// event's kind is its data's `type`, or its `event:` name when the data has none.
public struct AnthropicStreamObserver: Sendable {
    public private(set) var accounting = StreamAccounting()
    private var framer = SSEEventFramer()
    private var usage = AnthropicUsage.Counts()
    private var sawUsage = false

    public init() {}

    /// Observes `chunk` and returns the bytes to forward: the complete events it finishes. A
    /// chunk of whole events (the usual case) is returned as it is; an unfinished event is held
    /// until the chunk that completes it, so the client never receives half an event, and an
    /// error event written after a cut starts on a boundary of its own.
    public mutating func process(_ chunk: ByteBuffer) -> ByteBuffer {
        var state = (self.accounting, self.usage, self.sawUsage)
        let output = self.framer.feed(chunk) { event in
            Self.observe(event, into: &state.0, usage: &state.1, sawUsage: &state.2)
            return true
        }
        self.store(state)
        return output
    }

    /// The upstream body ended: reads an event it left without its blank line, and returns the
    /// bytes still held.
    public mutating func end() -> ByteBuffer {
        var state = (self.accounting, self.usage, self.sawUsage)
        let output = self.framer.finish { event in
            Self.observe(event, into: &state.0, usage: &state.1, sawUsage: &state.2)
            return true
        }
        self.store(state)
        return output
    }

    private mutating func store(_ state: (StreamAccounting, AnthropicUsage.Counts, Bool)) {
        var (accounting, usage, sawUsage) = state
        // An event longer than any real one: forwarded as is, and the stream is no longer trusted.
        if self.framer.overflowed { accounting.sawMalformedEvent = true }
        if sawUsage { accounting.usage = usage.tokenUsage }
        self.accounting = accounting
        self.usage = usage
        self.sawUsage = sawUsage
    }

    /// The members of one event's data that the observer reads, located in one pass.
    struct Members {
        var type: String?
        var delta: Range<Int>?
        var contentBlock: Range<Int>?
        var message: Range<Int>?
        var usage: Range<Int>?

        init(_ data: UnsafeRawBufferPointer) throws(JSONScanner.SyntaxError) {
            var reader = JSONReader(data)
            try reader.enterObject()
            while let key = try reader.nextMember() {
                if reader.key(key, is: "type") {
                    self.type = try reader.readString()
                } else if reader.key(key, is: "delta") {
                    self.delta = try Self.object(&reader)
                } else if reader.key(key, is: "content_block") {
                    self.contentBlock = try Self.object(&reader)
                } else if reader.key(key, is: "message") {
                    self.message = try Self.object(&reader)
                } else if reader.key(key, is: "usage") {
                    self.usage = try Self.object(&reader)
                } else {
                    try reader.skipValue()
                }
            }
            try reader.finish()
        }

        private static func object(_ reader: inout JSONReader) throws(JSONScanner.SyntaxError) -> Range<Int>? {
            let kind = try reader.peek()
            let range = try reader.skipValue()
            return kind == .object ? range : nil
        }
    }

    static func observe(
        _ event: SSEEventFramer.Event,
        into accounting: inout StreamAccounting,
        usage: inout AnthropicUsage.Counts,
        sawUsage: inout Bool
    ) {
        let data = event.data
        let members: Members
        do {
            members = try Members(data)
        } catch {
            accounting.sawMalformedEvent = true
            return
        }
        func value(_ range: Range<Int>) -> JSONValue {
            JSONValue(validated: UnsafeRawBufferPointer(rebasing: data[range]))
        }
        let type = members.type ?? event.name.map { String(decoding: $0, as: UTF8.self) } ?? ""
        switch type {
        case "content_block_delta":
            accounting.outputEvents += 1
            // Read only until the first content: later deltas need no parsing.
            if !accounting.sawContent, let delta = members.delta {
                let delta = value(delta)
                for key in ["text", "thinking", "partial_json"] where delta[key]?.string?.isEmpty == false {
                    accounting.sawContent = true
                }
            }
        case "content_block_start":
            if !accounting.sawContent, let block = members.contentBlock {
                let block = value(block)
                switch block["type"]?.string {
                case "tool_use", "server_tool_use", "redacted_thinking":
                    accounting.sawContent = true
                case "text":
                    if block["text"]?.string?.isEmpty == false { accounting.sawContent = true }
                case "thinking":
                    if block["thinking"]?.string?.isEmpty == false { accounting.sawContent = true }
                default:
                    break
                }
            }
        case "message_start":
            if let message = members.message {
                let message = value(message)
                if accounting.responseModel == nil, let model = message["model"]?.string, !model.isEmpty {
                    accounting.responseModel = model
                }
                if let counts = message["usage"], counts.isObject {
                    usage = AnthropicUsage.Counts(counts)
                    sawUsage = true
                }
            }
        case "message_delta":
            if let delta = members.delta, let reason = value(delta)["stop_reason"]?.string { accounting.finishReason = reason }
            if let counts = members.usage {
                usage = usage.updated(by: AnthropicUsage.Counts(value(counts)))
                sawUsage = true
            }
        case "message_stop":
            accounting.sawTerminator = true
        case "error":
            accounting.sawErrorEvent = true
        default:
            break
        }
    }
}
