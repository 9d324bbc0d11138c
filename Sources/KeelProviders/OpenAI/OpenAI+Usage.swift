public import KeelCore

/// Usage blocks in the OpenAI dialect.
public enum OpenAIUsage {
    /// Reads an OpenAI `usage` object: `prompt_tokens`, `completion_tokens`,
    /// `prompt_tokens_details.cached_tokens` and `completion_tokens_details.reasoning_tokens`.
    /// Returns `nil` when `bytes` is not such an object.
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> TokenUsage? {
        guard let usage = try? JSONScanner.indexObject(bytes) else { return nil }
        var result = TokenUsage()
        if let member = usage["prompt_tokens"], let value = usage.int(member) { result.inputTokens = Int64(value) }
        if let member = usage["completion_tokens"], let value = usage.int(member) { result.outputTokens = Int64(value) }
        if usage["prompt_tokens"] == nil, let member = usage["input_tokens"], let value = usage.int(member) {
            // Embedding-style and Responses-style usage.
            result.inputTokens = Int64(value)
        }
        if let details = usage["prompt_tokens_details"], details.kind == .object,
            let index = try? JSONScanner.indexObject(usage.slice(details)),
            let cached = index["cached_tokens"], let value = index.int(cached)
        {
            result.cachedInputTokens = Int64(value)
        }
        if let details = usage["completion_tokens_details"], details.kind == .object,
            let index = try? JSONScanner.indexObject(usage.slice(details)),
            let reasoning = index["reasoning_tokens"], let value = index.int(reasoning)
        {
            result.reasoningTokens = Int64(value)
        }
        return result
    }

    /// The usage of a complete (non-streaming) response body, or `nil` when it has none.
    /// Throws when the body is not a JSON object.
    public static func fromResponseBody(_ bytes: UnsafeRawBufferPointer) throws(JSONScanner.SyntaxError) -> TokenUsage? {
        let index = try JSONScanner.indexObject(bytes)
        guard let member = index["usage"], member.kind == .object else { return nil }
        return decode(index.slice(member))
    }
}
