import KeelCore
import NIOCore

/// Renders the server-sent events of a streamed completion, one `data: {chunk}\n\n` event each.
///
/// The chunk envelope (id, created, model, fingerprint) is rendered once; every chunk reuses it.
/// With `stream_options.include_usage` every chunk carries `"usage":null` and a final chunk with
/// empty `choices` carries the usage, as OpenAI does.
struct ChatChunkRenderer: StreamRenderer {
    static let done = "data: [DONE]\n\n"

    let completion: SimulatedCompletion
    let includeUsage: Bool
    private let envelope: String
    private let tail: String
    /// The delta objects of the content chunks, in order.
    private let deltas: [String]

    init(completion: SimulatedCompletion, includeUsage: Bool) {
        self.completion = completion
        self.includeUsage = includeUsage
        var envelope = #"data: {"id":"# + JSONWriter.quoted(completion.id)
        envelope += #","object":"chat.completion.chunk","created":"# + String(completion.created)
        envelope += #","model":"# + JSONWriter.quoted(completion.model)
        envelope += #","system_fingerprint":"# + JSONWriter.quoted(SimulatedCompletion.systemFingerprint)
        self.envelope = envelope + #","choices":"#
        self.tail = includeUsage ? ",\"usage\":null}\n\n" : "}\n\n"
        self.deltas = Self.deltas(of: completion.output)
    }

    var contentType: String { "text/event-stream" }

    /// The number of content deltas: one per text piece, or per tool-call header and argument fragment.
    var deltaCount: Int { self.deltas.count }

    /// Whether the finish reason rides on the last content delta (text with at least one piece),
    /// rather than on a separate empty-delta chunk (tool calls, as OpenAI sends them, or no text).
    var finishesOnLastDelta: Bool {
        if case .text(let pieces) = self.completion.output { return !pieces.isEmpty }
        return false
    }

    /// The first chunk: the assistant role with empty content (`null` for tool calls).
    var opening: ByteBuffer {
        switch self.completion.output {
        case .text: ByteBuffer(string: self.chunk(delta: #"{"role":"assistant","content":""}"#, finishReason: nil))
        case .toolCalls: ByteBuffer(string: self.chunk(delta: #"{"role":"assistant","content":null}"#, finishReason: nil))
        }
    }

    /// The content delta chunk at `index`, with the finish reason when it is final and the
    /// reason rides on it.
    func delta(at index: Int, final: Bool) -> ByteBuffer {
        let finishing = final && self.finishesOnLastDelta
        return ByteBuffer(
            string: self.chunk(delta: self.deltas[index], finishReason: finishing ? self.completion.finishReason : nil))
    }

    /// The separate finish chunk when the reason did not ride on the last delta, the usage chunk
    /// (with `include_usage`) and `[DONE]`.
    var closing: ByteBuffer {
        var closing = ""
        if !self.finishesOnLastDelta {
            closing += self.chunk(delta: "{}", finishReason: self.completion.finishReason)
        }
        if self.includeUsage {
            closing += self.envelope + "[],\"usage\":" + self.completion.usageJSON + "}\n\n"
        }
        return ByteBuffer(string: closing + Self.done)
    }

    /// Deliberately cut inside a value.
    var malformed: ByteBuffer { ByteBuffer(string: "data: {\"choices\":[{\"delta\":\n\n") }

    /// `data: {"error":{…}}`, as OpenAI reports an error after the stream began.
    func error(_ error: SimulatorError) -> ByteBuffer {
        ByteBuffer(string: "data: " + error.body + "\n\n")
    }

    private func chunk(delta: String, finishReason: String?) -> String {
        var event = self.envelope
        event += #"[{"index":0,"delta":"# + delta + #","logprobs":null,"finish_reason":"#
        event += finishReason.map { JSONWriter.quoted($0) } ?? "null"
        event += "}]" + self.tail
        return event
    }

    private static func deltas(of output: SimulatedCompletion.Output) -> [String] {
        switch output {
        case .text(let pieces):
            return pieces.map { #"{"content":"# + JSONWriter.quoted($0) + "}" }
        case .toolCalls(let calls):
            var deltas: [String] = []
            for (index, call) in calls.enumerated() {
                deltas.append(
                    #"{"tool_calls":[{"index":"# + String(index) + #","id":"# + JSONWriter.quoted(call.id)
                        + #","type":"function","function":{"name":"# + JSONWriter.quoted(call.name)
                        + #","arguments":""}}]}"#
                )
                for fragment in Self.fragments(of: call.arguments) {
                    deltas.append(
                        #"{"tool_calls":[{"index":"# + String(index) + #","function":{"arguments":"#
                            + JSONWriter.quoted(fragment) + "}}]}"
                    )
                }
            }
            return deltas
        }
    }

    /// `arguments` in pieces of up to eight characters, as OpenAI streams them in small fragments.
    static func fragments(of arguments: String) -> [String] {
        var fragments: [String] = []
        var current = ""
        for character in arguments {
            current.append(character)
            if current.count == 8 {
                fragments.append(current)
                current = ""
            }
        }
        if !current.isEmpty { fragments.append(current) }
        return fragments
    }
}
