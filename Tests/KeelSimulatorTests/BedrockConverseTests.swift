import Foundation
import KeelSimulator
import Testing

/// An independent decoder of AWS event-stream messages for the tests, with its own CRC-32.
enum EventStreamDecoder {
    struct Message {
        let headers: [String: String]
        let payload: [UInt8]
        var json: [String: Any]? { try? jsonObject(String(decoding: self.payload, as: UTF8.self)) }
    }

    struct DecodingError: Error, CustomStringConvertible {
        let description: String
    }

    /// Bitwise CRC-32 (IEEE), unlike the simulator's table-driven one.
    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }

    static func uint32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        bytes[at..<(at + 4)].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Decodes every message, checking both CRCs and that every header is a string.
    static func decode(_ bytes: [UInt8]) throws -> [Message] {
        var messages: [Message] = []
        var offset = 0
        while offset < bytes.count {
            guard bytes.count - offset >= 16 else { throw DecodingError(description: "short prelude at \(offset)") }
            let total = Int(uint32(bytes, offset))
            let headersLength = Int(uint32(bytes, offset + 4))
            guard uint32(bytes, offset + 8) == crc32(bytes[offset..<(offset + 8)]) else {
                throw DecodingError(description: "bad prelude CRC at \(offset)")
            }
            guard offset + total <= bytes.count else { throw DecodingError(description: "short message at \(offset)") }
            guard uint32(bytes, offset + total - 4) == crc32(bytes[offset..<(offset + total - 4)]) else {
                throw DecodingError(description: "bad message CRC at \(offset)")
            }
            var headers: [String: String] = [:]
            var cursor = offset + 12
            let headersEnd = cursor + headersLength
            while cursor < headersEnd {
                let nameLength = Int(bytes[cursor])
                let name = String(decoding: bytes[(cursor + 1)..<(cursor + 1 + nameLength)], as: UTF8.self)
                cursor += 1 + nameLength
                guard bytes[cursor] == 7 else { throw DecodingError(description: "header \(name) is not a string") }
                let valueLength = Int(bytes[cursor + 1]) << 8 | Int(bytes[cursor + 2])
                headers[name] = String(decoding: bytes[(cursor + 3)..<(cursor + 3 + valueLength)], as: UTF8.self)
                cursor += 3 + valueLength
            }
            messages.append(Message(headers: headers, payload: Array(bytes[headersEnd..<(offset + total - 4)])))
            offset += total
        }
        return messages
    }
}

@Suite("Bedrock Converse")
struct BedrockConverseTests {
    static let headers = [
        ("authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"),
        ("x-amz-date", "20250101T000000Z"), ("content-type", "application/json"),
    ]

    static func body(_ text: String = "Hello there, simulator.", extra: String = "") -> String {
        #"{"system":[{"text":"Be brief."}],"messages":[{"role":"user","content":[{"text":\#(JSONWriterForTests.quoted(text))}]}]\#(extra)}"#
    }

    static let weather =
        #"{"tools":[{"toolSpec":{"name":"get_weather","description":"Weather of a city","inputSchema":{"json":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city","days"]}}}}],"toolChoice":{"any":{}}}"#

    static func post(_ sim: SimulatorHarness, _ body: String, stream: Bool = false, model: String = "keel-sim-claude") async throws -> SimulatorHarness.Reply {
        try await sim.post("/model/\(model)/" + (stream ? "converse-stream" : "converse"), body, headers: Self.headers)
    }

    @Test func testDecoderCRCMatchesTheIEEECheckValue() {
        #expect(EventStreamDecoder.crc32(Array("123456789".utf8)[...]) == 0xCBF4_3926)
    }

    @Test func converseAnswersWithOutputStopReasonUsageAndMetrics() async throws {
        try await SimulatorHarness.run { sim in
            let reply = try await Self.post(sim, Self.body())
            #expect(reply.status == 200)
            #expect(reply.header("x-amzn-requestid")?.count == 36)
            let json = try reply.json()
            #expect(json[path: "output", "message", "role"] as? String == "assistant")
            let text = try #require(json[path: "output", "message", "content", 0, "text"] as? String)
            #expect(json["stopReason"] as? String == "end_turn")
            let prompt = 3 + (4 + SimulatedTokenizer.count("Be brief.")) + (4 + SimulatedTokenizer.count("Hello there, simulator."))
            #expect(json[path: "usage", "inputTokens"] as? Int == prompt)
            #expect(json[path: "usage", "outputTokens"] as? Int == SimulatedTokenizer.count(text))
            #expect(json[path: "usage", "totalTokens"] as? Int == prompt + SimulatedTokenizer.count(text))
            #expect(json[path: "metrics", "latencyMs"] is Int)
        }
    }

    @Test func converseStreamIsFramedEventsWithValidCRCs() async throws {
        try await SimulatorHarness.run { sim in
            let plain = try await Self.post(sim, Self.body("[sim tokens=4 cached=3 cache_write=2] go")).json()
            let reply = try await Self.post(sim, Self.body("[sim tokens=4 cached=3 cache_write=2] go"), stream: true)
            #expect(reply.status == 200)
            #expect(reply.header("content-type") == "application/vnd.amazon.eventstream")
            let messages = try EventStreamDecoder.decode(reply.bytes)
            let types = messages.map { $0.headers[":event-type"] ?? "" }
            #expect(types == ["messageStart"] + Array(repeating: "contentBlockDelta", count: 4) + ["contentBlockStop", "messageStop", "metadata"])
            #expect(messages.allSatisfy { $0.headers[":message-type"] == "event" && $0.headers[":content-type"] == "application/json" })
            let payloads = messages.compactMap(\.json)
            try #require(payloads.count == messages.count)
            #expect(payloads[0]["role"] as? String == "assistant")
            let text = payloads.compactMap { $0[path: "delta", "text"] as? String }.joined()
            #expect(text == plain[path: "output", "message", "content", 0, "text"] as? String)
            #expect(payloads[6]["stopReason"] as? String == "end_turn")
            #expect(payloads[7]["usage"] as? NSDictionary == plain["usage"] as? NSDictionary)
            #expect(plain[path: "usage", "cacheReadInputTokens"] as? Int == 3)
            #expect(plain[path: "usage", "cacheWriteInputTokens"] as? Int == 2)
            let input = try #require(plain[path: "usage", "inputTokens"] as? Int)
            #expect(plain[path: "usage", "totalTokens"] as? Int == input + 5 + 4)
        }
    }

    @Test func toolUseStreamsInputPiecesThatConcatenateToJSON() async throws {
        try await SimulatorHarness.run { sim in
            let extra = #","toolConfig":\#(Self.weather)"#
            let plain = try await Self.post(sim, Self.body(extra: extra)).json()
            #expect(plain["stopReason"] as? String == "tool_use")
            let use = try #require(plain[path: "output", "message", "content", 0, "toolUse"] as? [String: Any])
            #expect((use["toolUseId"] as? String)?.hasPrefix("tooluse_") == true)
            #expect(use["name"] as? String == "get_weather")
            #expect(use["input"] as? NSDictionary == ["city": "value-1", "days": 2] as NSDictionary)

            let reply = try await Self.post(sim, Self.body(extra: extra), stream: true)
            let messages = try EventStreamDecoder.decode(reply.bytes)
            let payloads = messages.compactMap(\.json)
            let start = try #require(payloads.first { $0["start"] != nil })
            #expect(start[path: "start", "toolUse", "toolUseId"] as? String == use["toolUseId"] as? String)
            let pieces = payloads.compactMap { $0[path: "delta", "toolUse", "input"] as? String }
            #expect(pieces.count >= 2)
            #expect(try jsonObject(pieces.joined()) as NSDictionary == use["input"] as? NSDictionary)
            #expect(payloads.first { $0["stopReason"] != nil }?["stopReason"] as? String == "tool_use")
        }
    }

    struct ErrorCase: Sendable, CustomTestStringConvertible {
        let name: String
        let body: String
        var headers: [(String, String)] = BedrockConverseTests.headers
        var model = "keel-sim-claude"
        let status: Int
        let type: String
        var testDescription: String { self.name }
    }

    static let errorCases: [ErrorCase] = [
        ErrorCase(name: "no auth", body: body(), headers: [("x-amz-date", "20250101T000000Z")], status: 403, type: "MissingAuthenticationTokenException"),
        ErrorCase(name: "bearer auth", body: body(), headers: [("authorization", "Bearer x"), ("x-amz-date", "20250101T000000Z")], status: 403, type: "IncompleteSignatureException"),
        ErrorCase(name: "no x-amz-date", body: body(), headers: [headers[0]], status: 403, type: "IncompleteSignatureException"),
        ErrorCase(name: "no messages", body: "{}", status: 400, type: "ValidationException"),
        ErrorCase(name: "unknown model", body: body(), model: "amazon.nope-v1:0", status: 400, type: "ValidationException"),
        ErrorCase(name: "throttled", body: body("[sim status=429]"), status: 429, type: "ThrottlingException"),
        ErrorCase(name: "internal", body: body("[sim status=500]"), status: 500, type: "InternalServerException"),
        ErrorCase(name: "unavailable", body: body("[sim status=503]"), status: 503, type: "ServiceUnavailableException"),
        ErrorCase(name: "model not ready", body: body("[sim status=429 error_type=ModelNotReadyException]"), status: 429, type: "ModelNotReadyException"),
    ]

    @Test(arguments: errorCases)
    func errorsHaveBedrocksShape(_ refused: ErrorCase) async throws {
        try await SimulatorHarness.run { sim in
            let reply = try await sim.post("/model/\(refused.model)/converse", refused.body, headers: refused.headers)
            #expect(reply.status == refused.status)
            #expect(reply.header("x-amzn-errortype")?.hasPrefix(refused.type + ":") == true)
            let json = try reply.json()
            #expect(json.keys.sorted() == ["message"])
            #expect((json["message"] as? String)?.isEmpty == false)
        }
    }

    @Test func midStreamErrorIsAnExceptionMessage() async throws {
        try await SimulatorHarness.run { sim in
            let reply = try await Self.post(sim, Self.body("[sim fault=error status=429 after_tokens=2 tokens=5] x"), stream: true)
            let messages = try EventStreamDecoder.decode(reply.bytes)
            #expect(messages.count == 4)
            let last = try #require(messages.last)
            #expect(last.headers[":message-type"] == "exception")
            #expect(last.headers[":exception-type"] == "throttlingException")
            #expect(last.json?["message"] is String)

            let malformed = try await Self.post(sim, Self.body("[sim fault=malformed after_tokens=1 tokens=3] x"), stream: true)
            let frames = try EventStreamDecoder.decode(malformed.bytes)
            #expect(frames.filter { $0.json == nil }.count == 1)
            #expect(frames.last?.headers[":event-type"] == "metadata")
        }
    }

    @Test func encodedModelIdsAreDecoded() async throws {
        try await SimulatorHarness.run(models: [SimulatedModel(name: "anthropic.claude-sim-v1:0")]) { sim in
            let reply = try await sim.post("/model/anthropic.claude-sim-v1%3A0/converse", Self.body(), headers: Self.headers)
            #expect(reply.status == 200)
            #expect(sim.simulator.requestCount(path: "/model/anthropic.claude-sim-v1:0/converse", model: "anthropic.claude-sim-v1:0") == 1)
        }
    }
}
