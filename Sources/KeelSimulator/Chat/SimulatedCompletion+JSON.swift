import KeelCore

extension SimulatedCompletion {
    static let systemFingerprint = "keel-sim"

    /// The non-streaming `chat.completion` body.
    var body: String {
        var json = #"{"id":"# + JSONWriter.quoted(self.id)
        json += #","object":"chat.completion","created":"# + String(self.created)
        json += #","model":"# + JSONWriter.quoted(self.model)
        json += #","choices":[{"index":0,"message":{"role":"assistant","content":"#
        switch self.output {
        case .text(let pieces):
            JSONWriter.appendString(pieces.joined(), to: &json)
        case .toolCalls(let calls):
            json += #"null,"tool_calls":["#
            for (offset, call) in calls.enumerated() {
                if offset > 0 { json += "," }
                json += #"{"id":"# + JSONWriter.quoted(call.id)
                json += #","type":"function","function":{"name":"# + JSONWriter.quoted(call.name)
                json += #","arguments":"# + JSONWriter.quoted(call.arguments) + "}}"
            }
            json += "]"
        }
        json += #","refusal":null},"logprobs":null,"finish_reason":"# + JSONWriter.quoted(self.finishReason)
        json += #"}],"usage":"# + self.usageJSON
        json += #","system_fingerprint":"# + JSONWriter.quoted(Self.systemFingerprint) + "}"
        return json
    }

    /// The `usage` object, identical in the streamed and non-streamed forms.
    var usageJSON: String {
        let usage = self.usage
        return #"{"prompt_tokens":"# + String(usage.promptTokens)
            + #","completion_tokens":"# + String(usage.completionTokens)
            + #","total_tokens":"# + String(usage.totalTokens)
            + #","prompt_tokens_details":{"cached_tokens":"# + String(usage.cachedTokens)
            + #"},"completion_tokens_details":{"reasoning_tokens":"# + String(usage.reasoningTokens) + "}}"
    }
}
