import KeelCore
import NIOCore

/// Renders a planned answer as an Anthropic `message`: the whole body, or the server-sent events
/// of a stream.
///
/// Content blocks, in order: a `thinking` block when the request enabled thinking (its text is
/// the reasoning tokens' words, then a signature), then a `text` block or one `tool_use` block
/// per call. The stream is `message_start`, then per block `content_block_start`, its deltas and
/// `content_block_stop` (a `ping` follows the first block start), then `message_delta` with the
/// stop reason and cumulative usage, then `message_stop`.
struct AnthropicMessageRenderer: StreamRenderer {
    /// One content block and its stream deltas.
    private struct Block {
        /// The whole block, for the non-streaming body.
        let json: String
        /// The `content_block` of its `content_block_start`.
        let start: String
        /// The `delta` objects that carry tokens (paced).
        let deltas: [String]
        /// `delta` objects sent right after the start (an empty `input_json_delta`) and right
        /// before the stop (`signature_delta`), not paced.
        var leading: [String] = []
        var trailing: [String] = []
    }

    let completion: SimulatedCompletion
    let id: String
    private let blocks: [Block]
    private let opening_: ByteBuffer
    /// The paced delta events, each with the framing due before it.
    private let units: [ByteBuffer]
    private let closing_: ByteBuffer

    init(completion: SimulatedCompletion, thinking: Bool) {
        self.completion = completion
        self.id = "msg_01" + StableHash.hex(completion.seed ^ 0xA5A5).prefix(12) + StableHash.hex(completion.seed).prefix(10)
        var blocks: [Block] = []
        if thinking {
            let text = completion.thinkingPieces(count: completion.usage.reasoningTokens)
            let signature = Self.signature(completion.seed)
            blocks.append(
                Block(
                    json: #"{"type":"thinking","thinking":"# + JSONWriter.quoted(text.joined()) + #","signature":"#
                        + JSONWriter.quoted(signature) + "}",
                    start: #"{"type":"thinking","thinking":"","signature":""}"#,
                    deltas: text.map { #"{"type":"thinking_delta","thinking":"# + JSONWriter.quoted($0) + "}" },
                    trailing: [#"{"type":"signature_delta","signature":"# + JSONWriter.quoted(signature) + "}"]
                ))
        }
        switch completion.output {
        case .text(let pieces):
            blocks.append(
                Block(
                    json: #"{"type":"text","text":"# + JSONWriter.quoted(pieces.joined()) + "}",
                    start: #"{"type":"text","text":""}"#,
                    deltas: pieces.map { #"{"type":"text_delta","text":"# + JSONWriter.quoted($0) + "}" }
                ))
        case .toolCalls(let calls):
            for call in calls {
                let head = #"{"type":"tool_use","id":"# + JSONWriter.quoted("toolu_01" + call.digits.prefix(22))
                    + #","name":"# + JSONWriter.quoted(call.name) + #","input":"#
                blocks.append(
                    Block(
                        json: head + call.arguments + "}",
                        start: head + "{}}",
                        deltas: ChatChunkRenderer.fragments(of: call.arguments).map {
                            #"{"type":"input_json_delta","partial_json":"# + JSONWriter.quoted($0) + "}"
                        },
                        leading: [#"{"type":"input_json_delta","partial_json":""}"#]
                    ))
            }
        }
        self.blocks = blocks

        // Lay every event out in order, then cut: framing before the first token delta is the
        // opening, framing after the last one the closing.
        var events: [(text: ByteBuffer, paced: Bool)] = []
        func add(_ event: String, _ data: String, paced: Bool = false) {
            var buffer = ByteBuffer()
            buffer.writeServerSentEvent(data, event: event)
            events.append((buffer, paced))
        }
        add("message_start", #"{"type":"message_start","message":"# + Self.messageJSON(completion, id: self.id, content: "[]", final: false) + "}")
        for (index, block) in blocks.enumerated() {
            add("content_block_start", #"{"type":"content_block_start","index":"# + String(index) + #","content_block":"# + block.start + "}")
            if index == 0 { add("ping", #"{"type": "ping"}"#) }
            for delta in block.leading {
                add("content_block_delta", Self.delta(index, delta))
            }
            for delta in block.deltas {
                add("content_block_delta", Self.delta(index, delta), paced: true)
            }
            for delta in block.trailing {
                add("content_block_delta", Self.delta(index, delta))
            }
            add("content_block_stop", #"{"type":"content_block_stop","index":"# + String(index) + "}")
        }
        add("message_delta", #"{"type":"message_delta","delta":{"stop_reason":"# + JSONWriter.quoted(Self.stopReason(completion))
            + #","stop_sequence":"# + (completion.stopSequence.map(JSONWriter.quoted) ?? "null") + #"},"usage":"#
            + Self.usageJSON(completion.usage, outputTokens: completion.usage.completionTokens, streamEnd: true) + "}")
        add("message_stop", #"{"type":"message_stop"}"#)

        var opening = ByteBuffer()
        var units: [ByteBuffer] = []
        var pending = ByteBuffer()
        for event in events {
            var copy = event.text
            if event.paced {
                if units.isEmpty {
                    opening = pending
                    pending = ByteBuffer()
                }
                pending.writeBuffer(&copy)
                units.append(pending)
                pending = ByteBuffer()
            } else {
                pending.writeBuffer(&copy)
            }
        }
        if units.isEmpty {
            // No token at all: the opening ends with the ping, the closing has the rest.
            let pingIndex = blocks.isEmpty ? 0 : 2
            opening = ByteBuffer()
            pending = ByteBuffer()
            for (offset, event) in events.enumerated() {
                var copy = event.text
                if offset <= pingIndex { opening.writeBuffer(&copy) } else { pending.writeBuffer(&copy) }
            }
        }
        self.opening_ = opening
        self.units = units
        self.closing_ = pending
    }

    /// The non-streaming `message` body.
    var body: String {
        Self.messageJSON(self.completion, id: self.id, content: "[" + self.blocks.map(\.json).joined(separator: ",") + "]", final: true)
    }

    var contentType: String { "text/event-stream" }
    var deltaCount: Int { self.units.count }
    var opening: ByteBuffer { self.opening_ }
    func delta(at index: Int, final: Bool) -> ByteBuffer { self.units[index] }
    var closing: ByteBuffer { self.closing_ }

    var malformed: ByteBuffer {
        ByteBuffer(string: "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":\n\n")
    }

    func error(_ error: SimulatorError) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeServerSentEvent(#"{"type":"error","error":"# + error.anthropicEvent + "}", event: "error")
        return buffer
    }

    /// Anthropic's stop reason for the completion.
    static func stopReason(_ completion: SimulatedCompletion) -> String {
        switch completion.finishReason {
        case "tool_calls": "tool_use"
        case "length": "max_tokens"
        default: completion.stopSequence == nil ? "end_turn" : "stop_sequence"
        }
    }

    /// The `usage` object: `input_tokens` excludes cache reads and writes, as Anthropic counts.
    /// The streamed `message_delta` has the cumulative counts without the `cache_creation` split.
    static func usageJSON(_ usage: SimulatedCompletion.Usage, outputTokens: Int, streamEnd: Bool = false) -> String {
        var json = #"{"input_tokens":"# + String(usage.uncachedPromptTokens)
        json += #","cache_creation_input_tokens":"# + String(usage.cacheWriteTokens + usage.cacheWrite1hTokens)
        json += #","cache_read_input_tokens":"# + String(usage.cachedTokens)
        if !streamEnd {
            json += #","cache_creation":{"ephemeral_5m_input_tokens":"# + String(usage.cacheWriteTokens)
            json += #","ephemeral_1h_input_tokens":"# + String(usage.cacheWrite1hTokens) + "}"
        }
        json += #","output_tokens":"# + String(outputTokens)
        if !streamEnd { json += #","service_tier":"standard""# }
        return json + "}"
    }

    private static func messageJSON(_ completion: SimulatedCompletion, id: String, content: String, final: Bool) -> String {
        var json = #"{"id":"# + JSONWriter.quoted(id) + #","type":"message","role":"assistant","model":"#
        json += JSONWriter.quoted(completion.model) + #","content":"# + content
        if final {
            json += #","stop_reason":"# + JSONWriter.quoted(Self.stopReason(completion))
            json += #","stop_sequence":"# + (completion.stopSequence.map(JSONWriter.quoted) ?? "null")
        } else {
            json += #","stop_reason":null,"stop_sequence":null"#
        }
        // message_start reports the first output token, as the API does.
        let output = final ? completion.usage.completionTokens : min(1, completion.usage.completionTokens)
        return json + #","usage":"# + Self.usageJSON(completion.usage, outputTokens: output) + "}"
    }

    private static func delta(_ index: Int, _ delta: String) -> String {
        #"{"type":"content_block_delta","index":"# + String(index) + #","delta":"# + delta + "}"
    }

    private static func signature(_ seed: UInt64) -> String {
        var hash = StableHash()
        hash.combine(Int(truncatingIfNeeded: seed))
        var signature = "Es"
        for round in 0..<6 {
            hash.combine(round)
            signature += StableHash.hex(hash.value)
        }
        return signature
    }
}
