import KeelCore
import NIOCore

/// The parts of a Bedrock Converse body that shape the simulated answer; the model id comes
/// from the path.
struct BedrockConverseRequest: Sendable {
    var prompt: SimulatedPrompt

    /// Validates `body` and reads it into neutral form.
    ///
    /// - Throws: ``SimulatorError`` (400 `ValidationException`) for malformed JSON, missing
    ///   `messages`, a role other than `user` or `assistant`, content that is not an array, or
    ///   `maxTokens` below 1.
    static func parse(_ body: ByteBuffer, model: String) throws(SimulatorError) -> BedrockConverseRequest {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: body)
        } catch {
            throw SimulatorError.invalidRequest("Malformed input request: \(error.reason.rawValue) at byte \(error.offset).")
        }
        guard let messages = json["messages"]?.array else {
            throw SimulatorError.invalidRequest(
                "1 validation error detected: Value null at 'messages' failed to satisfy constraint: Member must not be null")
        }
        var neutral: [SimulatedPrompt.Message] = []
        if let system = json["system"]?.array {
            neutral.append(SimulatedPrompt.Message(role: "system", texts: system.compactMap { $0["text"]?.string }))
        }
        for (offset, message) in messages.enumerated() {
            let role = message["role"]?.string
            guard role == "user" || role == "assistant", let role, let content = message["content"]?.array else {
                throw SimulatorError.invalidRequest(
                    "1 validation error detected: Value at 'messages.\(offset + 1).member' failed to satisfy "
                        + "constraint: Member must have a 'role' of user or assistant and a 'content' list")
            }
            var current = SimulatedPrompt.Message(role: role)
            var results: [SimulatedPrompt.Message] = []
            for block in content {
                if let text = block["text"]?.string {
                    current.texts.append(text)
                } else if let use = block["toolUse"] {
                    current.extras.append(use["name"]?.string ?? "")
                    current.extras.append((use["input"] ?? .object([])).jsonText)
                } else if let result = block["toolResult"] {
                    let texts = (result["content"]?.array ?? []).compactMap { part in
                        part["text"]?.string ?? part["json"]?.jsonText
                    }
                    results.append(SimulatedPrompt.Message(role: "tool", texts: texts))
                }
            }
            neutral += results
            if results.isEmpty || !current.texts.isEmpty || !current.extras.isEmpty {
                neutral.append(current)
            }
        }

        let inference = json["inferenceConfig"]
        let maxTokens = inference?["maxTokens"]?.int
        if let maxTokens, maxTokens < 1 {
            throw SimulatorError.invalidRequest(
                "1 validation error detected: Value '\(maxTokens)' at 'inferenceConfig.maxTokens' failed to satisfy "
                    + "constraint: Member must have value greater than or equal to 1")
        }
        let toolConfig = json["toolConfig"]
        let tools = (toolConfig?["tools"]?.array ?? []).compactMap { tool -> SimulatedPrompt.Tool? in
            guard let spec = tool["toolSpec"], let name = spec["name"]?.string else { return nil }
            return SimulatedPrompt.Tool(
                name: name, description: spec["description"]?.string, parameters: spec["inputSchema"]?["json"])
        }
        let choice = toolConfig?["toolChoice"]
        let toolChoice: SimulatedPrompt.ToolChoice =
            if let name = choice?["tool"]?["name"]?.string {
                .function(name)
            } else if choice?["any"] != nil {
                .required
            } else {
                .auto
            }
        let prompt = SimulatedPrompt(
            model: model,
            messages: neutral,
            tools: tools,
            toolChoice: toolChoice,
            stop: (inference?["stopSequences"]?.array ?? []).compactMap(\.string).filter { !$0.isEmpty },
            maxTokens: maxTokens,
            bodyHash: body.withUnsafeReadableBytes { StableHash.of($0) }
        )
        return BedrockConverseRequest(prompt: prompt)
    }
}
