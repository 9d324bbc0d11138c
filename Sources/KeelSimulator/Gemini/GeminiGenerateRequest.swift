import KeelCore
import NIOCore

/// The parts of a Gemini `generateContent` body that shape the simulated answer; the model
/// comes from the path.
struct GeminiGenerateRequest: Sendable {
    var prompt: SimulatedPrompt
    /// `generationConfig.thinkingConfig.includeThoughts`: thought summaries come as parts.
    var includeThoughts: Bool

    /// Validates `body` and reads it into neutral form.
    ///
    /// - Throws: ``SimulatorError`` (400 `INVALID_ARGUMENT`) for malformed JSON, missing or empty
    ///   `contents`, a role other than `user` or `model`, or a negative `maxOutputTokens`.
    static func parse(_ body: ByteBuffer, model: String) throws(SimulatorError) -> GeminiGenerateRequest {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: body)
        } catch {
            throw SimulatorError.invalidRequest(
                "Invalid JSON payload received. \(error.reason.rawValue) at byte \(error.offset).")
        }
        guard let contents = json["contents"]?.array, !contents.isEmpty else {
            throw SimulatorError.invalidRequest("* GenerateContentRequest.contents: contents is not specified\n")
        }
        var messages: [SimulatedPrompt.Message] = []
        if let system = json["systemInstruction"] ?? json["system_instruction"] {
            messages.append(
                SimulatedPrompt.Message(
                    role: "system", texts: (system["parts"]?.array ?? []).compactMap { $0["text"]?.string }))
        }
        for (offset, content) in contents.enumerated() {
            let role = content["role"]?.string ?? "user"
            guard role == "user" || role == "model" else {
                throw SimulatorError.invalidRequest(
                    "Please use a valid role: user, model. (contents[\(offset)].role was '\(role)')")
            }
            var message = SimulatedPrompt.Message(role: role == "model" ? "assistant" : "user")
            var results: [SimulatedPrompt.Message] = []
            for part in content["parts"]?.array ?? [] {
                if part["thought"]?.bool == true { continue }
                if let text = part["text"]?.string {
                    message.texts.append(text)
                } else if let call = part["functionCall"] ?? part["function_call"] {
                    message.extras.append(call["name"]?.string ?? "")
                    message.extras.append((call["args"] ?? .object([])).jsonText)
                } else if let response = part["functionResponse"] ?? part["function_response"] {
                    results.append(
                        SimulatedPrompt.Message(role: "tool", texts: [(response["response"] ?? .object([])).jsonText]))
                }
            }
            messages += results
            if results.isEmpty || !message.texts.isEmpty || !message.extras.isEmpty {
                messages.append(message)
            }
        }

        var tools: [SimulatedPrompt.Tool] = []
        for tool in json["tools"]?.array ?? [] {
            for function in (tool["functionDeclarations"] ?? tool["function_declarations"])?.array ?? [] {
                guard let name = function["name"]?.string else { continue }
                tools.append(
                    SimulatedPrompt.Tool(
                        name: name, description: function["description"]?.string,
                        parameters: function["parameters"] ?? function["parametersJsonSchema"]))
            }
        }
        let calling = (json["toolConfig"] ?? json["tool_config"])?["functionCallingConfig"]
        let allowed = calling?["allowedFunctionNames"]?.array?.compactMap(\.string) ?? []
        let toolChoice: SimulatedPrompt.ToolChoice =
            switch calling?["mode"]?.string {
            case "NONE": .none
            case "ANY", "VALIDATED": allowed.count == 1 ? .function(allowed[0]) : .required
            default: .auto
            }

        let config = json["generationConfig"] ?? json["generation_config"]
        let maxTokens = config?["maxOutputTokens"]?.int
        if let maxTokens, maxTokens < 0 {
            throw SimulatorError.invalidRequest("maxOutputTokens must not be negative.")
        }
        let prompt = SimulatedPrompt(
            model: model,
            messages: messages,
            tools: tools,
            toolChoice: toolChoice,
            wantsJSON: config?["responseMimeType"]?.string == "application/json",
            stop: (config?["stopSequences"]?.array ?? []).compactMap(\.string).filter { !$0.isEmpty },
            maxTokens: maxTokens,
            bodyHash: body.withUnsafeReadableBytes { StableHash.of($0) }
        )
        return GeminiGenerateRequest(
            prompt: prompt, includeThoughts: config?["thinkingConfig"]?["includeThoughts"]?.bool ?? false)
    }
}
