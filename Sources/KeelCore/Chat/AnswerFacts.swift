/// What the incident detectors read of a complete (non-streamed) chat answer in its client's
/// dialect: why it ended (as the dialect says it) and the model version the provider reported.
/// Streams learn the same from their events (``StreamAccounting``).
public struct AnswerFacts: Sendable, Equatable {
    public var finishReason: String?
    public var model: String?

    public init(finishReason: String? = nil, model: String? = nil) {
        self.finishReason = finishReason
        self.model = model
    }

    /// Reads `bytes`: OpenAI's `model` and first `choices[].finish_reason`, Anthropic's `model`
    /// and `stop_reason`, Gemini's `modelVersion` and first `candidates[].finishReason`,
    /// Bedrock's `stopReason`. Empty for a body that is not a JSON object.
    public static func read(_ bytes: UnsafeRawBufferPointer, dialect: APIDialect) -> AnswerFacts {
        guard let index = try? JSONScanner.indexObject(bytes) else { return AnswerFacts() }
        func first(_ array: String, _ key: String) -> String? {
            guard let member = index[array], let element = index.firstElement(member),
                let object = try? JSONScanner.indexObject(element), let value = object[key]
            else { return nil }
            return object.string(value)
        }
        func top(_ key: String) -> String? { index[key].flatMap(index.string) }
        switch dialect {
        case .openAI: return AnswerFacts(finishReason: first("choices", "finish_reason"), model: top("model"))
        case .anthropic: return AnswerFacts(finishReason: top("stop_reason"), model: top("model"))
        case .gemini: return AnswerFacts(finishReason: first("candidates", "finishReason"), model: top("modelVersion"))
        case .bedrock: return AnswerFacts(finishReason: top("stopReason"))
        }
    }
}
