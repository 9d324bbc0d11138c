import KeelCore
import KeelProviders
import NIOCore
import Testing

@Suite struct ChatStreamTranslationTests {
    static let anthropicStreams = [
        "anthropic-messages-stream.sse", "anthropic-messages-stream-parallel-tools.sse", "anthropic-messages-stream-thinking.sse",
        "anthropic-messages-stream-error.sse",
    ]
    static let openAIStreams = [
        "openai-chat-stream.sse", "openai-chat-stream-parallel-tools.sse", "openai-chat-stream-refusal.sse", "openai-chat-stream-error.sse",
    ]

    // MARK: Decoding under any chunking

    @Test(arguments: Self.anthropicStreams, Chunking.allCases)
    func anthropicStreamDecodesTheSameUnderAnyChunking(_ fixture: String, _ chunking: Chunking) throws {
        let bytes = try UpstreamFixture.buffer(fixture)
        let whole = try decodeStream(AnthropicChatDialect.makeStreamDecoder(), [bytes])
        let split = try decodeStream(AnthropicChatDialect.makeStreamDecoder(), chunking.split(bytes))
        #expect(split.events == whole.events)
        #expect(split.isComplete == whole.isComplete)
        #expect(whole.isComplete == !fixture.hasSuffix("error.sse"))
    }

    @Test(arguments: Self.openAIStreams, Chunking.allCases)
    func openAIStreamDecodesTheSameUnderAnyChunking(_ fixture: String, _ chunking: Chunking) throws {
        let bytes = try UpstreamFixture.buffer(fixture)
        let whole = try decodeStream(OpenAIChatDialect.makeStreamDecoder(), [bytes])
        let split = try decodeStream(OpenAIChatDialect.makeStreamDecoder(), chunking.split(bytes))
        #expect(split.events == whole.events)
        #expect(split.isComplete == whole.isComplete)
        #expect(whole.isComplete == !fixture.hasSuffix("error.sse"))
    }

    @Test func anthropicPlainStreamDecodesEventByEvent() throws {
        let decoded = try decodeStream(AnthropicChatDialect.makeStreamDecoder(), [try UpstreamFixture.buffer("anthropic-messages-stream.sse")])
        #expect(
            decoded.events == [
                .start(id: "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY", model: "claude-sonnet-4-5-20250929"),
                .usage(TokenUsage(inputTokens: 25, outputTokens: 1)),
                .textDelta("Hello"),
                .textDelta("! How can I help?"),
                .stop(.endTurn, stopSequence: nil),
                .usage(TokenUsage(inputTokens: 25, outputTokens: 15)),
            ]
        )
        #expect(PriceCatalog.builtIn().cost(of: TokenUsage(inputTokens: 25, outputTokens: 15), model: "claude-sonnet-4-5-20250929") == USDNanos(300_000))
    }

    @Test func anthropicToolStreamMergesCumulativeUsageAndNumbersToolCalls() throws {
        let decoded = try decodeStream(AnthropicChatDialect.makeStreamDecoder(), [try UpstreamFixture.buffer("anthropic-messages-stream-parallel-tools.sse")])
        let summary = StreamSummary(decoded.events)
        #expect(summary.text == "Okay, let's check the weather and time for San Francisco, CA:")
        #expect(
            summary.toolCalls == [
                0: .init(id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "get_weather", arguments: #"{"location": "San Francisco, CA", "unit": "fahrenheit"}"#),
                1: .init(id: "toolu_01NRLabsLyVHZPKxbKvkfSMn", name: "get_time", arguments: #"{"timezone": "America/Los_Angeles"}"#),
            ]
        )
        #expect(summary.stopReason == .toolUse)
        let usage = TokenUsage(inputTokens: 1_496, outputTokens: 89, cachedInputTokens: 1_024)
        #expect(summary.usage == usage)
        #expect(PriceCatalog.builtIn().cost(of: usage, model: "claude-sonnet-4-5-20250929") == USDNanos(3_058_200))
    }

    @Test func openAIStreamDecodesEventByEvent() throws {
        let decoded = try decodeStream(OpenAIChatDialect.makeStreamDecoder(), [try UpstreamFixture.buffer("openai-chat-stream.sse")])
        let usage = TokenUsage(inputTokens: 1_200, outputTokens: 10, cachedInputTokens: 1_024)
        #expect(
            decoded.events == [
                .start(id: "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG", model: "gpt-4o-mini-2024-07-18"),
                .textDelta("Hello"),
                .textDelta("! How can I"),
                .textDelta(" help you today?"),
                .stop(.endTurn, stopSequence: nil),
                .usage(usage),
            ]
        )
        #expect(PriceCatalog.builtIn().cost(of: usage, model: "gpt-4o-mini-2024-07-18") == USDNanos(109_200))
    }

    @Test(arguments: [
        ("anthropic-messages-stream-error.sse", true, 529, "overloaded_error"),
        ("openai-chat-stream-error.sse", false, 502, "api_error"),
    ])
    func errorEventEndsTheStreamAsAnError(_ fixture: String, _ anthropic: Bool, _ status: Int, _ anthropicType: String) throws {
        let bytes = try UpstreamFixture.buffer(fixture)
        let decoded = anthropic
            ? try decodeStream(AnthropicChatDialect.makeStreamDecoder(), [bytes])
            : try decodeStream(OpenAIChatDialect.makeStreamDecoder(), [bytes])
        guard case .error(let error) = decoded.events.last else {
            Issue.record("the stream should end with an error, not \(String(describing: decoded.events.last))")
            return
        }
        #expect(error.httpStatus == status)
        #expect(error.anthropicType == anthropicType)
        #expect(error.isRetryable)
        #expect(!decoded.isComplete)
    }

    @Test func malformedEventIsABadResponse() {
        var decoder = AnthropicChatDialect.makeStreamDecoder()
        let error = keelError { () throws(KeelError) in _ = try decoder.decode(body("event: ping\ndata: {not json}\n\n")) }
        #expect(error?.metricLabel == "upstream_bad_response")
    }

    // MARK: Re-encoding into the other dialect

    @Test(arguments: Self.anthropicStreams)
    func anthropicStreamReEncodedForAnOpenAIClientSaysTheSame(_ fixture: String) throws {
        let original = try decodeStream(AnthropicChatDialect.makeStreamDecoder(), [try UpstreamFixture.buffer(fixture)])
        let request = ChatRequest(model: "claude-alias", messages: [], stream: true, streamUsage: true)
        let encoded = encodeStream(OpenAIChatDialect.makeStreamEncoder(for: request, model: "claude-alias"), original.events)
        for chunking in Chunking.allCases {
            let again = try decodeStream(OpenAIChatDialect.makeStreamDecoder(), chunking.split(encoded))
            let before = StreamSummary(original.events)
            let after = StreamSummary(again.events)
            #expect(after.text == before.text)
            #expect(after.thinking == before.thinking)
            #expect(after.signatures == before.signatures)
            #expect(after.toolCalls == before.toolCalls)
            #expect(after.stopReason == before.stopReason)
            // A broken stream ends with the error event; its usage is not final on either side.
            if original.isComplete { #expect(after.usage == before.usage) }
            #expect(after.errors.map(\.isRetryable) == before.errors.map(\.isRetryable))
            #expect(again.isComplete == original.isComplete)
            for call in after.toolCalls.values {
                #expect((try? JSONValue(parsing: call.arguments))?.isObject == true, "arguments \(call.arguments) are not a JSON object")
            }
        }
    }

    @Test(arguments: Self.openAIStreams)
    func openAIStreamReEncodedForAnAnthropicClientSaysTheSame(_ fixture: String) throws {
        let original = try decodeStream(OpenAIChatDialect.makeStreamDecoder(), [try UpstreamFixture.buffer(fixture)])
        let request = ChatRequest(model: "gpt-alias", messages: [], stream: true, streamUsage: true)
        let encoded = encodeStream(AnthropicChatDialect.makeStreamEncoder(for: request, model: "gpt-alias"), original.events)
        for chunking in Chunking.allCases {
            let again = try decodeStream(AnthropicChatDialect.makeStreamDecoder(), chunking.split(encoded))
            let before = StreamSummary(original.events)
            let after = StreamSummary(again.events)
            // Anthropic has no refusal delta: refusal text arrives as text, with stop reason `refusal`.
            #expect(after.text == before.text + before.refusal)
            #expect(after.toolCalls == before.toolCalls)
            #expect(after.stopReason == before.stopReason)
            if original.isComplete { #expect(after.usage == before.usage) }
            #expect(after.errors.map(\.isRetryable) == before.errors.map(\.isRetryable))
            #expect(again.isComplete == original.isComplete)
            #expect(after.id == before.id)
        }
    }

    // MARK: The client streams' exact shape

    @Test func openAIClientStreamHasRealChunksAndUsageOnlyWhenAsked() throws {
        let original = try decodeStream(AnthropicChatDialect.makeStreamDecoder(), [try UpstreamFixture.buffer("anthropic-messages-stream-parallel-tools.sse")])
        for includeUsage in [true, false] {
            let request = ChatRequest(model: "m", messages: [], stream: true, streamUsage: includeUsage)
            let events = sseData(encodeStream(OpenAIChatDialect.makeStreamEncoder(for: request, model: "claude-alias"), original.events))
            #expect(events.last?.data == "[DONE]")
            let chunks = try events.dropLast().map { try JSONValue(parsing: $0.data) }
            #expect(chunks.allSatisfy { $0["object"] == .string("chat.completion.chunk") && $0["model"] == .string("claude-alias") })
            #expect(chunks.allSatisfy { $0["id"] == .string("msg_014p7gG3wDgGV9EUtLvnow3U") })
            #expect(chunks.first?["choices"]?.array?.first?["delta"]?["role"] == .string("assistant"))
            let toolStarts = chunks.compactMap { $0["choices"]?.array?.first?["delta"]?["tool_calls"]?.array?.first }.filter { $0["id"] != nil }
            #expect(toolStarts.map { $0["index"] } == [.int(0), .int(1)])
            #expect(toolStarts.map { $0["type"] } == [.string("function"), .string("function")])
            #expect(toolStarts.map { $0["function"]?["name"] } == [.string("get_weather"), .string("get_time")])
            let finishes = chunks.compactMap { $0["choices"]?.array?.first?["finish_reason"]?.string }
            #expect(finishes == ["tool_calls"])
            if includeUsage {
                let usageChunk = try #require(chunks.last)
                #expect(usageChunk["choices"] == .array([]))
                #expect(usageChunk["usage"]?["prompt_tokens"] == .int(1_496))
                #expect(usageChunk["usage"]?["prompt_tokens_details"]?["cached_tokens"] == .int(1_024))
                #expect(usageChunk["usage"]?["completion_tokens"] == .int(89))
                #expect(chunks.dropLast().allSatisfy { $0["usage"] == .null })
            } else {
                #expect(chunks.allSatisfy { $0["usage"] == nil && $0["choices"]?.array?.isEmpty == false })
            }
        }
    }

    @Test func anthropicClientStreamCarriesTheExactUsageInMessageDelta() throws {
        let original = try decodeStream(OpenAIChatDialect.makeStreamDecoder(), [try UpstreamFixture.buffer("openai-chat-stream-parallel-tools.sse")])
        let request = ChatRequest(model: "m", messages: [], stream: true)
        let events = sseData(encodeStream(AnthropicChatDialect.makeStreamEncoder(for: request, model: "gpt-alias"), original.events))
        #expect(
            events.map(\.event) == [
                "message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop",
            ]
        )
        let payloads = try events.map { try JSONValue(parsing: $0.data) }
        #expect(zip(payloads, events).allSatisfy { $0.0["type"]?.string == $0.1.event })
        #expect(payloads[0]["message"]?["model"] == .string("gpt-alias"))
        #expect(payloads[1]["content_block"]?["type"] == .string("tool_use"))
        #expect(payloads[1]["content_block"]?["id"] == .string("call_DdmO9pD3xa9XTPNJ32zg2hcA"))
        #expect(payloads[3]["delta"]?["type"] == .string("input_json_delta"))
        #expect(payloads[6]["index"] == .int(1))
        let delta = payloads[10]
        #expect(delta["delta"]?["stop_reason"] == .string("tool_use"))
        #expect(delta["usage"]?["input_tokens"] == .int(82))
        #expect(delta["usage"]?["output_tokens"] == .int(49))
        #expect(delta["usage"]?["cache_read_input_tokens"] == .int(0))
    }

    @Test func anthropicClientStreamClosesABlockWhenTheKindChanges() throws {
        var encoder = AnthropicChatDialect.makeStreamEncoder(for: ChatRequest(model: "m", messages: []), model: "m")
        var output = ByteBuffer()
        for event: ChatStreamEvent in [
            .start(id: "chatcmpl-1", model: "x"), .thinkingDelta("hmm"), .thinkingSignature("sig"), .textDelta("a"), .textDelta("b"),
            .stop(.stopSequence, stopSequence: "END"), .usage(TokenUsage(inputTokens: 10, outputTokens: 2)),
        ] {
            encoder.encode(event, into: &output)
        }
        encoder.finish(into: &output)
        let events = sseData(output)
        #expect(
            events.map(\.event) == [
                "message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop",
            ]
        )
        let payloads = try events.map { try JSONValue(parsing: $0.data) }
        #expect(payloads[4]["delta"] == .object(["type": .string("signature_delta"), "signature": .string("sig")]))
        #expect(payloads[10]["delta"] == .object(["stop_reason": .string("stop_sequence"), "stop_sequence": .string("END")]))
    }

    @Test func failWritesEachDialectsErrorEvent() throws {
        let error = KeelError.upstreamUnavailable(status: 529, "The upstream provider is overloaded.")
        var anthropic = AnthropicChatDialect.makeStreamEncoder(for: ChatRequest(model: "m", messages: []), model: "m")
        var output = ByteBuffer()
        anthropic.fail(error, into: &output)
        #expect(String(buffer: output) == "event: error\ndata: " + error.anthropicBody + "\n\n")
        #expect(try JSONValue(parsing: error.anthropicBody)["error"]?["type"] == .string("overloaded_error"))
        var openAI = OpenAIChatDialect.makeStreamEncoder(for: ChatRequest(model: "m", messages: []), model: "m")
        output.clear()
        openAI.fail(error, into: &output)
        #expect(String(buffer: output) == "data: " + error.openAIBody + "\n\n")
    }

    @Test func toolCallWithoutArgumentsGetsAnEmptyObject() throws {
        var encoder = OpenAIChatDialect.makeStreamEncoder(for: ChatRequest(model: "m", messages: []), model: "m")
        var output = ByteBuffer()
        for event: ChatStreamEvent in [.start(id: "msg_1", model: "c"), .toolCallStart(index: 0, id: "toolu_1", name: "now"), .stop(.toolUse, stopSequence: nil)] {
            encoder.encode(event, into: &output)
        }
        encoder.finish(into: &output)
        let decoded = try decodeStream(OpenAIChatDialect.makeStreamDecoder(), [output])
        #expect(StreamSummary(decoded.events).toolCalls == [0: .init(id: "toolu_1", name: "now", arguments: "{}")])
    }
}

@Suite struct AnthropicStreamObserverTests {
    @Test(arguments: Chunking.allCases)
    func observerForwardsBytesUnchangedAndReadsTheRecord(_ chunking: Chunking) throws {
        let bytes = try UpstreamFixture.buffer("anthropic-messages-stream-parallel-tools.sse")
        var observer = AnthropicStreamObserver()
        var forwarded = ByteBuffer()
        var contentAfterChunk: Int?
        for (position, chunk) in chunking.split(bytes).enumerated() {
            var out = observer.process(chunk)
            // Only whole lines go out: a cut between two chunks never leaves half a line with
            // the client.
            #expect(out.readableBytes == 0 || out.getInteger(at: out.writerIndex - 1, as: UInt8.self) == UInt8(ascii: "\n"))
            forwarded.writeBuffer(&out)
            if contentAfterChunk == nil && observer.accounting.sawContent { contentAfterChunk = position }
        }
        #expect(forwarded == bytes)
        #expect(observer.accounting.usage == TokenUsage(inputTokens: 1_496, outputTokens: 89, cachedInputTokens: 1_024))
        #expect(observer.accounting.finishReason == "tool_use")
        #expect(observer.accounting.isComplete)
        #expect(contentAfterChunk != nil)
    }

    @Test func observerSeesAnErrorEventAsIncomplete() throws {
        var observer = AnthropicStreamObserver()
        _ = observer.process(try UpstreamFixture.buffer("anthropic-messages-stream-error.sse"))
        #expect(observer.accounting.sawErrorEvent)
        #expect(observer.accounting.sawContent)
        #expect(!observer.accounting.isComplete)
        #expect(observer.accounting.usage == TokenUsage(inputTokens: 25, outputTokens: 1))
    }

    @Test func observerTakesStartUsageWhenTheDeltaReportsOnlyOutput() throws {
        var observer = AnthropicStreamObserver()
        _ = observer.process(try UpstreamFixture.buffer("anthropic-messages-stream.sse"))
        #expect(observer.accounting.usage == TokenUsage(inputTokens: 25, outputTokens: 15))
        #expect(observer.accounting.isComplete)
    }
}
