import Foundation
import KeelSimulator
import Testing

/// The same conversation in every dialect gets the same text and consistent token counts.
@Suite("Cross-dialect determinism")
struct CrossDialectTests {
    static let text = "Tell me about the sea [sim tokens=12 cached=2]"

    struct Answer {
        let text: String?
        /// Prompt tokens including cache reads.
        let prompt: Int?
        let output: Int?
    }

    static func answers(_ sim: SimulatorHarness, model: String) async throws -> [String: Answer] {
        var answers: [String: Answer] = [:]
        let openAI = try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody(model: model, Self.text)).json()
        answers["openai"] = Answer(
            text: openAI[path: "choices", 0, "message", "content"] as? String, prompt: openAI[path: "usage", "prompt_tokens"] as? Int,
            output: openAI[path: "usage", "completion_tokens"] as? Int)
        let anthropic = try await sim.post("/v1/messages", AnthropicMessagesTests.body(Self.text, model: model), headers: AnthropicMessagesTests.headers).json()
        answers["anthropic"] = Answer(
            text: anthropic[path: "content", 0, "text"] as? String,
            prompt: (anthropic[path: "usage", "input_tokens"] as? Int).map { $0 + (anthropic[path: "usage", "cache_read_input_tokens"] as? Int ?? 0) },
            output: anthropic[path: "usage", "output_tokens"] as? Int)
        let gemini = try await sim.post("/v1beta/models/\(model):generateContent", GeminiTests.body(Self.text), headers: GeminiTests.headers).json()
        answers["gemini"] = Answer(
            text: gemini[path: "candidates", 0, "content", "parts", 0, "text"] as? String,
            prompt: gemini[path: "usageMetadata", "promptTokenCount"] as? Int, output: gemini[path: "usageMetadata", "candidatesTokenCount"] as? Int)
        let bedrock = try await sim.post("/model/\(model)/converse", BedrockConverseTests.body(Self.text), headers: BedrockConverseTests.headers).json()
        answers["bedrock"] = Answer(
            text: bedrock[path: "output", "message", "content", 0, "text"] as? String,
            prompt: (bedrock[path: "usage", "inputTokens"] as? Int).map { $0 + (bedrock[path: "usage", "cacheReadInputTokens"] as? Int ?? 0) },
            output: bedrock[path: "usage", "outputTokens"] as? Int)
        let azure = try await sim.post("/openai/deployments/\(model)/chat/completions?api-version=2024-10-21", SimulatorHarness.chatBody(model: "ignored", Self.text)).json()
        answers["azure"] = Answer(
            text: azure[path: "choices", 0, "message", "content"] as? String, prompt: azure[path: "usage", "prompt_tokens"] as? Int,
            output: azure[path: "usage", "completion_tokens"] as? Int)
        return answers
    }

    @Test(arguments: ["keel-sim-chat", "keel-sim-claude", "keel-sim-gemini"])
    func samePromptGivesTheSameTextAndTokensInEveryDialect(model: String) async throws {
        try await SimulatorHarness.run { sim in
            let answers = try await Self.answers(sim, model: model)
            #expect(answers.count == 5)
            let text = try #require(answers["openai"]?.text)
            #expect(SimulatedTokenizer.count(text) == 12)
            let prompt = 3 + (4 + SimulatedTokenizer.count("Be brief.")) + (4 + SimulatedTokenizer.count(Self.text))
            for (dialect, answer) in answers {
                #expect(answer.text == text, "text differs in \(dialect)")
                #expect(answer.prompt == prompt, "prompt tokens differ in \(dialect)")
                #expect(answer.output == 12, "output tokens differ in \(dialect)")
            }
        }
    }

    @Test func differentModelsAnswerDifferently() async throws {
        try await SimulatorHarness.run { sim in
            let claude = try await Self.answers(sim, model: "keel-sim-claude")["anthropic"]?.text
            let gemini = try await Self.answers(sim, model: "keel-sim-gemini")["anthropic"]?.text
            #expect(claude != nil)
            #expect(claude != gemini)
        }
    }

    @Test func toolCallsHaveTheSameArgumentsAndTokensInEveryDialect() async throws {
        try await SimulatorHarness.run { sim in
            let openAITool = #"{"type":"function","function":{"name":"get_weather","description":"Weather of a city","parameters":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city","days"]}}}"#
            let bedrockTools = #"{"tools":[{"toolSpec":{"name":"get_weather","description":"Weather of a city","inputSchema":{"json":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city","days"]}}}}]}"#
            let openAI = try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody(model: "keel-sim-chat", "Weather?", extra: #","tools":[\#(openAITool)]"#)).json()
            let anthropic = try await sim.post("/v1/messages", AnthropicMessagesTests.body("Weather?", extra: #","tools":[\#(AnthropicMessagesTests.weather)]"#), headers: AnthropicMessagesTests.headers).json()
            let gemini = try await sim.post("/v1beta/models/keel-sim-chat:generateContent", GeminiTests.body("Weather?", extra: #","tools":[\#(GeminiTests.weather)]"#), headers: GeminiTests.headers).json()
            let bedrock = try await sim.post("/model/keel-sim-chat/converse", BedrockConverseTests.body("Weather?", extra: #","toolConfig":\#(bedrockTools)"#), headers: BedrockConverseTests.headers).json()

            let arguments = try jsonObject(try #require(openAI[path: "choices", 0, "message", "tool_calls", 0, "function", "arguments"] as? String)) as NSDictionary
            #expect(anthropic[path: "content", 0, "input"] as? NSDictionary == arguments)
            #expect(gemini[path: "candidates", 0, "content", "parts", 0, "functionCall", "args"] as? NSDictionary == arguments)
            #expect(bedrock[path: "output", "message", "content", 0, "toolUse", "input"] as? NSDictionary == arguments)
            let prompt = try #require(openAI[path: "usage", "prompt_tokens"] as? Int)
            #expect(anthropic[path: "usage", "input_tokens"] as? Int == prompt)
            #expect(gemini[path: "usageMetadata", "promptTokenCount"] as? Int == prompt)
            #expect(bedrock[path: "usage", "inputTokens"] as? Int == prompt)
            let output = try #require(openAI[path: "usage", "completion_tokens"] as? Int)
            #expect(anthropic[path: "usage", "output_tokens"] as? Int == output)
            #expect(gemini[path: "usageMetadata", "candidatesTokenCount"] as? Int == output)
            #expect(bedrock[path: "usage", "outputTokens"] as? Int == output)
        }
    }

    @Test func scriptedEntriesApplyToEveryDialect() async throws {
        try await SimulatorHarness.run { sim in
            sim.simulator.script.enqueue(SimulatorDirectives(status: 529), count: 4)
            #expect(try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody()).status == 529)
            let anthropic = try await sim.post("/v1/messages", AnthropicMessagesTests.body(), headers: AnthropicMessagesTests.headers)
            #expect(anthropic.status == 529)
            #expect(try anthropic.json()[path: "error", "type"] as? String == "overloaded_error")
            #expect(try await sim.post("/v1beta/models/keel-sim-chat:generateContent", GeminiTests.body(), headers: GeminiTests.headers).status == 529)
            let bedrock = try await sim.post("/model/keel-sim-chat/converse", BedrockConverseTests.body(), headers: BedrockConverseTests.headers)
            #expect(bedrock.status == 529)
            #expect(bedrock.header("x-amzn-errortype")?.hasPrefix("ServiceUnavailableException") == true)
            #expect(try await sim.post("/v1/messages", AnthropicMessagesTests.body(), headers: AnthropicMessagesTests.headers).status == 200)
        }
    }
}
