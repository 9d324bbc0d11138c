import KeelCore
import NIOCore
import Testing

@testable import KeelProviders

@Suite("Gemini request translation")
struct GeminiTranslationTests {
    private let weatherSchema = try! JSONValue(
        parsing: #"""
            {"$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":false,
             "properties":{"location":{"type":"string","description":"City","format":"email","minLength":1},
                           "unit":{"type":["string","null"],"enum":["celsius","fahrenheit"]},
                           "days":{"type":"array","items":{"type":"integer","exclusiveMinimum":0,"format":"int32"}},
                           "mode":{"oneOf":[{"const":"fast"},{"type":"string","examples":["x"]}]}},
             "required":["location"]}
            """#
    )

    private func encoded(_ request: ChatRequest) throws -> JSONValue {
        try JSONValue(parsing: try GeminiChatDialect.encodeRequest(request, upstreamModel: "gemini-2.5-flash"))
    }

    @Test func aConversationWithToolsBecomesAGenerateContentBody() throws {
        let request = ChatRequest(
            model: "gpt-4o",
            system: [.text("You are terse."), .text("Answer in English.")],
            messages: [
                ChatMessage(role: .user, content: [.text("Weather in Paris?"), .image(.base64(mediaType: "image/png", data: "iVBORw0KGgo="))]),
                ChatMessage(role: .assistant, content: [
                    .thinking(ChatThinking(text: "call the tool", signature: "sig")),
                    .text(""),
                    .toolCall(ChatToolCall(id: "call_1", name: "get_weather", arguments: #"{"location":"Paris"}"#)),
                ]),
                ChatMessage(role: .user, content: [
                    .toolResult(ChatToolResult(toolCallID: "call_1", content: [.text(#"{"temp":21}"#)])),
                ]),
                ChatMessage(role: .assistant, content: [.text("21 °C.")]),
                ChatMessage(role: .user, content: [.text("Thanks")]),
            ],
            tools: [
                ChatTool(name: "get_weather", description: "Current weather", parameters: self.weatherSchema),
                ChatTool(name: "get_time", parameters: try JSONValue(parsing: #"{"type":"object","properties":{}}"#)),
            ],
            toolChoice: .tool("get_weather"),
            parallelToolCalls: false,
            maxTokens: 256,
            temperature: 0.2,
            topP: 0.9,
            topK: 40,
            stopSequences: ["END"],
            reasoning: .budgetTokens(1024)
        )
        let expected = try JSONValue(
            parsing: #"""
                {"systemInstruction":{"parts":[{"text":"You are terse.\n\nAnswer in English."}]},
                 "contents":[
                   {"role":"user","parts":[{"text":"Weather in Paris?"},{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}}]},
                   {"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"location":"Paris"}}}]},
                   {"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"temp":21}}}]},
                   {"role":"model","parts":[{"text":"21 °C."}]},
                   {"role":"user","parts":[{"text":"Thanks"}]}],
                 "tools":[{"functionDeclarations":[
                   {"name":"get_weather","description":"Current weather","parameters":
                     {"type":"object","properties":{
                        "location":{"type":"string","description":"City","minLength":1},
                        "unit":{"type":"string","enum":["celsius","fahrenheit"],"nullable":true},
                        "days":{"type":"array","items":{"type":"integer","format":"int32"}},
                        "mode":{"anyOf":[{"enum":["fast"]},{"type":"string"}]}},
                      "required":["location"]}},
                   {"name":"get_time"}]}],
                 "toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["get_weather"]}},
                 "generationConfig":{"maxOutputTokens":256,"temperature":0.2,"topP":0.9,"topK":40,"stopSequences":["END"],
                   "thinkingConfig":{"thinkingBudget":1024,"includeThoughts":true}}}
                """#
        )
        #expect(try self.encoded(request) == expected)
    }

    @Test(arguments: [
        (ChatToolChoice.auto, #"{"mode":"AUTO"}"#),
        (ChatToolChoice.none, #"{"mode":"NONE"}"#),
        (ChatToolChoice.required, #"{"mode":"ANY"}"#),
    ])
    func toolChoiceMapsToAFunctionCallingMode(choice: ChatToolChoice, config: String) throws {
        let request = ChatRequest(
            model: "m",
            messages: [ChatMessage(role: .user, content: [.text("hi")])],
            tools: [ChatTool(name: "f", parameters: .object([]))],
            toolChoice: choice
        )
        #expect(try self.encoded(request)["toolConfig"]?["functionCallingConfig"] == JSONValue(parsing: config))
    }

    @Test func jsonModeSetsTheMimeTypeAndASanitizedSchema() throws {
        var request = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.text("hi")])], responseFormat: .jsonObject)
        #expect(try self.encoded(request)["generationConfig"] == JSONValue(parsing: #"{"responseMimeType":"application/json"}"#))
        request.responseFormat = .jsonSchema(
            name: "answer",
            schema: try JSONValue(parsing: #"{"type":"object","properties":{"n":{"type":"integer"}},"additionalProperties":false}"#),
            strict: true
        )
        #expect(
            try self.encoded(request)["generationConfig"]
                == JSONValue(parsing: #"{"responseMimeType":"application/json","responseSchema":{"type":"object","properties":{"n":{"type":"integer"}}}}"#)
        )
    }

    @Test(arguments: [("none", 0, false), ("low", 1_024, true), ("medium", 8_192, true), ("high", 24_576, true)])
    func reasoningEffortBecomesAThinkingBudget(effort: String, budget: Int, includeThoughts: Bool) throws {
        let request = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.text("hi")])], reasoning: .effort(effort))
        let config = try self.encoded(request)["generationConfig"]?["thinkingConfig"]
        #expect(config?["thinkingBudget"]?.int == budget)
        #expect(config?["includeThoughts"]?.bool == includeThoughts)
    }

    @Test func toolErrorsAndNonObjectResultsAreWrapped() throws {
        let request = ChatRequest(
            model: "m",
            messages: [
                ChatMessage(role: .user, content: [.text("go")]),
                ChatMessage(role: .assistant, content: [
                    .toolCall(ChatToolCall(id: "a", name: "one", arguments: "")),
                    .toolCall(ChatToolCall(id: "b", name: "two", arguments: "{}")),
                ]),
                ChatMessage(role: .user, content: [
                    .toolResult(ChatToolResult(toolCallID: "a", content: [.text("sunny")])),
                    .toolResult(ChatToolResult(toolCallID: "b", content: [.text("boom")], isError: true)),
                ]),
            ]
        )
        let contents = try #require(try self.encoded(request)["contents"]?.array)
        #expect(try contents[1]["parts"] == JSONValue(parsing: #"[{"functionCall":{"name":"one","args":{}}},{"functionCall":{"name":"two","args":{}}}]"#))
        #expect(
            try contents[2]["parts"]
                == JSONValue(parsing: #"[{"functionResponse":{"name":"one","response":{"result":"sunny"}}},{"functionResponse":{"name":"two","response":{"error":"boom"}}}]"#)
        )
    }

    @Test func imageURLsAreRefusedNamingTheProblem() throws {
        let request = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.image(.url("https://example.com/cat.png"))])])
        let error = #expect(throws: KeelError.self) { try GeminiChatDialect.encodeRequest(request, upstreamModel: "m") }
        #expect(error?.metricLabel == "invalid_request")
        #expect(error?.message.contains("image URLs") == true)
    }

    @Test func aToolResultWithoutItsCallIsRefused() throws {
        let request = ChatRequest(
            model: "m",
            messages: [ChatMessage(role: .user, content: [.toolResult(ChatToolResult(toolCallID: "nope", content: [.text("x")]))])]
        )
        let error = #expect(throws: KeelError.self) { try GeminiChatDialect.encodeRequest(request, upstreamModel: "m") }
        #expect(error?.message.contains("'nope'") == true)
    }

    @Test func schemaReferencesAndUnsupportedParametersAreRefused() throws {
        let withRef = ChatRequest(
            model: "m",
            messages: [ChatMessage(role: .user, content: [.text("hi")])],
            tools: [ChatTool(name: "f", parameters: try JSONValue(parsing: ##"{"type":"object","properties":{"a":{"$ref":"#/$defs/A"}}}"##))]
        )
        let refError = #expect(throws: KeelError.self) { try GeminiChatDialect.encodeRequest(withRef, upstreamModel: "m") }
        #expect(refError?.message.contains("$ref") == true)

        let withLogprobs = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: [.text("hi")])], unsupportedParameters: ["logprobs"])
        let parameterError = #expect(throws: KeelError.self) { try GeminiChatDialect.encodeRequest(withLogprobs, upstreamModel: "m") }
        #expect(parameterError?.param == "logprobs")
    }

    @Test func theMethodPathEncodesTheModelAsOneSegment() {
        #expect(GeminiWire.methodPath(prefix: "", apiVersion: "v1beta", model: "gemini-2.5-flash", stream: false) == "/v1beta/models/gemini-2.5-flash:generateContent")
        #expect(
            GeminiWire.methodPath(prefix: "/proxy", apiVersion: "v1beta", model: "models/gemini-2.0-flash", stream: true)
                == "/proxy/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse"
        )
        #expect(GeminiWire.methodPath(prefix: "", apiVersion: "v1", model: "a b/c", stream: false) == "/v1/models/a%20b%2Fc:generateContent")
    }

    @Test func aFunctionCallsThoughtSignatureTravelsInItsIDAndComesBack() throws {
        let answer = try GeminiChatDialect.decodeResponse(
            ByteBuffer(string: #"{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"f","args":{"a":1}},"thoughtSignature":"c2lnbmF0dXJl"}]},"finishReason":"STOP"}]}"#)
        )
        guard case .toolCall(let call) = answer.content.first else {
            Issue.record("expected a tool call, got \(answer.content)")
            return
        }
        #expect(call.id.hasPrefix("call_") && call.id.hasSuffix("__thought__c2lnbmF0dXJl"))
        let request = ChatRequest(
            model: "m",
            messages: [
                ChatMessage(role: .user, content: [.text("go")]),
                ChatMessage(role: .assistant, content: [.toolCall(call)]),
                ChatMessage(role: .user, content: [.toolResult(ChatToolResult(toolCallID: call.id, content: [.text("ok")]))]),
            ]
        )
        let contents = try #require(try self.encoded(request)["contents"]?.array)
        #expect(
            try contents[1]["parts"]
                == JSONValue(parsing: #"[{"functionCall":{"name":"f","args":{"a":1}},"thoughtSignature":"c2lnbmF0dXJl"}]"#)
        )
        #expect(contents[2]["parts"]?.array?.first?["functionResponse"]?["name"] == .string("f"))
    }
}
