import KeelCore
import NIOCore

/// Renders a planned answer as Gemini `GenerateContentResponse`s: the whole one, or the stream of
/// them (`alt=sse` events, or without it a JSON array, as `streamGenerateContent` answers).
///
/// Parts: thought summaries (`"thought": true`) when the request asked for them, then the text or
/// one `functionCall` part per call. Every streamed chunk carries the cumulative
/// `usageMetadata`; the last one has the `finishReason` and the final counts.
/// `candidatesTokenCount` excludes thoughts: total = prompt + candidates + thoughts.
struct GeminiResponseRenderer: StreamRenderer {
    let completion: SimulatedCompletion
    let sse: Bool
    let includeThoughts: Bool
    let responseID: String
    /// One part per paced chunk, with how many answer and thought tokens it adds.
    private let parts: [(json: String, answerTokens: Int, thoughtTokens: Int)]
    /// The answer and thought tokens sent up to and including each part.
    private let cumulative: [(answer: Int, thoughts: Int)]

    init(completion: SimulatedCompletion, includeThoughts: Bool, sse: Bool = true) {
        self.completion = completion
        self.sse = sse
        self.includeThoughts = includeThoughts
        var hash = StableHash()
        hash.combine(Int(truncatingIfNeeded: completion.seed))
        self.responseID = String(StableHash.hex(hash.value).prefix(22))
        var parts: [(String, Int, Int)] = []
        if includeThoughts {
            for piece in completion.thinkingPieces(count: completion.usage.reasoningTokens) {
                parts.append((#"{"text":"# + JSONWriter.quoted(piece) + #","thought":true}"#, 0, 1))
            }
        }
        switch completion.output {
        case .text(let pieces):
            for piece in pieces { parts.append((#"{"text":"# + JSONWriter.quoted(piece) + "}", 1, 0)) }
        case .toolCalls(let calls):
            for call in calls {
                let tokens = SimulatedTokenizer.count(call.name) + SimulatedTokenizer.count(call.arguments)
                parts.append(
                    (#"{"functionCall":{"name":"# + JSONWriter.quoted(call.name) + #","args":"# + call.arguments + "}}", tokens, 0))
            }
        }
        self.parts = parts
        var answer = 0
        var thoughts = 0
        self.cumulative = parts.map { part in
            answer += part.1
            thoughts += part.2
            return (answer, thoughts)
        }
    }

    /// Gemini's finish reason: `MAX_TOKENS` for a cut answer, else `STOP` (function calls too).
    var finishReason: String {
        self.completion.finishReason == "length" ? "MAX_TOKENS" : "STOP"
    }

    /// The non-streaming body.
    var body: String {
        var rendered: [String] = []
        if self.includeThoughts, self.completion.usage.reasoningTokens > 0 {
            let thoughts = self.completion.thinkingPieces(count: self.completion.usage.reasoningTokens).joined()
            rendered.append(#"{"text":"# + JSONWriter.quoted(thoughts) + #","thought":true}"#)
        }
        switch self.completion.output {
        case .text(let pieces):
            rendered.append(#"{"text":"# + JSONWriter.quoted(pieces.joined()) + "}")
        case .toolCalls:
            rendered += self.parts.filter { $0.thoughtTokens == 0 }.map(\.json)
        }
        return self.response(parts: rendered, finish: true, answerTokens: nil, thoughtTokens: nil)
    }

    var contentType: String { self.sse ? "text/event-stream" : "application/json" }
    var deltaCount: Int { self.parts.count }
    var opening: ByteBuffer { ByteBuffer(string: self.sse ? "" : "[") }

    func delta(at index: Int, final: Bool) -> ByteBuffer {
        let response = self.response(
            parts: [self.parts[index].json], finish: final, answerTokens: self.cumulative[index].answer,
            thoughtTokens: self.cumulative[index].thoughts)
        return self.frame(response, first: index == 0)
    }

    var closing: ByteBuffer {
        // An answer without parts still ends with one chunk that says why.
        var closing = self.parts.isEmpty ? self.frame(self.response(parts: [#"{"text":""}"#], finish: true, answerTokens: nil, thoughtTokens: nil), first: true) : ByteBuffer()
        if !self.sse { closing.writeString("]") }
        return closing
    }

    var malformed: ByteBuffer {
        ByteBuffer(string: self.sse ? "data: {\"candidates\":[{\"content\":\r\n\r\n" : ",{\"candidates\":[{\"content\":")
    }

    func error(_ error: SimulatorError) -> ByteBuffer {
        self.sse ? ByteBuffer(string: "data: " + error.geminiBody + "\r\n\r\n") : ByteBuffer(string: "," + error.geminiBody + "]")
    }

    private func frame(_ response: String, first: Bool) -> ByteBuffer {
        // Google's front end ends each event with CRLF pairs.
        if self.sse { return ByteBuffer(string: "data: " + response + "\r\n\r\n") }
        return ByteBuffer(string: (first ? "" : ",\r\n") + response)
    }

    /// One `GenerateContentResponse`; `nil` counts mean the final ones.
    private func response(parts: [String], finish: Bool, answerTokens: Int?, thoughtTokens: Int?) -> String {
        let usage = self.completion.usage
        let answer = finish ? usage.answerTokens : (answerTokens ?? usage.answerTokens)
        let thoughts = finish ? usage.reasoningTokens : (thoughtTokens ?? usage.reasoningTokens)
        var json = #"{"candidates":[{"content":{"parts":["# + parts.joined(separator: ",") + #"],"role":"model"}"#
        if finish { json += #","finishReason":"# + JSONWriter.quoted(self.finishReason) }
        json += #","index":0}],"usageMetadata":{"promptTokenCount":"# + String(usage.promptTokens)
        json += #","candidatesTokenCount":"# + String(answer)
        json += #","totalTokenCount":"# + String(usage.promptTokens + answer + thoughts)
        if usage.cachedTokens > 0 { json += #","cachedContentTokenCount":"# + String(usage.cachedTokens) }
        json += #","promptTokensDetails":[{"modality":"TEXT","tokenCount":"# + String(usage.promptTokens) + "}]"
        if thoughts > 0 { json += #","thoughtsTokenCount":"# + String(thoughts) }
        json += #"},"modelVersion":"# + JSONWriter.quoted(self.completion.model)
        json += #","responseId":"# + JSONWriter.quoted(self.responseID) + "}"
        return json
    }
}

