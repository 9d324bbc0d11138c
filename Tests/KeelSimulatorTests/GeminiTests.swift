import Foundation
import KeelSimulator
import Testing

@Suite("Gemini generateContent")
struct GeminiTests {
    static let headers = [("x-goog-api-key", "AIza-test"), ("content-type", "application/json")]

    static func body(_ text: String = "Hello there, simulator.", extra: String = "") -> String {
        #"{"systemInstruction":{"parts":[{"text":"Be brief."}]},"contents":[{"role":"user","parts":[{"text":\#(JSONWriterForTests.quoted(text))}]}]\#(extra)}"#
    }

    static let weather =
        #"{"functionDeclarations":[{"name":"get_weather","description":"Weather of a city","parameters":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city","days"]}}]}"#

    static func path(_ model: String = "keel-sim-gemini", _ method: String = "generateContent") -> String {
        "/v1beta/models/\(model):\(method)"
    }

    static func path(method: String) -> String { Self.path("keel-sim-gemini", method) }

    /// The `data:` payloads of an `alt=sse` stream, whose events end with CRLF pairs.
    static func sseChunks(_ reply: SimulatorHarness.Reply) throws -> [[String: Any]] {
        try reply.body.components(separatedBy: "\r\n\r\n").filter { !$0.isEmpty }.map { event in
            guard event.hasPrefix("data: ") else { throw SimulatorHarness.HarnessError("not a data event: \(event)") }
            return try jsonObject(String(event.dropFirst(6)))
        }
    }

    @Test func plainAnswerHasCandidatesAndExactUsageMetadata() async throws {
        try await SimulatorHarness.run { sim in
            let reply = try await sim.post(Self.path(), Self.body(), headers: Self.headers)
            #expect(reply.status == 200)
            let json = try reply.json()
            #expect(json[path: "candidates", 0, "content", "role"] as? String == "model")
            #expect(json[path: "candidates", 0, "finishReason"] as? String == "STOP")
            #expect(json[path: "candidates", 0, "index"] as? Int == 0)
            let text = try #require(json[path: "candidates", 0, "content", "parts", 0, "text"] as? String)
            let prompt = 3 + (4 + SimulatedTokenizer.count("Be brief.")) + (4 + SimulatedTokenizer.count("Hello there, simulator."))
            #expect(json[path: "usageMetadata", "promptTokenCount"] as? Int == prompt)
            #expect(json[path: "usageMetadata", "candidatesTokenCount"] as? Int == SimulatedTokenizer.count(text))
            #expect(json[path: "usageMetadata", "totalTokenCount"] as? Int == prompt + SimulatedTokenizer.count(text))
            #expect(json["modelVersion"] as? String == "keel-sim-gemini")
            #expect((json["responseId"] as? String)?.isEmpty == false)
        }
    }

    @Test func sseStreamCarriesTheSameTextAndCumulativeUsage() async throws {
        try await SimulatorHarness.run { sim in
            let plain = try await sim.post(Self.path(), Self.body("[sim tokens=5] go"), headers: Self.headers).json()
            let reply = try await sim.post(Self.path(method: "streamGenerateContent") + "?alt=sse", Self.body("[sim tokens=5] go"), headers: Self.headers)
            #expect(reply.status == 200)
            #expect(reply.header("content-type") == "text/event-stream")
            let chunks = try Self.sseChunks(reply)
            #expect(chunks.count == 5)
            let text = chunks.compactMap { $0[path: "candidates", 0, "content", "parts", 0, "text"] as? String }.joined()
            #expect(text == plain[path: "candidates", 0, "content", "parts", 0, "text"] as? String)
            #expect(chunks.dropLast().allSatisfy { $0[path: "candidates", 0, "finishReason"] == nil })
            #expect(chunks.last?[path: "candidates", 0, "finishReason"] as? String == "STOP")
            let counts = chunks.map { $0[path: "usageMetadata", "candidatesTokenCount"] as? Int }
            #expect(counts == [1, 2, 3, 4, 5])
            #expect(chunks.last?["usageMetadata"] as? NSDictionary == plain["usageMetadata"] as? NSDictionary)

            let array = try await sim.post(Self.path(method: "streamGenerateContent"), Self.body("[sim tokens=5] go"), headers: Self.headers)
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(array.body.utf8)) as? [[String: Any]])
            #expect(parsed.count == 5)
        }
    }

    @Test func functionCallsArePartsWithObjectArgs() async throws {
        try await SimulatorHarness.run { sim in
            let extra = #","tools":[\#(Self.weather)],"toolConfig":{"functionCallingConfig":{"mode":"ANY"}}"#
            let json = try await sim.post(Self.path(), Self.body(extra: extra), headers: Self.headers).json()
            let call = try #require(json[path: "candidates", 0, "content", "parts", 0, "functionCall"] as? [String: Any])
            #expect(call["name"] as? String == "get_weather")
            #expect(call["args"] as? NSDictionary == ["city": "value-1", "days": 2] as NSDictionary)
            #expect(json[path: "candidates", 0, "finishReason"] as? String == "STOP")
            let toolTokens = SimulatedTokenizer.count("get_weather") + SimulatedTokenizer.count(#"{"city":"value-1","days":2}"#)
            #expect(json[path: "usageMetadata", "candidatesTokenCount"] as? Int == toolTokens)

            let stream = try await sim.post(Self.path(method: "streamGenerateContent") + "?alt=sse", Self.body(extra: extra), headers: Self.headers)
            let chunks = try Self.sseChunks(stream)
            let streamed = chunks.compactMap { $0[path: "candidates", 0, "content", "parts", 0, "functionCall"] as? [String: Any] }
            #expect(streamed.count == 1)
            #expect(streamed.first?["args"] as? NSDictionary == call["args"] as? NSDictionary)

            let noneExtra = #","tools":[\#(Self.weather)],"toolConfig":{"functionCallingConfig":{"mode":"NONE"}}"#
            let none = try await sim.post(Self.path(), Self.body(extra: noneExtra), headers: Self.headers).json()
            #expect(none[path: "candidates", 0, "content", "parts", 0, "text"] is String)
        }
    }

    @Test func thoughtsAndCacheAreReportedApartFromCandidates() async throws {
        try await SimulatorHarness.run { sim in
            let extra = #","generationConfig":{"thinkingConfig":{"includeThoughts":true}}"#
            let json = try await sim.post(Self.path(), Self.body("[sim reasoning=5 tokens=3 cached=4] think", extra: extra), headers: Self.headers).json()
            let parts = try #require(json[path: "candidates", 0, "content", "parts"] as? [[String: Any]])
            #expect(parts.count == 2)
            #expect(parts[0]["thought"] as? Bool == true)
            #expect(SimulatedTokenizer.count(parts[0]["text"] as? String ?? "") == 5)
            let prompt = try #require(json[path: "usageMetadata", "promptTokenCount"] as? Int)
            #expect(json[path: "usageMetadata", "candidatesTokenCount"] as? Int == 3)
            #expect(json[path: "usageMetadata", "thoughtsTokenCount"] as? Int == 5)
            #expect(json[path: "usageMetadata", "cachedContentTokenCount"] as? Int == 4)
            #expect(json[path: "usageMetadata", "totalTokenCount"] as? Int == prompt + 8)

            let hidden = try await sim.post(Self.path(), Self.body("[sim reasoning=5 tokens=3] think"), headers: Self.headers).json()
            #expect((hidden[path: "candidates", 0, "content", "parts"] as? [Any])?.count == 1)
            #expect(hidden[path: "usageMetadata", "thoughtsTokenCount"] as? Int == 5)

            let counted = try await sim.post(Self.path(method: "countTokens"), Self.body("[sim reasoning=5 tokens=3 cached=4] think"), headers: Self.headers).json()
            #expect(counted["totalTokens"] as? Int == prompt)
        }
    }

    @Test func maxOutputTokensCutsTheAnswer() async throws {
        try await SimulatorHarness.run { sim in
            let capped = try await sim.post(Self.path(), Self.body("[sim tokens=10] x", extra: #","generationConfig":{"maxOutputTokens":4}"#), headers: Self.headers).json()
            #expect(capped[path: "candidates", 0, "finishReason"] as? String == "MAX_TOKENS")
            #expect(capped[path: "usageMetadata", "candidatesTokenCount"] as? Int == 4)
        }
    }

    struct ErrorCase: Sendable, CustomTestStringConvertible {
        let name: String
        let path: String
        let body: String
        let status: Int
        let googleStatus: String
        var testDescription: String { self.name }
    }

    static let errorCases: [ErrorCase] = [
        ErrorCase(name: "no contents", path: path(), body: "{}", status: 400, googleStatus: "INVALID_ARGUMENT"),
        ErrorCase(name: "malformed JSON", path: path(), body: "{", status: 400, googleStatus: "INVALID_ARGUMENT"),
        ErrorCase(name: "unknown model", path: path("gemini-nope"), body: body(), status: 404, googleStatus: "NOT_FOUND"),
        ErrorCase(name: "status 429", path: path(), body: body("[sim status=429]"), status: 429, googleStatus: "RESOURCE_EXHAUSTED"),
        ErrorCase(name: "status 500", path: path(), body: body("[sim status=500]"), status: 500, googleStatus: "INTERNAL"),
        ErrorCase(name: "status 503", path: path(), body: body("[sim status=503]"), status: 503, googleStatus: "UNAVAILABLE"),
        ErrorCase(name: "status 403", path: path(), body: body("[sim status=403]"), status: 403, googleStatus: "PERMISSION_DENIED"),
    ]

    @Test(arguments: errorCases)
    func errorsHaveGooglesShape(_ refused: ErrorCase) async throws {
        try await SimulatorHarness.run { sim in
            let reply = try await sim.post(refused.path, refused.body, headers: Self.headers)
            #expect(reply.status == refused.status)
            let json = try reply.json()
            #expect(json[path: "error", "code"] as? Int == refused.status)
            #expect(json[path: "error", "status"] as? String == refused.googleStatus)
            #expect((json[path: "error", "message"] as? String)?.isEmpty == false)
        }
    }

    @Test func keyIsCheckedInHeaderOrQueryAndMidStreamErrorsAreEvents() async throws {
        try await SimulatorHarness.run(apiKey: "AIza-test") { sim in
            #expect(try await sim.post(Self.path(), Self.body(), headers: Self.headers).status == 200)
            #expect(try await sim.post(Self.path() + "?key=AIza-test", Self.body(), headers: []).status == 200)
            let missing = try await sim.post(Self.path(), Self.body(), headers: [])
            #expect(missing.status == 403)
            #expect(try missing.json()[path: "error", "status"] as? String == "PERMISSION_DENIED")
            let wrong = try await sim.post(Self.path() + "?key=nope", Self.body(), headers: [])
            #expect(wrong.status == 400)

            let broken = try await sim.post(Self.path(method: "streamGenerateContent") + "?alt=sse", Self.body("[sim fault=error after_tokens=2 tokens=5] x"), headers: Self.headers)
            let chunks = try Self.sseChunks(broken)
            #expect(chunks.count == 3)
            #expect(chunks.last?[path: "error", "status"] as? String == "UNAVAILABLE")
            #expect(chunks.last?[path: "error", "code"] as? Int == 503)
        }
    }

    @Test func embedContentMatchesOpenAIsVectorForTheSameText() async throws {
        try await SimulatorHarness.run { sim in
            let one = try await sim.post(Self.path("keel-sim-embed", "embedContent"), #"{"content":{"parts":[{"text":"the sea is calm"}]},"outputDimensionality":8}"#, headers: Self.headers).json()
            let values = try #require(one[path: "embedding", "values"] as? [Double])
            #expect(values.count == 8)
            let openAI = try await sim.post("/v1/embeddings", #"{"model":"keel-sim-embed","input":"the sea is calm","dimensions":8}"#).json()
            #expect(openAI[path: "data", 0, "embedding"] as? [Double] == values)
            let batch = try await sim.post(Self.path("keel-sim-embed", "batchEmbedContents"), #"{"requests":[{"model":"models/keel-sim-embed","content":{"parts":[{"text":"a"}]}},{"model":"models/keel-sim-embed","content":{"parts":[{"text":"b"}]}}]}"#, headers: Self.headers).json()
            #expect((batch["embeddings"] as? [[String: Any]])?.count == 2)
        }
    }
}
