import KeelCore
import Testing

@Suite("Continuation requests")
struct ChatRequestContinuationTests {
    static let request = ChatRequest(
        model: "m",
        system: [.text(ChatText("be brief"))],
        messages: [ChatMessage(role: .user, content: [.text(ChatText("tides?"))])],
        maxTokens: 100,
        stream: false
    )

    @Test func aPrefillIsOneTrailingAssistantTurnWithoutTrailingWhitespace() {
        let continuation = Self.request.continuation(of: "The moon pulls \n", partialTokens: 3, asPrefill: true)
        #expect(continuation.messages.count == 2)
        #expect(
            continuation.messages.last == ChatMessage(role: .assistant, content: [.text(ChatText("The moon pulls"))])
        )
        #expect(continuation.system == Self.request.system)
        #expect(continuation.stream)
        #expect(continuation.maxTokens == 97)
    }

    @Test func withoutPrefillThePartialAnswerIsFollowedByTheContinueInstruction() {
        let continuation = Self.request.continuation(of: "The moon pulls ", partialTokens: 500, asPrefill: false)
        #expect(continuation.messages.count == 3)
        #expect(
            continuation.messages[1] == ChatMessage(role: .assistant, content: [.text(ChatText("The moon pulls "))])
        )
        #expect(
            continuation.messages[2]
                == ChatMessage(role: .user, content: [.text(ChatText(ChatRequest.continueInstruction))])
        )
        #expect(continuation.maxTokens == 1, "never below one token")
    }
}
