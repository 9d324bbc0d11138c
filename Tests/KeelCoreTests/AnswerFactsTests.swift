import Testing

@testable import KeelCore

@Suite("What detectors read of complete answers")
struct AnswerFactsTests {
    static func read(_ json: String, _ dialect: APIDialect) -> AnswerFacts {
        Array(json.utf8).withUnsafeBytes { AnswerFacts.read($0, dialect: dialect) }
    }

    @Test func eachDialectGivesItsFinishReasonAndReportedModel() {
        // Written as the providers write them (spacing, key order and extra fields included).
        #expect(
            Self.read(
                #"{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"Hi \"finish_reason\": no"},"finish_reason":"length"},{"index":1,"finish_reason":"stop"}],"usage":{"prompt_tokens":3}}"#,
                .openAI
            ) == AnswerFacts(finishReason: "length", model: "gpt-4o-2024-08-06")
        )
        #expect(
            Self.read(
                #"{ "id": "msg_1", "type": "message", "role": "assistant", "content": [ { "type": "text", "text": "Hi" } ], "model": "claude-sonnet-4-5-20250929", "stop_reason": "max_tokens", "usage": {} }"#,
                .anthropic
            ) == AnswerFacts(finishReason: "max_tokens", model: "claude-sonnet-4-5-20250929")
        )
        #expect(
            Self.read(
                #"{"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"},"finishReason":"SAFETY","index":0}],"usageMetadata":{},"modelVersion":"gemini-2.5-flash-001"}"#,
                .gemini
            ) == AnswerFacts(finishReason: "SAFETY", model: "gemini-2.5-flash-001")
        )
        #expect(
            Self.read(
                #"{"output":{"message":{"role":"assistant","content":[{"text":"Hi"}]}},"stopReason":"end_turn","usage":{}}"#,
                .bedrock
            ) == AnswerFacts(finishReason: "end_turn", model: nil)
        )
    }

    @Test func whatIsMissingOrNotJSONIsNil() {
        #expect(Self.read(#"{"choices":[]}"#, .openAI) == AnswerFacts())
        #expect(Self.read(#"{"choices":[{"message":{}}],"model":7}"#, .openAI) == AnswerFacts())
        #expect(Self.read("not json", .anthropic) == AnswerFacts())
        #expect(Self.read(#"["a"]"#, .gemini) == AnswerFacts())
    }
}
