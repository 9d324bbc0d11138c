import KeelCore
import NIOCore
import Testing

@testable import KeelProviders

@Suite("Bedrock request translation")
struct BedrockTranslationTests {
    private let model = "anthropic.claude-3-5-haiku-20241022-v1:0"

    private func encoded(_ request: ChatRequest, model: String? = nil) throws -> JSONValue {
        try JSONValue(parsing: try BedrockChatDialect.encodeRequest(request, upstreamModel: model ?? self.model))
    }

    @Test func aConversationWithToolsBecomesAConverseBody() throws {
        let request = ChatRequest(
            model: "gpt-4o",
            system: [.text(ChatText("Policy text", cache: ChatCacheControl())), .text("Be brief.")],
            messages: [
                ChatMessage(role: .user, content: [.text("Weather in Seattle?"), .image(.base64(mediaType: "image/jpeg", data: "/9j/4AAQ"))]),
                ChatMessage(role: .assistant, content: [
                    .thinking(ChatThinking(text: "Use the tool.", signature: "sig-1")),
                    .text(""),
                    .toolCall(ChatToolCall(id: "tooluse_1", name: "get_weather", arguments: #"{"location":"Seattle"}"#)),
                ]),
                ChatMessage(role: .user, content: [
                    .toolResult(ChatToolResult(toolCallID: "tooluse_1", content: [.text("12 °C, rain")])),
                    .toolResult(ChatToolResult(toolCallID: "tooluse_0", content: [.text("timeout")], isError: true)),
                ]),
            ],
            tools: [
                ChatTool(
                    name: "get_weather", description: "Current weather",
                    parameters: try JSONValue(parsing: #"{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}"#),
                    cache: ChatCacheControl()
                )
            ],
            toolChoice: .required,
            parallelToolCalls: false,
            maxTokens: 512,
            temperature: 0.5,
            topP: 0.95,
            topK: 50,
            stopSequences: ["STOP"],
            reasoning: .budgetTokens(2048),
            user: "user-1"
        )
        let expected = try JSONValue(
            parsing: #"""
                {"messages":[
                   {"role":"user","content":[{"text":"Weather in Seattle?"},{"image":{"format":"jpeg","source":{"bytes":"/9j/4AAQ"}}}]},
                   {"role":"assistant","content":[
                      {"reasoningContent":{"reasoningText":{"text":"Use the tool.","signature":"sig-1"}}},
                      {"toolUse":{"toolUseId":"tooluse_1","name":"get_weather","input":{"location":"Seattle"}}}]},
                   {"role":"user","content":[
                      {"toolResult":{"toolUseId":"tooluse_1","content":[{"text":"12 °C, rain"}]}},
                      {"toolResult":{"toolUseId":"tooluse_0","content":[{"text":"timeout"}],"status":"error"}}]}],
                 "system":[{"text":"Policy text"},{"cachePoint":{"type":"default"}},{"text":"Be brief."}],
                 "inferenceConfig":{"maxTokens":512,"temperature":0.5,"topP":0.95,"stopSequences":["STOP"]},
                 "toolConfig":{"tools":[
                     {"toolSpec":{"name":"get_weather","description":"Current weather","inputSchema":{"json":
                        {"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}}},
                     {"cachePoint":{"type":"default"}}],
                   "toolChoice":{"any":{}}},
                 "additionalModelRequestFields":{"top_k":50,"thinking":{"type":"enabled","budget_tokens":2048}}}
                """#
        )
        #expect(try self.encoded(request) == expected)
    }

    @Test func aMinimalRequestHasOnlyMessages() throws {
        let request = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.text("Hi")])])
        #expect(try self.encoded(request, model: "amazon.nova-lite-v1:0") == JSONValue(parsing: #"{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}"#))
    }

    @Test(arguments: [
        (ChatToolChoice.auto, #"{"auto":{}}"#), (ChatToolChoice.required, #"{"any":{}}"#), (ChatToolChoice.tool("f"), #"{"tool":{"name":"f"}}"#),
    ])
    func toolChoiceMapsToConverse(choice: ChatToolChoice, expected: String) throws {
        let request = ChatRequest(
            model: "m", messages: [ChatMessage(role: .user, content: [.text("hi")])],
            tools: [ChatTool(name: "f", parameters: .object([]))], toolChoice: choice
        )
        #expect(try self.encoded(request)["toolConfig"]?["toolChoice"] == JSONValue(parsing: expected))
    }

    @Test func toolChoiceNoneOmitsToolsUnlessTheConversationHasToolCalls() throws {
        var request = ChatRequest(
            model: "m", messages: [ChatMessage(role: .user, content: [.text("hi")])],
            tools: [ChatTool(name: "f", parameters: .object([]))], toolChoice: ChatToolChoice.none
        )
        #expect(try self.encoded(request)["toolConfig"] == nil)
        request.messages += [
            ChatMessage(role: .assistant, content: [.toolCall(ChatToolCall(id: "t", name: "f", arguments: "{}"))]),
            ChatMessage(role: .user, content: [.toolResult(ChatToolResult(toolCallID: "t", content: [.text("ok")]))]),
        ]
        let error = #expect(throws: KeelError.self) { try BedrockChatDialect.encodeRequest(request, upstreamModel: "m") }
        #expect(error?.param == "tool_choice")
    }

    @Test(arguments: [
        ("image URL", ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.image(.url("https://example.com/a.png"))])]), "messages"),
        ("BMP image", ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.image(.base64(mediaType: "image/bmp", data: "Qk0="))])]), "messages"),
        ("JSON mode", ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.text("hi")])], responseFormat: .jsonObject), "response_format"),
        ("effort", ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.text("hi")])], reasoning: .effort("high")), "reasoning_effort"),
        ("top_k off Anthropic", ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.text("hi")])], topK: 5), "top_k"),
        ("unsupported", ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.text("hi")])], unsupportedParameters: ["n"]), "n"),
        ("bad arguments", ChatRequest(model: "m", messages: [ChatMessage(role: .assistant, content: [.toolCall(ChatToolCall(id: "t", name: "f", arguments: "[1]"))])]), "messages"),
    ])
    func whatConverseCannotExpressIsRefused(what: String, request: ChatRequest, param: String) {
        let error = #expect(throws: KeelError.self) { try BedrockChatDialect.encodeRequest(request, upstreamModel: "amazon.nova-pro-v1:0") }
        #expect(error?.metricLabel == "invalid_request")
        #expect(error?.param == param)
    }
}
