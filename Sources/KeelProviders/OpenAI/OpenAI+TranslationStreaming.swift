public import KeelCore
public import NIOCore

/// Reads an upstream chat-completions stream (`data: {chat.completion.chunk}` events ending in
/// `data: [DONE]`) into canonical events, in whatever pieces its bytes arrive.
///
/// Only the first choice is read (the translation refuses `n` > 1). A tool call starts once its
/// name is known; argument pieces that arrive before it are held until then. A `finish_reason`
/// of `stop` after refusal text is reported as a refusal. An `{"error":…}` event becomes
/// ``ChatStreamEvent/error(_:)``.
///
/// Source: https://platform.openai.com/docs/api-reference/chat-streaming/streaming
public struct OpenAIChatStreamDecoder: ChatStreamDecoder {
    private var reader = SSEEventReader()
    public private(set) var isComplete = false
    private var started = false
    private var failed = false
    private var sawRefusal = false
    /// Tool calls by their `index`: the id, the name once known, arguments held until then.
    private var toolCalls: [Int: (id: String, name: String?, heldArguments: String)] = [:]

    public init() {}

    public mutating func decode(_ chunk: ByteBuffer) throws(KeelError) -> [ChatStreamEvent] {
        var output: [ChatStreamEvent] = []
        for event in try self.reader.feed(chunk) where !self.isComplete && !self.failed {
            if event.data == "[DONE]" {
                self.isComplete = true
                continue
            }
            try self.decode(json: try SSEEventReader.json(event), into: &output)
        }
        return output
    }

    private mutating func decode(json: JSONValue, into output: inout [ChatStreamEvent]) throws(KeelError) {
        if let error = json["error"], error.isObject {
            self.failed = true
            output.append(.error(OpenAIChatDialect.streamError(error)))
            return
        }
        if !self.started {
            self.started = true
            let id = json["id"]?.string.flatMap { $0.isEmpty ? nil : $0 } ?? AnthropicWire.generatedID(prefix: "chatcmpl-")
            output.append(.start(id: id, model: json["model"]?.string ?? ""))
        }
        if let choice = json["choices"]?.array?.first(where: { ($0["index"]?.int ?? 0) == 0 }) {
            if let delta = choice["delta"] {
                self.decode(delta: delta, into: &output)
            }
            if let finish = choice["finish_reason"]?.string {
                var reason = ChatStopReason(openAI: finish) ?? .endTurn
                if reason == .endTurn && self.sawRefusal { reason = .refusal }
                output.append(.stop(reason, stopSequence: nil))
            }
        }
        if let usage = json["usage"], usage.isObject {
            output.append(.usage(OpenAIChatDialect.usage(from: usage)))
        }
    }

    private mutating func decode(delta: JSONValue, into output: inout [ChatStreamEvent]) {
        if let reasoning = delta["reasoning_content"]?.string ?? delta["reasoning"]?.string, !reasoning.isEmpty {
            output.append(.thinkingDelta(reasoning))
        }
        for block in delta["thinking_blocks"]?.array ?? [] {
            if let signature = block["signature"]?.string, !signature.isEmpty { output.append(.thinkingSignature(signature)) }
            if block["type"]?.string == "redacted_thinking", let data = block["data"]?.string { output.append(.redactedThinking(data)) }
        }
        if let text = delta["content"]?.string, !text.isEmpty {
            output.append(.textDelta(text))
        }
        if let refusal = delta["refusal"]?.string, !refusal.isEmpty {
            self.sawRefusal = true
            output.append(.refusalDelta(refusal))
        }
        for call in delta["tool_calls"]?.array ?? [] {
            let index = call["index"]?.int ?? 0
            let pieces = call["function"]?["arguments"]?.string ?? ""
            var state = self.toolCalls[index] ?? (id: "", name: nil, heldArguments: "")
            if let id = call["id"]?.string, !id.isEmpty, state.id.isEmpty { state.id = id }
            if state.name == nil, let name = call["function"]?["name"]?.string, !name.isEmpty {
                state.name = name
                if state.id.isEmpty { state.id = AnthropicWire.generatedID(prefix: "call_") }
                output.append(.toolCallStart(index: index, id: state.id, name: name))
                if !state.heldArguments.isEmpty {
                    output.append(.toolCallArgumentsDelta(index: index, state.heldArguments))
                    state.heldArguments = ""
                }
            }
            if !pieces.isEmpty {
                if state.name == nil {
                    state.heldArguments += pieces
                } else {
                    output.append(.toolCallArgumentsDelta(index: index, pieces))
                }
            }
            self.toolCalls[index] = state
        }
    }
}

/// Writes canonical events as a client's chat-completions stream: `chat.completion.chunk`
/// events (the first with `role: assistant`; tool calls with `index`, `id`, `type` and
/// `function.name`, then argument pieces; a finish chunk), then — only when the client asked
/// with `stream_options.include_usage` — the usage chunk with `choices: []`, then
/// `data: [DONE]`. With `include_usage`, every other chunk carries `"usage": null`, as OpenAI's
/// do. Reasoning is written as `reasoning_content` and signatures as `thinking_blocks`.
public struct OpenAIChatStreamEncoder: ChatStreamEncoder {
    private let model: String
    private let includeUsage: Bool
    private let created: Int
    private var id: String
    private var started = false
    private var stopped = false
    private var usage = TokenUsage.zero
    /// Argument bytes written per tool call, so a call with none gets `{}` (valid JSON).
    private var argumentBytes: [Int: Int] = [:]

    init(model: String, includeUsage: Bool, created: Int, id: String = "") {
        self.model = model
        self.includeUsage = includeUsage
        self.created = created
        self.id = id
    }

    public mutating func encode(_ event: ChatStreamEvent, into output: inout ByteBuffer) {
        switch event {
        case .start(let id, _):
            if self.id.isEmpty { self.id = OpenAIChatDialect.completionID(id) }
            self.writeStart(into: &output)
        case .textDelta(let text):
            guard !text.isEmpty else { return }
            self.write(delta: .object(["content": .string(text)]), into: &output)
        case .thinkingDelta(let text):
            guard !text.isEmpty else { return }
            self.write(delta: .object(["reasoning_content": .string(text)]), into: &output)
        case .thinkingSignature(let signature):
            let block: JSONValue = .object(["type": .string("thinking"), "thinking": .string(""), "signature": .string(signature)])
            self.write(delta: .object(["thinking_blocks": .array([block])]), into: &output)
        case .redactedThinking(let data):
            let block: JSONValue = .object(["type": .string("redacted_thinking"), "data": .string(data)])
            self.write(delta: .object(["thinking_blocks": .array([block])]), into: &output)
        case .toolCallStart(let index, let id, let name):
            self.argumentBytes[index] = 0
            let call: JSONValue = .object([
                "index": .int(index),
                "id": .string(id.isEmpty ? AnthropicWire.generatedID(prefix: "call_") : id),
                "type": .string("function"),
                "function": .object(["name": .string(name), "arguments": .string("")]),
            ])
            self.write(delta: .object(["tool_calls": .array([call])]), into: &output)
        case .toolCallArgumentsDelta(let index, let pieces):
            guard !pieces.isEmpty else { return }
            self.argumentBytes[index, default: 0] += pieces.utf8.count
            self.write(delta: Self.argumentsDelta(index: index, pieces), into: &output)
        case .refusalDelta(let text):
            guard !text.isEmpty else { return }
            self.write(delta: .object(["refusal": .string(text)]), into: &output)
        case .stop(let reason, _):
            guard !self.stopped else { return }
            for (index, count) in self.argumentBytes.sorted(by: { $0.key < $1.key }) where count == 0 {
                self.write(delta: Self.argumentsDelta(index: index, "{}"), into: &output)
            }
            self.stopped = true
            self.write(delta: .object([]), finishReason: reason.openAI, into: &output)
        case .usage(let usage):
            self.usage = usage
        case .error(let error):
            self.fail(error, into: &output)
        }
    }

    public mutating func finish(into output: inout ByteBuffer) {
        if !self.started { self.writeStart(into: &output) }
        if self.includeUsage {
            let chunk: JSONValue = .object([
                "id": .string(self.id),
                "object": .string("chat.completion.chunk"),
                "created": .int(self.created),
                "model": .string(self.model),
                "choices": .array([]),
                "usage": OpenAIChatDialect.usageJSON(self.usage),
            ])
            Self.writeData(chunk.jsonText, into: &output)
        }
        Self.writeData("[DONE]", into: &output)
    }

    public mutating func fail(_ error: KeelError, into output: inout ByteBuffer) {
        Self.writeData(error.openAIBody, into: &output)
    }

    private mutating func writeStart(into output: inout ByteBuffer) {
        guard !self.started else { return }
        if self.id.isEmpty { self.id = AnthropicWire.generatedID(prefix: "chatcmpl-") }
        self.started = true
        self.write(delta: .object(["role": .string("assistant"), "content": .string(""), "refusal": .null]), into: &output)
    }

    private mutating func write(delta: JSONValue, finishReason: String? = nil, into output: inout ByteBuffer) {
        if !self.started { self.writeStart(into: &output) }
        var chunk: [JSONValue.Member] = []
        chunk.add("id", .string(self.id))
        chunk.add("object", .string("chat.completion.chunk"))
        chunk.add("created", .int(self.created))
        chunk.add("model", .string(self.model))
        chunk.add(
            "choices",
            .array([
                .object([
                    "index": .int(0),
                    "delta": delta,
                    "logprobs": .null,
                    "finish_reason": finishReason.map(JSONValue.string) ?? .null,
                ])
            ])
        )
        if self.includeUsage { chunk.add("usage", .null) }
        Self.writeData(JSONValue.object(chunk).jsonText, into: &output)
    }

    private static func argumentsDelta(index: Int, _ pieces: String) -> JSONValue {
        .object(["tool_calls": .array([.object(["index": .int(index), "function": .object(["arguments": .string(pieces)])])])])
    }

    private static func writeData(_ data: String, into output: inout ByteBuffer) {
        output.writeString("data: ")
        output.writeString(data)
        output.writeString("\n\n")
    }
}

extension OpenAIChatDialect {
    public static func makeStreamEncoder(for request: ChatRequest, model: String) -> OpenAIChatStreamEncoder {
        OpenAIChatStreamEncoder(model: model, includeUsage: request.streamUsage, created: Self.now())
    }

    public static func makeStreamDecoder() -> OpenAIChatStreamDecoder {
        OpenAIChatStreamDecoder()
    }

    /// The error of an OpenAI error object met inside a stream, classified by its type or code.
    static func streamError(_ error: JSONValue) -> KeelError {
        let type = error["type"]?.string ?? ""
        let code = error["code"]?.string ?? ""
        let message = error["message"]?.string.map { String($0.prefix(1_000)) }
        if type.contains("rate_limit") || code.contains("rate_limit") {
            return .upstreamRateLimited(status: 429, retryAfterSeconds: nil)
        }
        if type == "invalid_request_error" {
            return .upstreamRejected(status: 400, message: message ?? "The upstream provider rejected the request.")
        }
        return .upstreamUnavailable(status: nil, message ?? "The upstream provider reported an error in the stream.")
    }
}
