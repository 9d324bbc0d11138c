import KeelCore
import NIOCore

/// Renders a planned answer as a Bedrock Converse response, or as the event-stream messages of
/// `converse-stream`: `messageStart`, per block (`contentBlockStart` for a tool use), its
/// `contentBlockDelta`s and `contentBlockStop`, then `messageStop` and `metadata` with the usage.
///
/// `inputTokens` excludes cache reads and writes, which have their own fields; `totalTokens`
/// counts them all with the output.
struct BedrockConverseRenderer: StreamRenderer {
    let completion: SimulatedCompletion
    let latencyMs: Int
    private let opening_: ByteBuffer
    private let units: [ByteBuffer]
    private let closing_: ByteBuffer

    init(completion: SimulatedCompletion, latencyMs: Int) {
        self.completion = completion
        self.latencyMs = latencyMs
        var events: [(message: EventStreamMessage, paced: Bool)] = []
        events.append((.event("messageStart", json: #"{"p":"abcdefghijk","role":"assistant"}"#), false))
        switch completion.output {
        case .text(let pieces):
            for piece in pieces {
                events.append(
                    (.event("contentBlockDelta", json: #"{"contentBlockIndex":0,"delta":{"text":"# + JSONWriter.quoted(piece) + #"},"p":"abcd"}"#), true))
            }
            events.append((.event("contentBlockStop", json: #"{"contentBlockIndex":0,"p":"abcdefghijklm"}"#), false))
        case .toolCalls(let calls):
            for (index, call) in calls.enumerated() {
                events.append(
                    (.event("contentBlockStart", json: #"{"contentBlockIndex":"# + String(index) + #","p":"abcd","start":{"toolUse":{"name":"#
                        + JSONWriter.quoted(call.name) + #","toolUseId":"# + JSONWriter.quoted(Self.toolUseID(call)) + "}}}"), false))
                for fragment in ChatChunkRenderer.fragments(of: call.arguments) {
                    events.append(
                        (.event("contentBlockDelta", json: #"{"contentBlockIndex":"# + String(index) + #","delta":{"toolUse":{"input":"#
                            + JSONWriter.quoted(fragment) + #"}},"p":"abcd"}"#), true))
                }
                events.append((.event("contentBlockStop", json: #"{"contentBlockIndex":"# + String(index) + #","p":"abcdefghijklm"}"#), false))
            }
        }
        events.append((.event("messageStop", json: #"{"p":"abcdefgh","stopReason":"# + JSONWriter.quoted(Self.stopReason(completion)) + "}"), false))
        events.append(
            (.event("metadata", json: #"{"metrics":{"latencyMs":"# + String(latencyMs) + #"},"p":"abc","usage":"# + Self.usageJSON(completion.usage) + "}"), false))

        var opening = ByteBuffer()
        var units: [ByteBuffer] = []
        var pending = ByteBuffer()
        var seenPaced = false
        for event in events {
            pending.writeBytes(event.message.bytes)
            if event.paced {
                if !seenPaced {
                    // The opening is what came before the first paced event; keep it apart.
                    seenPaced = true
                    let frame = event.message.bytes.count
                    opening = pending.getSlice(at: pending.readerIndex, length: pending.readableBytes - frame) ?? ByteBuffer()
                    pending = pending.getSlice(at: pending.readerIndex + pending.readableBytes - frame, length: frame) ?? ByteBuffer()
                }
                units.append(pending)
                pending = ByteBuffer()
            }
        }
        if !seenPaced {
            // No paced event: messageStart opens, the rest closes.
            let start = events[0].message.bytes.count
            opening = pending.getSlice(at: pending.readerIndex, length: start) ?? ByteBuffer()
            pending.moveReaderIndex(forwardBy: start)
        }
        self.opening_ = opening
        self.units = units
        self.closing_ = pending
    }

    /// Bedrock's stop reason.
    static func stopReason(_ completion: SimulatedCompletion) -> String {
        switch completion.finishReason {
        case "tool_calls": "tool_use"
        case "length": "max_tokens"
        default: completion.stopSequence == nil ? "end_turn" : "stop_sequence"
        }
    }

    static func usageJSON(_ usage: SimulatedCompletion.Usage) -> String {
        #"{"inputTokens":"# + String(usage.uncachedPromptTokens) + #","outputTokens":"# + String(usage.completionTokens)
            + #","totalTokens":"# + String(usage.totalTokens) + #","cacheReadInputTokens":"# + String(usage.cachedTokens)
            + #","cacheWriteInputTokens":"# + String(usage.cacheWriteTokens + usage.cacheWrite1hTokens) + "}"
    }

    private static func toolUseID(_ call: SimulatedCompletion.ToolCall) -> String {
        "tooluse_" + call.digits.prefix(22)
    }

    /// The non-streaming body.
    var body: String {
        var content: [String] = []
        switch self.completion.output {
        case .text(let pieces):
            content.append(#"{"text":"# + JSONWriter.quoted(pieces.joined()) + "}")
        case .toolCalls(let calls):
            for call in calls {
                content.append(
                    #"{"toolUse":{"toolUseId":"# + JSONWriter.quoted(Self.toolUseID(call)) + #","name":"#
                        + JSONWriter.quoted(call.name) + #","input":"# + call.arguments + "}}")
            }
        }
        return #"{"output":{"message":{"role":"assistant","content":["# + content.joined(separator: ",")
            + #"]}},"stopReason":"# + JSONWriter.quoted(Self.stopReason(self.completion)) + #","usage":"#
            + Self.usageJSON(self.completion.usage) + #","metrics":{"latencyMs":"# + String(self.latencyMs) + "}}"
    }

    var contentType: String { "application/vnd.amazon.eventstream" }
    var deltaCount: Int { self.units.count }
    var opening: ByteBuffer { self.opening_ }
    func delta(at index: Int, final: Bool) -> ByteBuffer { self.units[index] }
    var closing: ByteBuffer { self.closing_ }

    /// A well-framed message whose JSON payload is cut short.
    var malformed: ByteBuffer {
        EventStreamMessage.event("contentBlockDelta", json: #"{"contentBlockIndex":0,"delta":{"text":"#).buffer
    }

    /// An exception message, named as the stream's union members are (`throttlingException`).
    func error(_ error: SimulatorError) -> ByteBuffer {
        let type = error.bedrockType
        let member = type.prefix(1).lowercased() + type.dropFirst()
        return EventStreamMessage.exception(
            member, json: #"{"message":"# + JSONWriter.quoted(error.dialectMessage(.bedrock)) + "}").buffer
    }
}
