import KeelCore
import NIOCore
import Testing

@testable import KeelProviders

@Suite("Gemini stream decoder")
struct GeminiStreamingTests {
    private func decode(_ fixture: String, _ chunking: Chunking) throws -> (events: [ChatStreamEvent], complete: Bool) {
        var decoder = GeminiChatDialect.makeStreamDecoder()
        var events: [ChatStreamEvent] = []
        for chunk in chunking.split(try UpstreamFixture.buffer(fixture)) {
            events += try decoder.decode(chunk)
        }
        return (normalizingGeneratedIDs(events, startID: false, toolIDs: true), decoder.isComplete)
    }

    @Test(arguments: Chunking.allCases)
    func plainStreamGivesDeltasThenStopThenUsage(chunking: Chunking) throws {
        let (events, complete) = try self.decode("gemini-stream-generate-content-plain.sse", chunking)
        #expect(
            events == [
                .start(id: "stream-plain-1", model: "gemini-2.0-flash"),
                .textDelta("The sky"),
                .textDelta(" is blue because of Rayleigh"),
                .textDelta(" scattering. ✨"),
                .stop(.endTurn, stopSequence: nil),
                .usage(TokenUsage(inputTokens: 6, outputTokens: 11)),
            ]
        )
        #expect(complete)
    }

    @Test(arguments: Chunking.allCases)
    func wholeFunctionCallsBecomeAStartAndOneArgumentsDelta(chunking: Chunking) throws {
        let (events, complete) = try self.decode("gemini-stream-generate-content-parallel-tools.sse", chunking)
        #expect(
            events == [
                .start(id: "stream-tools-1", model: "gemini-2.5-pro"),
                .toolCallStart(index: 0, id: "<generated-0>", name: "get_weather"),
                .toolCallArgumentsDelta(index: 0, #"{"location":"Paris"}"#),
                .toolCallStart(index: 1, id: "<generated-1>", name: "get_time"),
                .toolCallArgumentsDelta(index: 1, #"{"timezone":"Europe/Paris"}"#),
                .stop(.toolUse, stopSequence: nil),
                .usage(TokenUsage(inputTokens: 120, outputTokens: 30)),
            ]
        )
        #expect(complete)
    }

    @Test(arguments: Chunking.allCases)
    func thoughtsStreamAsThinkingAndUsageCountsThem(chunking: Chunking) throws {
        let (events, complete) = try self.decode("gemini-stream-generate-content-reasoning.sse", chunking)
        #expect(
            events == [
                .start(id: "stream-reasoning-1", model: "gemini-2.5-flash"),
                .thinkingDelta("**Counting the primes**\n\n"),
                .thinkingDelta("2, 3, 5, 7, 11, 13, 17, 19."),
                .textDelta("There are 8 prime numbers below 20."),
                .stop(.endTurn, stopSequence: nil),
                .usage(TokenUsage(inputTokens: 12, outputTokens: 335, reasoningTokens: 310)),
            ]
        )
        #expect(complete)
        let usage = TokenUsage(inputTokens: 12, outputTokens: 335, reasoningTokens: 310)
        #expect(PriceCatalog.builtIn().cost(of: usage, model: "gemini-2.5-flash") == USDNanos(841_100))
    }

    @Test(arguments: Chunking.allCases)
    func anErrorEventEndsTheStream(chunking: Chunking) throws {
        let (events, complete) = try self.decode("gemini-stream-generate-content-error.sse", chunking)
        #expect(events.count == 3)
        #expect(events.prefix(2) == [.start(id: "stream-error-1", model: "gemini-2.0-flash"), .textDelta("Partial")])
        guard case .error(let error) = events.last else {
            Issue.record("expected an error event, got \(events)")
            return
        }
        #expect(error.metricLabel == "upstream_unavailable")
        #expect(complete)
    }

    @Test func aStreamWithoutAFinishReasonIsNotComplete() throws {
        var decoder = GeminiStreamDecoder()
        let events = try decoder.decode(ByteBuffer(string: "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}]}\n\n"))
        #expect(events.count == 2)
        #expect(!decoder.isComplete)
    }

    @Test func malformedEventDataThrowsBadResponse() {
        var decoder = GeminiStreamDecoder()
        let error = #expect(throws: KeelError.self) { try decoder.decode(ByteBuffer(string: "data: {not json\n\n")) }
        #expect(error?.metricLabel == "upstream_bad_response")
    }
}
