import Foundation
import KeelCore
import KeelServer
import KeelSimulator
import KeelTesting
import NIOHTTP1
import Testing

/// `hedge_after_ms`: a deployment that has not answered (a stream: not sent its first token) in
/// time gets company, and the first answer wins.
@Suite("Hedged requests")
struct HedgingTests {
    static func hedged(_ configuration: inout KeelConfiguration) {
        Self.hedged(after: .milliseconds(200), &configuration)
    }

    static func hedged(after delay: Duration, _ configuration: inout KeelConfiguration) {
        configuration.models.append(
            .init(
                name: "hedged",
                // Different upstream models, so a scripted fault reaches only the first deployment
                // even when, on a loaded machine, the hedge arrives at the simulator first.
                routes: [.init(provider: "sim", model: "keel-sim-chat"), .init(provider: "sim-anthropic", model: "keel-sim-reasoning")],
                maxRetries: 0,
                hedgeAfter: delay
            )
        )
    }

    @Test(arguments: [true, false])
    func aSlowFirstDeploymentIsOvertakenByTheHedge(stream: Bool) async throws {
        try await TestKeel.run(configure: Self.hedged) { keel in
            let stall = stream ? "fault=stall at=first_token stall_ms=30000" : "latency_ms=30000"
            keel.simulator.script.enqueue(try SimulatorDirectives(parsing: stall), model: "keel-sim-chat", count: 1)
            let started = ContinuousClock.now
            let response = try await keel.post(
                "/v1/chat/completions",
                json: chatBody("hedge me", model: "hedged", extra: stream ? #""stream":true,"stream_options":{"include_usage":true}"# : "")
            )
            let elapsed = ContinuousClock.now - started
            #expect(response.status == 200)
            #expect(elapsed < .seconds(10), "the hedge answered, not the deployment stalled for 30 s")
            #expect(elapsed >= .milliseconds(200), "the hedge waited its delay")
            #expect(response.headers["x-keel-provider"] == "sim-anthropic")
            #expect(response.headers["x-keel-attempts"] == "2")
            let answer = try DialectAnswer.openAI(response)
            #expect(!answer.text.isEmpty && answer.errorEvent == nil)

            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .success && record.provider == "sim-anthropic")
            #expect(Set(record.attemptLog.map(\.provider)) == ["sim", "sim-anthropic"])
            #expect(record.attemptLog.first { $0.provider == "sim" }?.errorClass == "hedge_lost")
            #expect(record.attemptLog.first { $0.provider == "sim-anthropic" }?.errorClass == nil)
        }
    }

    @Test func aFastFirstDeploymentIsNeverHedged() async throws {
        // A delay no loaded test machine reaches for an immediate answer.
        try await TestKeel.run(configure: { Self.hedged(after: .seconds(5), &$0) }) { keel in
            for index in 0..<5 {
                let response = try await keel.post("/v1/chat/completions", json: chatBody("fast \(index)", model: "hedged"))
                #expect(response.headers["x-keel-provider"] == "sim")
                #expect(response.headers["x-keel-attempts"] == "1")
            }
            // The second deployment (Anthropic dialect) was never called.
            #expect(keel.simulator.requestCount(path: "/v1/messages") == 0)
        }
    }

    @Test func aFirstDeploymentThatFailsFastIsFollowedAtOnce() async throws {
        try await TestKeel.run(configure: Self.hedged) { keel in
            keel.simulator.script.enqueue(try SimulatorDirectives(parsing: "status=503"), model: "keel-sim-chat", count: 1)
            let response = try await keel.post("/v1/chat/completions", json: chatBody("fails fast", model: "hedged"))
            #expect(response.status == 200)
            #expect(response.headers["x-keel-provider"] == "sim-anthropic")
            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.attemptLog.first { $0.provider == "sim" }?.errorClass == "upstream_unavailable")
        }
    }
}
