import KeelCore
import KeelProviders
import NIOCore
import Testing

@Suite("OpenAIStreamObserver")
struct OpenAIStreamObserverTests {
    static let stream = [
        #"data: {"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}"#,
        "",
        #"data: {"id":"c","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":null}"#,
        "",
        #"data: {"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}"#,
        "",
        #"data: {"id":"c","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":2,"total_tokens":13,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":1}}}"#,
        "",
        "data: [DONE]",
        "",
        "",
    ].joined(separator: "\n")

    /// Feeds the stream in chunks of `size` bytes and returns what was forwarded.
    static func run(chunkSize size: Int, dropUsage: Bool) -> (String, StreamAccounting) {
        var observer = OpenAIStreamObserver(dropUsageEvent: dropUsage)
        let bytes = Array(Self.stream.utf8)
        var output = ""
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + size)
            output += String(buffer: observer.process(ByteBuffer(bytes: bytes[offset..<end])))
            offset = end
        }
        return (output, observer.accounting)
    }

    @Test(arguments: [1, 7, 64, 100_000])
    func usageIsReadExactlyWhateverTheChunking(chunkSize: Int) {
        let (output, accounting) = Self.run(chunkSize: chunkSize, dropUsage: false)
        #expect(output == Self.stream)
        #expect(accounting.usage == TokenUsage(inputTokens: 11, outputTokens: 2, cachedInputTokens: 4, reasoningTokens: 1))
        #expect(accounting.sawContent && accounting.sawTerminator && accounting.finishReason == "stop")
        #expect(accounting.isComplete)
    }

    @Test(arguments: [1, 7, 64, 100_000])
    func theUsageEventIsDroppedWhenTheClientDidNotAskForIt(chunkSize: Int) {
        let (output, accounting) = Self.run(chunkSize: chunkSize, dropUsage: true)
        #expect(!output.contains("prompt_tokens"))
        #expect(output.contains(#"data: [DONE]"#))
        #expect(output.contains(#""content":"Hi""#))
        #expect(accounting.usage?.inputTokens == 11)
    }

    @Test func malformedAndErrorEventsAreNoticed() {
        var observer = OpenAIStreamObserver(dropUsageEvent: false)
        _ = observer.process(ByteBuffer(string: "data: {\"choices\":[{\"delta\":\n\n"))
        #expect(observer.accounting.sawMalformedEvent)
        var other = OpenAIStreamObserver(dropUsageEvent: false)
        _ = other.process(ByteBuffer(string: "data: {\"error\":{\"message\":\"boom\"}}\n\n"))
        #expect(other.accounting.sawErrorEvent && !other.accounting.isComplete)
    }
}
