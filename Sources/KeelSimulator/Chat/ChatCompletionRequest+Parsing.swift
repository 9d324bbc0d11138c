import KeelCore
import NIOCore

extension ChatCompletionRequest {
    /// Validates `body` and reads the fields the simulator needs.
    ///
    /// - Throws: ``SimulatorError`` (status 400) for malformed JSON, a missing `model` or
    ///   `messages`, a message without a role, `n` other than 1, or a negative token limit.
    /// - Parameter deployment: the model named by the path (Azure OpenAI), which makes the body's
    ///   `model` optional and ignored.
    static func parse(_ body: ByteBuffer, deployment: String? = nil) throws(SimulatorError) -> ChatCompletionRequest {
        let result = body.withUnsafeReadableBytes { bytes in
            Result<ChatCompletionRequest, SimulatorError> { () throws(SimulatorError) in
                try Self.parse(bytes: bytes, deployment: deployment)
            }
        }
        return try result.get()
    }

    private static func parse(
        bytes: UnsafeRawBufferPointer, deployment: String?
    ) throws(SimulatorError) -> ChatCompletionRequest {
        let index: JSONObjectIndex
        do {
            index = try JSONScanner.indexObject(bytes)
        } catch {
            throw SimulatorError.invalidJSON(error)
        }
        guard let model = deployment ?? index["model"].flatMap({ index.string($0) }) else {
            throw SimulatorError.missingParameter("model")
        }
        guard let messagesMember = index["messages"] else {
            throw SimulatorError.missingParameter("messages")
        }
        guard let messages = JSONValue(messagesMember, of: index).array, !messages.isEmpty else {
            throw SimulatorError.invalidParameter("messages", "'messages' must be a non-empty array of messages.")
        }
        for message in messages where message["role"]?.string == nil {
            throw SimulatorError.invalidParameter("messages", "Every message needs a string 'role'.")
        }
        if let member = index["n"], let n = index.int(member), n != 1 {
            throw SimulatorError.invalidParameter("n", "The simulator supports only n=1, not n=\(n).")
        }
        let maxTokens = (index["max_completion_tokens"] ?? index["max_tokens"]).flatMap { index.int($0) }
        if let maxTokens, maxTokens < 0 {
            throw SimulatorError.invalidParameter("max_tokens", "'max_tokens' must not be negative.")
        }

        let tools = index["tools"].flatMap { JSONValue($0, of: index).array } ?? []
        let responseFormat = index["response_format"].map { JSONValue($0, of: index) }
        let formatType = responseFormat?["type"]?.string
        let streamOptions = index["stream_options"].map { JSONValue($0, of: index) }

        let prompt = SimulatedPrompt(
            model: model,
            messages: messages.map(Self.message),
            tools: tools.compactMap { tool in
                guard let function = tool["function"], let name = function["name"]?.string else { return nil }
                return SimulatedPrompt.Tool(
                    name: name, description: function["description"]?.string, parameters: function["parameters"])
            },
            toolChoice: Self.toolChoice(index["tool_choice"].map { JSONValue($0, of: index) }),
            parallelToolCalls: index["parallel_tool_calls"].flatMap { index.bool($0) } ?? true,
            wantsJSON: formatType == "json_object" || formatType == "json_schema",
            stop: Self.stopSequences(index["stop"].map { JSONValue($0, of: index) }),
            maxTokens: maxTokens,
            bodyHash: StableHash.of(bytes)
        )
        return ChatCompletionRequest(
            prompt: prompt,
            stream: index["stream"].flatMap { index.bool($0) } ?? false,
            includeUsage: streamOptions?["include_usage"]?.bool ?? false
        )
    }

    private static func toolChoice(_ value: JSONValue?) -> SimulatedPrompt.ToolChoice {
        switch value {
        case .string("none"): .none
        case .string("required"): .required
        case .some(let choice):
            if let name = choice["function"]?["name"]?.string { .function(name) } else { .auto }
        case nil: .auto
        }
    }

    private static func stopSequences(_ value: JSONValue?) -> [String] {
        switch value {
        case .string(let stop): stop.isEmpty ? [] : [stop]
        case .array(let stops): stops.compactMap { $0.string }.filter { !$0.isEmpty }
        default: []
        }
    }
}
