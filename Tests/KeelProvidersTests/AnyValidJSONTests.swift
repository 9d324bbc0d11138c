import Foundation
import KeelCore
import KeelProviders
import NIOCore
import Testing

/// One event of a hand-written SSE fixture.
struct FixtureEvent {
    var name: String?
    var data: String
}

/// The fixtures of every dialect, read back after being written as other servers write JSON and
/// SSE (``JSONRespeller``, `data:` with and without a space, CRLF or CR line ends, comments,
/// `id:` and `retry:` lines, data split over several `data:` lines): the gateway must see exactly
/// what it sees in the compact original.
enum RespelledFixture {
    /// The events of a fixture, its comment lines left out.
    static func events(_ name: String) throws -> [FixtureEvent] {
        let text = String(decoding: try UpstreamFixture.data(name), as: UTF8.self)
        var events: [FixtureEvent] = []
        for block in text.components(separatedBy: "\n\n") {
            var event = FixtureEvent(name: nil, data: "")
            var hasData = false
            for line in block.split(separator: "\n", omittingEmptySubsequences: true) {
                if line.hasPrefix("event:") { event.name = line.dropFirst(6).trimmingCharacters(in: .whitespaces) }
                if line.hasPrefix("data:") {
                    var value = line.dropFirst(5)
                    if value.first == " " { value = value.dropFirst() }
                    event.data += (hasData ? "\n" : "") + value
                    hasData = true
                }
            }
            if hasData { events.append(event) }
        }
        return events
    }

    /// `events` written again as another server might, deterministically for `seed`.
    static func stream(_ events: [FixtureEvent], seed: UInt64) -> String {
        var generator = SplitMix64(seed: seed)
        var respeller = JSONRespeller(seed: seed &* 31, carriageReturns: false)
        let lineEnd = ["\n", "\r\n", "\r"][Int(generator.next() % 3)]
        let space = generator.next() % 2 == 0 ? " " : ""
        var text = generator.next() % 4 == 0 ? "\u{FEFF}" : ""
        text += ": written by seed \(seed)" + lineEnd + lineEnd
        for (number, event) in events.enumerated() {
            if generator.next() % 3 == 0 { text += ": keep-alive" + lineEnd }
            if generator.next() % 4 == 0 { text += "id: \(number)" + lineEnd }
            if generator.next() % 8 == 0 { text += "retry: 3000" + lineEnd }
            if let name = event.name { text += "event:" + space + name + lineEnd }
            let data = (try? JSONValue(parsing: event.data, maxDepth: 128)).map { respeller.respell($0) } ?? event.data
            for line in data.split(separator: "\n", omittingEmptySubsequences: false) {
                text += "data:" + space + line + lineEnd
            }
            text += lineEnd
        }
        return text
    }

    /// `bytes` cut into pieces of 1 to 97 bytes, deterministically for `seed`.
    static func chunks(_ text: String, seed: UInt64) -> [ByteBuffer] {
        Self.chunks(bytes: Array(text.utf8), seed: seed)
    }

    static func chunks(bytes: [UInt8], seed: UInt64) -> [ByteBuffer] {
        var generator = SplitMix64(seed: seed ^ 0x5EED)
        var chunks: [ByteBuffer] = []
        var offset = 0
        while offset < bytes.count {
            let size = min(bytes.count - offset, Int(generator.next() % 97) + 1)
            chunks.append(ByteBuffer(bytes: bytes[offset..<(offset + size)]))
            offset += size
        }
        return chunks
    }
}

/// What a client reads from a stream, with generated ids and the spelling of tool arguments
/// taken out (an upstream's own spelling of its arguments is passed on as it is).
func clientView(_ events: [ChatStreamEvent]) -> String {
    var summary = StreamSummary(normalizingGeneratedIDs(events, startID: true, toolIDs: true))
    summary.id = nil
    let tools = summary.toolCalls.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value.id):\($0.value.name):\(semanticJSONText($0.value.arguments))" }
    summary.toolCalls = [:]
    return "\(summary) errors=\(summary.errors) thinking=\(summary.thinking) signatures=\(summary.signatures) refusal=\(summary.refusal) stopSequence=\(String(describing: summary.stopSequence)) tools=\(tools)"
}

@Suite("Any valid JSON is read as its compact original")
struct AnyValidJSONTests {
    static let seeds: [UInt64] = Array(1...25)

    static func fixtures(_ prefix: String, _ suffix: String) -> [String] {
        let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(suffix) }.sorted()
    }

    static func observeOpenAI(_ chunks: [ByteBuffer], dropUsage: Bool) -> (StreamAccounting, String) {
        var observer = OpenAIStreamObserver(dropUsageEvent: dropUsage)
        var output = ""
        for chunk in chunks { output += String(buffer: observer.process(chunk)) }
        output += String(buffer: observer.end())
        return (observer.accounting, output)
    }

    static func observeAnthropic(_ chunks: [ByteBuffer]) -> (StreamAccounting, String) {
        var observer = AnthropicStreamObserver()
        var output = ""
        for chunk in chunks { output += String(buffer: observer.process(chunk)) }
        output += String(buffer: observer.end())
        return (observer.accounting, output)
    }

    static func decode<Decoder: ChatStreamDecoder>(_ decoder: Decoder, _ text: String) throws -> (String, Bool) {
        let (events, complete) = try decodeStream(decoder, RespelledFixture.chunks(text, seed: 7))
        return (clientView(events), complete)
    }

    @Test(arguments: fixtures("openai-chat-stream", ".sse"))
    func openAIPassThroughForwardsEverySpellingAsIsAndAccountsAlike(fixture: String) throws {
        let original = String(decoding: try UpstreamFixture.data(fixture), as: UTF8.self)
        let events = try RespelledFixture.events(fixture)
        for dropUsage in [false, true] {
            let (expected, expectedForward) = Self.observeOpenAI([ByteBuffer(string: original)], dropUsage: dropUsage)
            let expectedView = try Self.decode(OpenAIChatDialect.makeStreamDecoder(), expectedForward)
            for seed in Self.seeds {
                let text = RespelledFixture.stream(events, seed: seed)
                let (accounting, forwarded) = Self.observeOpenAI(RespelledFixture.chunks(text, seed: seed), dropUsage: dropUsage)
                #expect(accounting == expected, "seed \(seed), dropUsage \(dropUsage)")
                if !dropUsage { #expect(forwarded == text, "pass-through is byte for byte (seed \(seed))") }
                #expect(try Self.decode(OpenAIChatDialect.makeStreamDecoder(), forwarded) == expectedView, "seed \(seed)")
            }
        }
    }

    @Test(arguments: fixtures("anthropic-messages-stream", ".sse"))
    func anthropicPassThroughForwardsEverySpellingAsIsAndAccountsAlike(fixture: String) throws {
        let original = String(decoding: try UpstreamFixture.data(fixture), as: UTF8.self)
        let events = try RespelledFixture.events(fixture)
        let (expected, _) = Self.observeAnthropic([ByteBuffer(string: original)])
        let expectedView = try Self.decode(AnthropicChatDialect.makeStreamDecoder(), original)
        for seed in Self.seeds {
            let text = RespelledFixture.stream(events, seed: seed)
            let (accounting, forwarded) = Self.observeAnthropic(RespelledFixture.chunks(text, seed: seed))
            #expect(accounting == expected, "seed \(seed)")
            #expect(forwarded == text, "pass-through is byte for byte (seed \(seed))")
            #expect(try Self.decode(AnthropicChatDialect.makeStreamDecoder(), forwarded) == expectedView, "seed \(seed)")
        }
    }

    @Test(arguments: fixtures("", ".sse"))
    func translatedStreamsDecodeAlikeInEverySpelling(fixture: String) throws {
        let original = String(decoding: try UpstreamFixture.data(fixture), as: UTF8.self)
        let events = try RespelledFixture.events(fixture)
        func decode(_ text: String) throws -> (String, Bool) {
            if fixture.hasPrefix("openai") { return try Self.decode(OpenAIChatDialect.makeStreamDecoder(), text) }
            if fixture.hasPrefix("anthropic") { return try Self.decode(AnthropicChatDialect.makeStreamDecoder(), text) }
            return try Self.decode(GeminiChatDialect.makeStreamDecoder(), text)
        }
        let expected = try decode(original)
        for seed in Self.seeds {
            #expect(try decode(RespelledFixture.stream(events, seed: seed)) == expected, "seed \(seed)")
        }
    }

    static func normalized(_ response: ChatResponse) -> String {
        var response = response
        response.id = ""
        response.content = response.content.map { part in
            guard case .toolCall(var call) = part else { return part }
            call.id = call.id.hasPrefix("call_") || call.id.hasPrefix("toolu_") || call.id.isEmpty ? "<id>" : call.id
            call.arguments = semanticJSONText(call.arguments)
            return .toolCall(call)
        }
        return "\(response)"
    }

    @Test(arguments: fixtures("", ".json").filter { !$0.contains("error") && !$0.contains("-request-") && !$0.hasSuffix(".events.json") })
    func completeAnswersDecodeAlikeInEverySpelling(fixture: String) throws {
        let original = try UpstreamFixture.buffer(fixture)
        func decode(_ body: ByteBuffer) throws -> ChatResponse {
            if fixture.hasPrefix("openai") { return try OpenAIChatDialect.decodeResponse(body) }
            if fixture.hasPrefix("anthropic") { return try AnthropicChatDialect.decodeResponse(body) }
            if fixture.hasPrefix("gemini") { return try GeminiChatDialect.decodeResponse(body) }
            return try BedrockChatDialect.decodeResponse(body)
        }
        let expected = try decode(original)
        let value = try JSONValue(parsing: original, maxDepth: 128)
        for seed in Self.seeds {
            var respeller = JSONRespeller(seed: seed)
            let body = ByteBuffer(string: respeller.respell(value))
            let decoded = try decode(body)
            #expect(Self.normalized(decoded) == Self.normalized(expected), "seed \(seed)")
            #expect(decoded.usage == expected.usage, "seed \(seed)")
            if fixture.hasPrefix("openai") {
                let usage = try body.withUnsafeReadableBytes { try OpenAIUsage.fromResponseBody($0) }
                let expectedUsage = try original.withUnsafeReadableBytes { try OpenAIUsage.fromResponseBody($0) }
                #expect(usage == expectedUsage, "seed \(seed)")
            }
        }
    }

    @Test(arguments: fixtures("", ".json").filter { $0.contains("error") })
    func errorAnswersAreClassifiedAlikeInEverySpelling(fixture: String) throws {
        let original = try UpstreamFixture.buffer(fixture)
        func classify(_ body: ByteBuffer) -> KeelError {
            if fixture.hasPrefix("openai") { return OpenAIFailure.error(status: 400, body: body, retryAfter: nil, secret: nil) }
            if fixture.hasPrefix("anthropic") { return AnthropicFailure.error(status: 529, body: body, retryAfter: nil, secret: nil) }
            if fixture.hasPrefix("gemini") { return GeminiFailure.error(status: 429, body: body, retryAfter: nil, secret: nil) }
            return BedrockFailure.error(status: 400, errorType: nil, body: body, retryAfter: nil)
        }
        let expected = classify(original)
        let value = try JSONValue(parsing: original, maxDepth: 128)
        for seed in Self.seeds {
            var respeller = JSONRespeller(seed: seed)
            #expect(classify(ByteBuffer(string: respeller.respell(value))) == expected, "seed \(seed)")
        }
    }

    @Test(arguments: fixtures("", ".json").filter { $0.contains("-request-") })
    func requestsTranslateAlikeInEverySpelling(fixture: String) throws {
        let original = try UpstreamFixture.buffer(fixture)
        func translate(_ body: ByteBuffer) throws -> [String] {
            let request =
                fixture.hasPrefix("openai")
                ? try OpenAIChatDialect.decodeRequest(body, maxDepth: 64) : try AnthropicChatDialect.decodeRequest(body, maxDepth: 64)
            return try [
                String(buffer: OpenAIChatDialect.encodeRequest(request, upstreamModel: "m")),
                String(buffer: AnthropicChatDialect.encodeRequest(request, upstreamModel: "m")),
            ].map(semanticJSONText)
        }
        let expected = try translate(original)
        let value = try JSONValue(parsing: original, maxDepth: 128)
        for seed in Self.seeds {
            var respeller = JSONRespeller(seed: seed)
            #expect(try translate(ByteBuffer(string: respeller.respell(value))) == expected, "seed \(seed)")
        }
    }
}

/// Bedrock's binary event streams, with each event's JSON payload re-spelled and framed again
/// (`application/vnd.amazon.eventstream`: lengths, prelude CRC, string headers, payload, message
/// CRC), as `make-bedrock-event-streams.py` frames the fixtures.
@Suite("Any valid JSON in Bedrock event streams")
struct BedrockRespelledStreamTests {
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian, Array.init)
    }

    static func header(_ name: String, _ value: String) -> [UInt8] {
        [UInt8(name.utf8.count)] + Array(name.utf8) + [7] + bigEndian(UInt16(value.utf8.count)) + Array(value.utf8)
    }

    static func frame(_ item: JSONValue, payload: String) -> [UInt8] {
        var headers: [UInt8]
        if let exception = item["exception"]?.string {
            headers = header(":exception-type", exception) + header(":content-type", "application/json") + header(":message-type", "exception")
        } else {
            headers = header(":event-type", item["event"]?.string ?? "") + header(":content-type", "application/json") + header(":message-type", "event")
        }
        let body = Array(payload.utf8)
        var prelude = bigEndian(UInt32(12 + headers.count + body.count + 4)) + bigEndian(UInt32(headers.count))
        prelude += bigEndian(crc32(prelude))
        let message = prelude + headers + body
        return message + bigEndian(crc32(message))
    }

    static func stream(_ items: [JSONValue], seed: UInt64?) -> ByteBuffer {
        var respeller = JSONRespeller(seed: seed ?? 0)
        var bytes: [UInt8] = []
        for item in items {
            let payload = item["payload"] ?? .object([])
            bytes += frame(item, payload: seed == nil ? payload.jsonText : respeller.respell(payload))
        }
        return ByteBuffer(bytes: bytes)
    }

    @Test(arguments: AnyValidJSONTests.fixtures("bedrock-converse-stream", ".events.json"))
    func eventPayloadsDecodeAlikeInEverySpelling(fixture: String) throws {
        let items = try #require(try UpstreamFixture.json(fixture).array)
        func decode(_ buffer: ByteBuffer, seed: UInt64) throws -> (String, Bool) {
            let (events, complete) = try decodeStream(BedrockChatDialect.makeStreamDecoder(), RespelledFixture.chunks(bytes: Array(buffer.readableBytesView), seed: seed))
            return (clientView(events), complete)
        }
        let expected = try decode(Self.stream(items, seed: nil), seed: 0)
        for seed in AnyValidJSONTests.seeds {
            #expect(try decode(Self.stream(items, seed: seed), seed: seed) == expected, "seed \(seed)")
        }
    }
}
