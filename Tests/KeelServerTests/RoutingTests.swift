import Foundation
import KeelCore
import KeelProviders
import KeelServer
import KeelSimulator
import KeelTesting
import NIOHTTP1
import Testing

@Suite("Retries, fallbacks and broken streams")
struct RoutingTests {
    @Test func a503IsRetriedOnTheSameDeploymentAndTheAttemptsAreRecorded() async throws {
        try await TestKeel.run { keel in
            keel.simulator.script.enqueue(
                try SimulatorDirectives(parsing: "status=503"),
                model: "keel-sim-chat",
                count: 2
            )
            let response = try await keel.post("/v1/chat/completions", json: chatBody("retry me"))
            #expect(response.status == 200)
            #expect(response.headers["x-keel-attempts"] == "3")
            #expect(keel.simulator.requestCount(path: "/v1/chat/completions", model: "keel-sim-chat") == 3)
            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.attempts == 3 && record.outcome == .success)
            #expect(record.attemptLog.map(\.upstreamStatus) == [503, 503, nil])
            #expect(record.attemptLog.map(\.errorClass) == ["upstream_unavailable", "upstream_unavailable", nil])
        }
    }

    @Test func a429WithRetryAfterIsHonouredBeforeRetrying() async throws {
        try await TestKeel.run { keel in
            keel.simulator.script.enqueue(
                try SimulatorDirectives(parsing: "status=429 retry_after=1"),
                model: "keel-sim-chat",
                count: 1
            )
            let started = ContinuousClock.now
            let response = try await keel.post("/v1/chat/completions", json: chatBody("rate limited"))
            let elapsed = ContinuousClock.now - started
            #expect(response.status == 200)
            #expect(elapsed >= .milliseconds(950))
        }
    }

    @Test func aRetryAfterLongerThanTheLimitMovesOnAndTheClientSees429() async throws {
        try await TestKeel.run(configure: { $0.router.maxRetryAfterMs = 100 }) { keel in
            keel.simulator.script.enqueue(
                try SimulatorDirectives(parsing: "status=429 retry_after=30"),
                model: "keel-sim-chat",
                count: 5
            )
            let response = try await keel.post("/v1/chat/completions", json: chatBody("slow down"))
            #expect(response.status == 429)
            #expect((response.json?["error"] as? [String: Any])?["code"] as? String == "upstream_rate_limited")
            #expect(response.headers["retry-after"] == "30")
        }
    }

    @Test func aFailingModelFallsBackToItsFallbackModel() async throws {
        try await TestKeel.run(configure: { configuration in
            configuration.models.append(
                .init(
                    name: "primary",
                    routes: [.init(provider: "sim", model: "keel-sim-reasoning")],
                    fallbacks: ["keel-sim-chat"],
                    maxRetries: 1
                )
            )
        }) { keel in
            keel.simulator.script.enqueue(
                try SimulatorDirectives(parsing: "status=500"),
                model: "keel-sim-reasoning",
                count: 10
            )
            let response = try await keel.post("/v1/chat/completions", json: chatBody("fall back", model: "primary"))
            #expect(response.status == 200)
            #expect(response.headers["x-keel-attempts"] == "3")
            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.requestedModel == "primary")
            #expect(record.model == "keel-sim-chat")
            #expect(record.deployment == "keel-sim-chat")
            #expect(record.attempts == 3)
            #expect(
                record.attemptLog.map(\.deployment) == ["keel-sim-reasoning", "keel-sim-reasoning", "keel-sim-chat"]
            )
        }
    }

    @Test func aSecondRouteServesWhenTheFirstProviderIsDown() async throws {
        try await TestKeel.run(configure: { configuration in
            configuration.providers.append(.init(name: "dead", kind: .openai, baseURL: "http://127.0.0.1:1/v1"))
            configuration.models.append(
                .init(
                    name: "ha",
                    routes: [
                        .init(provider: "dead", model: "keel-sim-chat"), .init(provider: "sim", model: "keel-sim-chat"),
                    ],
                    maxRetries: 0
                )
            )
        }) { keel in
            let response = try await keel.post("/v1/chat/completions", json: chatBody("failover", model: "ha"))
            #expect(response.status == 200)
            #expect(response.headers["x-keel-provider"] == "sim")
        }
    }

    @Test func aStreamCutMidAnswerEndsWithAnErrorEventAndIsRecordedAsInterrupted() async throws {
        try await TestKeel.run { keel in
            let response = try await keel.post(
                "/v1/chat/completions",
                json: chatBody("[sim fault=truncate after_tokens=3 tokens=10]", extra: #""stream":true"#)
            )
            #expect(response.status == 200)
            #expect(!response.events.contains("[DONE]"))
            let last = try #require(response.jsonEvents.last)
            #expect((last["error"] as? [String: Any])?["code"] as? String == "stream_interrupted")
            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .interrupted)
            #expect(record.errorClass == "stream_interrupted")
        }
    }

    @Test func aMalformedStreamEventIsNotReportedAsSuccess() async throws {
        try await TestKeel.run { keel in
            // Paced (200 ms a token), so the malformed event comes after content reached the client.
            let response = try await keel.post(
                "/v1/chat/completions",
                json: chatBody("[sim fault=malformed after_tokens=2 tps=5]", extra: #""stream":true"#)
            )
            #expect(response.status == 200)
            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .interrupted)
            #expect(record.errorClass == "upstream_bad_response")
        }
    }

    @Test(arguments: ["headers", "first_token"])
    func anUpstreamSilentPastTheFirstByteTimeoutIsATimeout(at point: String) async throws {
        try await TestKeel.run(configure: { configuration in
            configuration.providers[0].timeouts.firstByte = .milliseconds(300)
            configuration.router.maxRetries = 0
        }) { keel in
            let started = ContinuousClock.now
            let response = try await keel.post(
                "/v1/chat/completions",
                json: chatBody("[sim fault=stall stall_ms=20000 at=\(point)]")
            )
            #expect(ContinuousClock.now - started < .seconds(8), "the timeout, not the 20 s stall, ended it")
            #expect(response.status == 504)
            #expect((response.json?["error"] as? [String: Any])?["code"] as? String == "upstream_timeout")
        }
    }

    @Test func aStreamSilentPastTheIdleTimeoutEndsWithATimeoutEvent() async throws {
        try await TestKeel.run(configure: { configuration in
            configuration.providers[0].timeouts.idle = .milliseconds(300)
        }) { keel in
            let started = ContinuousClock.now
            let response = try await keel.post(
                "/v1/chat/completions",
                json: chatBody(
                    "[sim fault=stall stall_ms=20000 at=mid_stream after_tokens=2]",
                    extra: #""stream":true"#
                )
            )
            #expect(ContinuousClock.now - started < .seconds(8), "the timeout, not the 20 s stall, ended it")
            let last = try #require(response.jsonEvents.last)
            #expect((last["error"] as? [String: Any])?["code"] as? String == "upstream_timeout")
            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .interrupted && record.errorClass == "upstream_timeout")
        }
    }

    @Test func aStreamLongerThanTheTotalTimeoutIsCut() async throws {
        try await TestKeel.run(configure: { configuration in
            // Room for the first event on a loaded machine; the stream itself takes 4 s.
            configuration.providers[0].timeouts.total = .milliseconds(1_500)
        }) { keel in
            let response = try await keel.post(
                "/v1/chat/completions",
                json: chatBody("[sim tokens=100 tps=25]", extra: #""stream":true"#)
            )
            #expect(response.status == 200, "\(response.body)")
            let last = try #require(response.jsonEvents.last)
            #expect((last["error"] as? [String: Any])?["code"] as? String == "upstream_timeout")
        }
    }

    @Test func aClientThatDisconnectsWhileWaitingCancelsTheUpstreamCall() async throws {
        try await TestKeel.run { keel in
            let body = chatBody("[sim fault=stall stall_ms=8000 at=headers]")
            try await StreamingClient.sendThenDisconnect(
                port: keel.port,
                path: "/v1/chat/completions",
                body: body,
                key: TestKeel.adminKey,
                after: .milliseconds(300)
            )
            try await Task.sleep(for: .milliseconds(300))
            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .cancelled)
            #expect(record.errorClass == "client_disconnected")
            #expect(record.totalMicros < 3_000_000)
        }
    }

    @Test func aClientThatDisconnectsMidStreamCancelsTheUpstreamAndIsRecordedAsCancelled() async throws {
        try await TestKeel.run { keel in
            let body = chatBody("[sim tokens=200 tps=20]", extra: #""stream":true"#)
            try await StreamingClient.readThenDisconnect(
                port: keel.port,
                path: "/v1/chat/completions",
                body: body,
                key: TestKeel.adminKey,
                bytes: 600
            )
            try await Task.sleep(for: .milliseconds(300))
            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .cancelled)
            #expect(record.errorClass == "client_disconnected")
            // 200 tokens at 20/s would take 10 s; the record is written long before.
            #expect(record.totalMicros < 5_000_000)
        }
    }
}
