import Foundation
import KeelCore
import KeelServer
import KeelSimulator
import KeelTesting
import NIOHTTP1
import Testing

/// A deployment that breaks its streams after the first token is unhealthy too: each cut counts
/// against its breaker, so after `allowed_failures` + 1 cut streams in a row traffic moves on.
@Suite("Streams cut after their first token feed the breaker")
struct LateStreamFailureTests {
    @Test func aDeploymentThatKeepsCuttingItsStreamsIsBenched() async throws {
        try await TestKeel.run(configure: { configuration in
            FailoverScenarioTests.pair(&configuration, breaker: .init(allowedFailures: 2, cooldown: .seconds(60)))
        }) { keel in
            // Every stream of the first deployment breaks after three tokens.
            keel.simulator.script.enqueue(
                try SimulatorDirectives(parsing: "fault=truncate after_tokens=3 tokens=12 tps=200"),
                model: "keel-sim-chat",
                count: 3
            )
            for index in 0..<3 {
                let response = try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody("tell me about tides \(index)", model: "pair", extra: #""stream":true"#)
                )
                #expect(response.status == 200)
                #expect(response.headers["x-keel-provider"] == "sim", "the breaker is still closed for cut \(index)")
                let answer = try DialectAnswer.openAI(response)
                #expect(!answer.terminated && answer.errorEvent?["code"] as? String == "stream_interrupted")
            }
            let deployments = try await FailoverScenarioTests.deployments(keel, model: "pair")
            #expect(deployments.first?["breaker"] as? String == "open", "three cuts in a row, two allowed")
            #expect(deployments.first?["trips"] as? Int == 1)
            #expect(deployments.last?["breaker"] as? String == "closed")

            // The next stream goes straight to the second deployment and completes.
            let next = try await keel.post("/v1/chat/completions", json: chatBody("and now?", model: "pair", extra: #""stream":true"#))
            #expect(next.headers["x-keel-provider"] == "sim-anthropic")
            #expect(next.headers["x-keel-attempts"] == "1")
            #expect(try DialectAnswer.openAI(next).terminated)

            await keel.shutdown()
            let records = try await keel.records().sorted { $0.startedAt < $1.startedAt }
            #expect(records.map(\.outcome) == [.interrupted, .interrupted, .interrupted, .success])
        }
    }

    @Test func aCompleteStreamAfterACutEndsTheRun() async throws {
        try await TestKeel.run(configure: { configuration in
            FailoverScenarioTests.pair(&configuration, breaker: .init(allowedFailures: 2, cooldown: .seconds(60)))
        }) { keel in
            for directives in ["fault=truncate after_tokens=3 tokens=12 tps=200", "tokens=12", "fault=truncate after_tokens=3 tokens=12 tps=200", "fault=truncate after_tokens=3 tokens=12 tps=200"] {
                keel.simulator.script.enqueue(try SimulatorDirectives(parsing: directives), model: "keel-sim-chat", count: 1)
                let response = try await keel.post("/v1/chat/completions", json: chatBody("tides", model: "pair", extra: #""stream":true"#))
                #expect(response.headers["x-keel-provider"] == "sim")
            }
            // cut, complete, cut, cut: never three in a row.
            let deployments = try await FailoverScenarioTests.deployments(keel, model: "pair")
            #expect(deployments.first?["breaker"] as? String == "closed")
            #expect(deployments.first?["consecutive_failures"] as? Int == 2)
        }
    }
}
