import Foundation
import KeelCore
import KeelProviders
import KeelServer
import KeelSimulator
import KeelTesting
import NIOHTTP1
import Testing

/// Failover that understands streams: until the first token reaches the client, a failing
/// stream is a failed attempt and the next deployment answers; after it, the stream ends with an
/// error event in the client's dialect and is recorded as interrupted, never as a success.
@Suite("Stream failover")
struct StreamFailoverTests {
    /// Model `ha` on two deployments of the simulator: `sim` first, then `sim-anthropic`.
    static func twoDeployments(_ configuration: inout KeelConfiguration) {
        Self.twoDeploymentsWithDefaultTimeouts(&configuration)
        configuration.providers[0].timeouts.firstByte = .milliseconds(300)
        configuration.providers[0].timeouts.idle = .milliseconds(300)
    }

    /// The same without the short timeouts, for tests that must not time out on a loaded machine.
    static func twoDeploymentsWithDefaultTimeouts(_ configuration: inout KeelConfiguration) {
        configuration.models.append(
            .init(
                name: "ha",
                routes: [.init(provider: "sim", model: "keel-sim-chat"), .init(provider: "sim-anthropic", model: "keel-sim-chat")],
                maxRetries: 0
            )
        )
    }

    struct Fault: Sendable, CustomTestStringConvertible {
        let name: String
        let directives: String
        var testDescription: String { self.name }
    }

    static let faultsBeforeTheFirstToken: [Fault] = [
        Fault(name: "stall before headers", directives: "fault=stall stall_ms=20000 at=headers"),
        Fault(name: "stall before the first token", directives: "fault=stall stall_ms=20000 at=first_token"),
        Fault(name: "503 before the first byte", directives: "status=503"),
        Fault(name: "429 with retry-after", directives: "status=429 retry_after=30"),
        Fault(name: "connection dropped", directives: "fault=drop"),
        Fault(name: "error event before any content", directives: "fault=error after_tokens=0"),
        Fault(name: "cut before any content", directives: "fault=truncate after_tokens=0"),
    ]

    @Test(arguments: faultsBeforeTheFirstToken)
    func aStreamThatFailsBeforeItsFirstTokenFailsOverToTheNextDeployment(_ fault: Fault) async throws {
        try await TestKeel.run(configure: { configuration in
            Self.twoDeployments(&configuration)
            // The second deployment serves another simulated model, so the scripted fault can
            // only strike the first: on a loaded machine the first attempt can time out before
            // its request reaches the simulator, and the failover's request would take the fault.
            configuration.models[configuration.models.count - 1].routes[1].model = "keel-sim-reasoning"
        }) { keel in
            // Only the first upstream call fails; the failover gets a normal answer.
            keel.simulator.script.enqueue(try SimulatorDirectives(parsing: fault.directives), model: "keel-sim-chat", count: 1)
            let started = ContinuousClock.now
            let response = try await keel.post(
                "/v1/chat/completions",
                json: chatBody("tell me about tides", model: "ha", extra: #""stream":true,"stream_options":{"include_usage":true}"#)
            )
            #expect(ContinuousClock.now - started < .seconds(8), "no waiting out the 20 s stall")
            #expect(response.status == 200)
            #expect(response.headers["x-keel-provider"] == "sim-anthropic")
            #expect(response.headers["x-keel-attempts"] == "2")
            let answer = try DialectAnswer.openAI(response)
            #expect(answer.terminated && answer.errorEvent == nil && !answer.text.isEmpty)

            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .success)
            #expect(record.provider == "sim-anthropic")
            #expect(record.attemptLog.count == 2)
            #expect(record.attemptLog.first?.provider == "sim" && record.attemptLog.first?.errorClass != nil)
            #expect(record.usage.outputTokens == Int64(answer.outputTokens))
        }
    }

    @Test(arguments: ["openai", "anthropic"])
    func aStreamCutAfterContentEndsWithAnErrorEventInTheClientsDialectAndIsNotASuccess(dialect: String) async throws {
        try await TestKeel.run(configure: Self.twoDeploymentsWithDefaultTimeouts) { keel in
            // Paced (50 tokens/s), so the first tokens reach the gateway well before the cut.
            keel.simulator.script.enqueue(try SimulatorDirectives(parsing: "fault=truncate after_tokens=3 tokens=12 tps=50"), count: 1)
            let response: TestResponse
            let answer: DialectAnswer
            if dialect == "openai" {
                response = try await keel.post("/v1/chat/completions", json: chatBody("tell me about tides", model: "ha", extra: #""stream":true"#))
                answer = try DialectAnswer.openAI(response)
                #expect((answer.errorEvent?["code"] as? String) == "stream_interrupted")
            } else {
                response = try await keel.post(
                    "/v1/messages",
                    json: #"{"model":"ha","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"tell me about tides"}]}"#,
                    headers: [("anthropic-version", "2023-06-01")]
                )
                answer = try DialectAnswer.anthropic(response)
                #expect((answer.errorEvent?["type"] as? String) == "api_error")
            }
            #expect(response.status == 200)
            #expect(!answer.terminated, "a cut stream is never presented as finished")
            #expect(!answer.text.isEmpty, "the content before the cut reached the client")
            // No failover after content reached the client: one attempt, on the first deployment.
            #expect(response.headers["x-keel-attempts"] == "1")

            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .interrupted)
            #expect(record.errorClass == "stream_interrupted")
            #expect(record.provider == "sim")
        }
    }
}
