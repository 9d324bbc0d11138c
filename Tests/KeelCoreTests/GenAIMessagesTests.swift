import KeelCore
import Testing

@Suite("GenAI messages and answer transcripts")
struct GenAIMessagesTests {
    @Test func aBudgetCutsOnACharacterBoundaryAndCountsWhatItKeeps() {
        var budget = GenAIMessages.Budget(bytes: 5)
        #expect(budget.take("ab") == "ab")
        #expect(budget.remaining == 3)
        #expect(budget.take("€x") == "€", "€ is three bytes: it fits, the x does not")
        #expect(budget.truncated)
        #expect(budget.take("more") == "")

        var emoji = GenAIMessages.Budget(bytes: 3)
        #expect(emoji.take("🙂") == "", "a four-byte character is not split")
        var whole = GenAIMessages.Budget(bytes: 4)
        #expect(whole.takeWhole("abcd") && whole.remaining == 0 && !whole.truncated)
        #expect(!whole.takeWhole("e") && whole.truncated)
    }

    @Test func theInputSplitsToolResultsIntoAToolMessageAndKeepsImagesAsTypedParts() {
        let request = ChatRequest(
            model: "m",
            system: [.text("Be brief.")],
            messages: [
                ChatMessage(role: .user, content: [.text("Look:"), .image(.url("https://example.com/a.png"))]),
                ChatMessage(
                    role: .assistant,
                    content: [.toolCall(ChatToolCall(id: "c1", name: "zoom", arguments: #"{"level": 2}"#))]
                ),
                ChatMessage(
                    role: .user,
                    content: [
                        .toolResult(ChatToolResult(toolCallID: "c1", content: [.text("zoomed")], isError: true)),
                        .image(.base64(mediaType: "image/png", data: "iVBORw0KGgo=")),
                    ]
                ),
            ]
        )
        var budget = GenAIMessages.Budget(bytes: 1_000)
        #expect(
            GenAIMessages.systemInstructions(request, budget: &budget) == #"[{"type":"text","content":"Be brief."}]"#
        )
        #expect(
            GenAIMessages.inputMessages(request, budget: &budget)
                == #"[{"role":"user","parts":[{"type":"text","content":"Look:"},{"type":"uri","modality":"image","uri":"https://example.com/a.png"}]},"#
                + #"{"role":"assistant","parts":[{"type":"tool_call","id":"c1","name":"zoom","arguments":{"level":2}}]},"#
                + #"{"role":"tool","parts":[{"type":"tool_call_response","id":"c1","response":"zoomed","is_error":true}]},"#
                + #"{"role":"user","parts":[{"type":"blob","modality":"image","mime_type":"image/png","content":"iVBORw0KGgo="}]}]"#
        )
        #expect(!budget.truncated)

        var small = GenAIMessages.Budget(bytes: 8)
        let cut = GenAIMessages.inputMessages(request, budget: &small)
        #expect(cut.contains(#""content":"Look:""#) && cut.contains(#""uri":"htt""#))
        #expect(cut.contains(#""mime_type":"image/png"}"#), "the image data that does not fit is left out")
        #expect(cut.contains(#""arguments":"""#), "arguments that do not fit are cut as text")
        #expect(small.truncated)
        #expect((try? JSONValue(parsing: cut)) != nil, "still valid JSON")
    }

    @Test func aTranscriptJoinsDeltasByKindAndToolCallsByIndex() {
        var transcript = ChatAnswerTranscript(limit: 1_000)
        #expect(transcript.isEmpty)
        let events: [ChatStreamEvent] = [
            .start(id: "a", model: "m"),
            .thinkingDelta("Let me "), .thinkingDelta("think."), .thinkingSignature("sig"),
            .textDelta("Calling "), .textDelta("tools."),
            .toolCallStart(index: 0, id: "c0", name: "one"),
            .toolCallStart(index: 1, id: "c1", name: "two"),
            .toolCallArgumentsDelta(index: 1, #"{"b":"#), .toolCallArgumentsDelta(index: 0, #"{"a":1}"#),
            .toolCallArgumentsDelta(index: 1, "2}"),
            .usage(.zero), .stop(.toolUse, stopSequence: nil),
        ]
        for event in events { transcript.add(event) }
        #expect(
            transcript.content == [
                .thinking(ChatThinking(text: "Let me think.", signature: "sig")),
                .text("Calling tools."),
                .toolCall(ChatToolCall(id: "c0", name: "one", arguments: #"{"a":1}"#)),
                .toolCall(ChatToolCall(id: "c1", name: "two", arguments: #"{"b":2}"#)),
            ]
        )
        #expect(transcript.stopReason == .toolUse && !transcript.truncated)
        var budget = GenAIMessages.Budget(bytes: 1_000)
        let output = GenAIMessages.outputMessages(
            transcript.content,
            finishReason: GenAIMessages.finishReason(transcript.stopReason),
            budget: &budget
        )
        #expect(output.hasSuffix(#""finish_reason":"tool_call"}]"#))
        #expect(output.contains(#"{"type":"reasoning","content":"Let me think."}"#))
    }

    @Test func aTranscriptKeepsAtMostItsLimit() {
        var transcript = ChatAnswerTranscript(limit: 6)
        transcript.add(.textDelta("abcd"))
        transcript.add(.textDelta("efgh"))
        transcript.add(.textDelta("ijkl"))
        #expect(transcript.content == [.text("abcdef")])
        #expect(transcript.truncated)

        var complete = ChatAnswerTranscript(limit: 100)
        complete.add(
            ChatResponse(
                id: "r",
                model: "m",
                content: [.text("Hi"), .toolCall(ChatToolCall(id: "t", name: "f", arguments: "{}"))],
                stopReason: .maxTokens,
                usage: .zero
            )
        )
        #expect(complete.content == [.text("Hi"), .toolCall(ChatToolCall(id: "t", name: "f", arguments: "{}"))])
        #expect(GenAIMessages.finishReason(complete.stopReason) == "length")
        #expect(GenAIMessages.finishReason(nil) == "error")
    }
}
