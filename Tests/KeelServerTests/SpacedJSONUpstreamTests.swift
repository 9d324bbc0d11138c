import Foundation
import KeelCore
import KeelServer
import KeelSimulator
import KeelTesting
import NIOCore
import Testing

/// Upstreams that write JSON with a space after `:` and `,` (Python's `json.dumps`, several
/// self-hosted servers and proxies), over loopback: streams pass through as they arrive, end
/// once, are cancelled with their client, and are recorded exactly as their compact twins.
@Suite("Upstreams that write spaced JSON")
struct SpacedJSONUpstreamTests {
    /// When each piece of a streamed answer reached the client, from the moment the request left.
    static func timedStream(port: Int, body: String) async throws -> [(at: Duration, bytes: String)] {
        let started = ContinuousClock.now
        var pieces: [(at: Duration, bytes: String)] = []
        try await StreamingClient.connect(port: port).executeThenClose { inbound, outbound in
            try await outbound.write(
                StreamingClient.request(path: "/v1/chat/completions", body: body, key: TestKeel.adminKey)
            )
            var received = ""
            for try await chunk in inbound {
                pieces.append((ContinuousClock.now - started, String(buffer: chunk)))
                received += String(buffer: chunk)
                if received.contains("data: [DONE]") || received.hasSuffix("0\r\n\r\n") { break }
            }
        }
        return pieces
    }

    // Regression: issue #11 (a spaced stream was held back until the upstream finished).
    @Test func tokensReachTheClientAsTheUpstreamSendsThem() async throws {
        try await TestKeel.run { keel in
            // Eight tokens, 250 ms apart: the answer takes about 1.75 s after its first token.
            let body = chatBody("[sim json=spaced tokens=8 tps=4] tell me about tides", extra: #""stream":true"#)
            let pieces = try await Self.timedStream(port: keel.port, body: body)
            let firstContent = try #require(pieces.first { $0.bytes.contains(/"content": "[^"]/) })
            let last = try #require(pieces.last)
            #expect(
                last.at - firstContent.at > .milliseconds(1_000),
                "the first token came \(firstContent.at), the end \(last.at)"
            )
            // Held back, the answer came as one piece; on a busy machine reads 250 ms apart can
            // still merge, so two pieces are enough to tell.
            #expect(
                pieces.filter { $0.bytes.contains(/"content": "[^"]/) }.count >= 2,
                "tokens arrive in several pieces"
            )
        }
    }

    // Regression: issue #11 (an error event after `[DONE]`, the record interrupted with no usage).
    @Test(arguments: ["keel-sim-chat", "via-anthropic", "via-gemini", "via-azure"])
    func aSpacedStreamEndsOnceAndIsRecordedAsItsCompactTwin(model: String) async throws {
        try await TestKeel.run { keel in
            var answers: [DialectAnswer] = []
            for style in ["compact", "spaced"] {
                // The same prompt (the simulator's answer follows it); the style comes from its script.
                keel.simulator.script.enqueue(
                    try SimulatorDirectives(parsing: "json=\(style)"),
                    model: "keel-sim-chat",
                    count: 1
                )
                let response = try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody(
                        "[sim tokens=12] why is the sky blue",
                        model: model,
                        extra: #""stream":true,"stream_options":{"include_usage":true}"#
                    )
                )
                #expect(response.status == 200)
                let answer = try DialectAnswer.openAI(response)
                #expect(answer.terminated && answer.errorEvent == nil, "\(style): \(response.body.suffix(300))")
                #expect(response.events.last == "[DONE]" && response.events.filter { $0 == "[DONE]" }.count == 1)
                answers.append(answer)
            }
            #expect(answers[0].text == answers[1].text && answers[0].inputTokens == answers[1].inputTokens)
            #expect(answers[0].outputTokens == answers[1].outputTokens && answers[1].outputTokens > 0)

            await keel.shutdown()
            let records = try await keel.records().sorted { $0.startedAt < $1.startedAt }
            try #require(records.count == 2)
            for record in records {
                #expect(record.outcome == .success && record.ttftMicros != nil && !record.usageEstimated)
            }
            #expect(records[1].usage == records[0].usage && records[1].usage.outputTokens > 0)
            #expect(records[1].cost == records[0].cost && records[1].cost > .zero)
        }
    }

    @Test func anAnthropicStreamPassesThroughAsItsCompactTwin() async throws {
        try await TestKeel.run { keel in
            var usages: [TokenUsage] = []
            for style in ["compact", "spaced"] {
                keel.simulator.script.enqueue(
                    try SimulatorDirectives(parsing: "json=\(style)"),
                    model: "keel-sim-chat",
                    count: 1
                )
                let response = try await keel.post(
                    "/v1/messages",
                    json:
                        #"{"model":"via-anthropic","max_tokens":200,"stream":true,"messages":[{"role":"user","content":"[sim tokens=10 cached=3] hello"}]}"#,
                    headers: [("anthropic-version", "2023-06-01")]
                )
                #expect(response.status == 200)
                let answer = try DialectAnswer.anthropic(response)
                #expect(answer.terminated && answer.errorEvent == nil, "\(style): \(response.body.suffix(300))")
                if style == "spaced" { #expect(response.body.contains(#""type": "message_stop""#)) }
            }
            await keel.shutdown()
            let records = try await keel.records().sorted { $0.startedAt < $1.startedAt }
            usages = records.map(\.usage)
            #expect(records.count == 2 && records.allSatisfy { $0.outcome == .success && $0.ttftMicros != nil })
            #expect(usages.count == 2 && usages[0] == usages[1] && usages[1].cachedInputTokens == 3)
            #expect(records.count == 2 && records[0].cost == records[1].cost)
        }
    }

    @Test func aCompleteSpacedAnswerIsRecordedAsItsCompactTwin() async throws {
        try await TestKeel.run { keel in
            for style in ["compact", "spaced"] {
                keel.simulator.script.enqueue(
                    try SimulatorDirectives(parsing: "json=\(style)"),
                    model: "keel-sim-chat",
                    count: 1
                )
                let response = try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody("[sim tokens=9 cached=2] hello")
                )
                #expect(response.status == 200)
                if style == "spaced" { #expect(response.body.contains(#""usage": {"#)) }
            }
            await keel.shutdown()
            let records = try await keel.records().sorted { $0.startedAt < $1.startedAt }
            try #require(records.count == 2)
            #expect(records[0].usage == records[1].usage && records[1].usage.cachedInputTokens == 2)
            #expect(records[0].cost == records[1].cost)
        }
    }

    // Regression: issue #11 (a client that left a spaced stream did not cancel the upstream).
    @Test func aClientThatLeavesASpacedStreamCancelsTheUpstream() async throws {
        try await TestKeel.run { keel in
            let body = chatBody("[sim json=spaced tokens=200 tps=20] tell me a long story", extra: #""stream":true"#)
            try await StreamingClient.readThenDisconnect(
                port: keel.port,
                path: "/v1/chat/completions",
                body: body,
                key: TestKeel.adminKey,
                bytes: 600
            )
            try await keel.waitForRecords(1)
            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .cancelled)
            // 200 tokens at 20/s would take 10 s; the record is written long before.
            #expect(record.totalMicros < 5_000_000)
            #expect(record.ttftMicros != nil)
        }
    }
}
