import KeelCore
import NIOCore
import Testing

@testable import KeelProviders

@Suite("Bedrock stream decoder")
struct BedrockStreamingTests {
    private func decode(_ fixture: String, _ chunking: Chunking) throws -> (events: [ChatStreamEvent], complete: Bool) {
        var decoder = BedrockChatDialect.makeStreamDecoder()
        var events: [ChatStreamEvent] = []
        for chunk in chunking.split(try UpstreamFixture.buffer(fixture)) {
            events += try decoder.decode(chunk)
        }
        return (normalizingGeneratedIDs(events, startID: true, toolIDs: false), decoder.isComplete)
    }

    @Test(arguments: Chunking.allCases)
    func toolUseStreamGivesTextToolCallsStopAndUsage(chunking: Chunking) throws {
        let (events, complete) = try self.decode("bedrock-converse-stream-tool-use.bin", chunking)
        let usage = TokenUsage(inputTokens: 4_493, outputTokens: 88, cachedInputTokens: 4_096)
        #expect(
            events == [
                .start(id: "<generated>", model: ""),
                .textDelta("I'll check "),
                .textDelta("the weather."),
                .toolCallStart(index: 0, id: "tooluse_1", name: "get_weather"),
                .toolCallArgumentsDelta(index: 0, #"{"location": "#),
                .toolCallArgumentsDelta(index: 0, #""Seattle, WA"}"#),
                .toolCallStart(index: 1, id: "tooluse_2", name: "get_time"),
                .toolCallArgumentsDelta(index: 1, #"{"timezone": "America/Los_Angeles"}"#),
                .stop(.toolUse, stopSequence: nil),
                .usage(usage),
            ]
        )
        #expect(complete)
        let prices = PriceCatalog(prices: ["anthropic.claude-3-5-haiku": ModelPrice(usd: "0.80", "4.00", cached: "0.08", write: "1.00")])
        // 397 × $0.80/M + 4,096 × $0.08/M + 88 × $4/M
        #expect(prices.cost(of: usage, model: "anthropic.claude-3-5-haiku-20241022-v1:0") == USDNanos(317_600 + 327_680 + 352_000))
    }

    @Test(arguments: Chunking.allCases)
    func reasoningAndTextStream(chunking: Chunking) throws {
        let (events, complete) = try self.decode("bedrock-converse-stream-plain.bin", chunking)
        #expect(
            events == [
                .start(id: "<generated>", model: ""),
                .thinkingDelta("Simple greeting."),
                .thinkingSignature("EqoBsig"),
                .textDelta("Hello"),
                .textDelta("! Grüße 👋"),
                .stop(.endTurn, stopSequence: nil),
                .usage(TokenUsage(inputTokens: 12, outputTokens: 10)),
            ]
        )
        #expect(complete)
    }

    @Test(arguments: Chunking.allCases)
    func aThrottlingExceptionEndsTheStreamRateLimited(chunking: Chunking) throws {
        let (events, complete) = try self.decode("bedrock-converse-stream-throttled.bin", chunking)
        #expect(events.count == 2)
        guard case .error(let error) = events.last else {
            Issue.record("expected an error, got \(events)")
            return
        }
        #expect(error.metricLabel == "upstream_rate_limited")
        #expect(complete)
    }

    @Test func metadataBeforeMessageStopDoesNotComplete() throws {
        var decoder = BedrockStreamDecoder()
        let usage = try decoder.decode(EventStreamFrame.event("metadata", #"{"usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3}}"#))
        #expect(usage == [.usage(TokenUsage(inputTokens: 1, outputTokens: 2))])
        #expect(!decoder.isComplete)
        _ = try decoder.decode(EventStreamFrame.event("messageStop", #"{"stopReason":"end_turn"}"#))
        #expect(!decoder.isComplete)
        _ = try decoder.decode(EventStreamFrame.event("metadata", #"{"usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3}}"#))
        #expect(decoder.isComplete)
    }

    @Test func toolInputForAnUnstartedBlockIsABadResponse() {
        var decoder = BedrockStreamDecoder()
        let error = #expect(throws: KeelError.self) {
            try decoder.decode(EventStreamFrame.event("contentBlockDelta", #"{"contentBlockIndex":3,"delta":{"toolUse":{"input":"{}"}}}"#))
        }
        #expect(error?.metricLabel == "upstream_bad_response")
    }
}

@Suite("AWS event-stream framing")
struct AWSEventStreamDecoderTests {
    @Test func crc32MatchesTheIEEECheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
    }

    @Test func decodesStringHeadersAndSkipsTheOthers() throws {
        // The third message of the tool-use fixture carries int32, bytes and boolean headers too.
        var decoder = AWSEventStreamDecoder()
        let messages = try decoder.messages(from: try UpstreamFixture.buffer("bedrock-converse-stream-tool-use.bin"))
        #expect(messages.count == 13)
        let start = messages[4]
        #expect(start.headers == [":event-type": "contentBlockStart", ":content-type": "application/json", ":message-type": "event"])
        #expect(String(buffer: start.payload).hasPrefix(#"{"contentBlockIndex":1,"start""#))
        #expect(!decoder.hasPartialMessage)
    }

    @Test func aCorruptPayloadFailsTheMessageChecksum() throws {
        var bytes = Array(try UpstreamFixture.buffer("bedrock-converse-stream-plain.bin").readableBytesView)
        let firstLength = Int(UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3]))
        bytes[firstLength - 10] ^= 0x01
        var decoder = AWSEventStreamDecoder()
        #expect(throws: AWSEventStreamDecoder.FramingError.messageChecksumMismatch) { try decoder.messages(from: ByteBuffer(bytes: bytes)) }
        var streamDecoder = BedrockStreamDecoder()
        let error = #expect(throws: KeelError.self) { try streamDecoder.decode(ByteBuffer(bytes: bytes)) }
        #expect(error?.metricLabel == "upstream_bad_response")
    }

    @Test func aCorruptPreludeFailsBeforeTheMessageIsComplete() throws {
        var bytes = Array(try UpstreamFixture.buffer("bedrock-converse-stream-plain.bin").readableBytesView)
        bytes[5] ^= 0x40  // headers length
        var decoder = AWSEventStreamDecoder()
        #expect(throws: AWSEventStreamDecoder.FramingError.preludeChecksumMismatch) { try decoder.messages(from: ByteBuffer(bytes: bytes.prefix(12))) }
    }

    @Test func aPartialMessageWaitsForItsEnd() throws {
        let frame = EventStreamFrame.event("messageStart", #"{"role":"assistant"}"#)
        var decoder = AWSEventStreamDecoder()
        #expect(try decoder.messages(from: frame.getSlice(at: 0, length: 20)!).isEmpty)
        #expect(decoder.hasPartialMessage)
        let messages = try decoder.messages(from: frame.getSlice(at: 20, length: frame.readableBytes - 20)!)
        #expect(messages.map { String(buffer: $0.payload) } == [#"{"role":"assistant"}"#])
    }
}

/// Builds single event-stream messages for the tests that need one frame (the fixtures are built
/// by `Fixtures/make-bedrock-event-streams.py`, with zlib's CRC32).
enum EventStreamFrame {
    static func event(_ type: String, _ payload: String) -> ByteBuffer {
        var headers: [UInt8] = []
        for (name, value) in [(":event-type", type), (":content-type", "application/json"), (":message-type", "event")] {
            headers.append(UInt8(name.utf8.count))
            headers += name.utf8
            headers.append(7)
            headers += [UInt8(value.utf8.count >> 8), UInt8(value.utf8.count & 0xFF)]
            headers += value.utf8
        }
        let total = 16 + headers.count + payload.utf8.count
        var message: [UInt8] = []
        func append(_ value: UInt32) { message += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
        append(UInt32(total))
        append(UInt32(headers.count))
        append(CRC32.checksum(message))
        message += headers
        message += payload.utf8
        append(CRC32.checksum(message))
        return ByteBuffer(bytes: message)
    }
}
