import Foundation
import KeelCore
import KeelProviders
import KeelServer
import KeelSimulator
import KeelTesting
import NIOHTTP1
import Testing

/// The failover scenarios of docs/failover.md that the older suites (RoutingTests,
/// StreamFailoverTests, RoutingStrategyTests, HedgingTests) leave out, each over loopback with the
/// simulator scripted to the fault, asserting what the client received, what was recorded and
/// the breaker state.
///
/// Faults are scripted per upstream model, and the two deployments of a model serve different
/// upstream models, so a fault reaches only the deployment it is meant for whatever order a
/// loaded machine runs things in. Timing bounds leave a loaded 2-core machine ten times the room.
@Suite("Failover scenarios")
struct FailoverScenarioTests {
    /// Model `pair`: `sim` (OpenAI dialect, upstream `keel-sim-chat`) first, then `sim-anthropic`
    /// (Anthropic dialect, upstream `keel-sim-claude`); no retries on a deployment.
    static func pair(
        _ configuration: inout KeelConfiguration,
        breaker: KeelConfiguration.Model.Breaker = .init(),
        maxRetries: Int = 0
    ) {
        configuration.models.append(
            .init(
                name: "pair",
                routes: [
                    .init(provider: "sim", model: "keel-sim-chat"),
                    .init(provider: "sim-anthropic", model: "keel-sim-claude"),
                ],
                maxRetries: maxRetries,
                breaker: breaker
            )
        )
    }

    /// The deployments of `model` as `GET /admin/v1/deployments` shows them, in configuration order.
    static func deployments(_ keel: TestGateway, model: String) async throws -> [[String: Any]] {
        let response = try await keel.send(.GET, "/admin/v1/deployments")
        #expect(response.status == 200)
        let entry = try #require(
            (response.json?["data"] as? [[String: Any]])?.first { $0["model"] as? String == model }
        )
        return entry["deployments"] as? [[String: Any]] ?? []
    }

    static let streamWithUsage = #""stream":true,"stream_options":{"include_usage":true}"#

    // MARK: Slow trickle

    @Test(arguments: ["sim", "sim-anthropic"])
    func aSlowTrickleWithinTheIdleTimeoutCompletesAsASuccess(provider: String) async throws {
        try await TestKeel.run(configure: { configuration in
            for index in configuration.providers.indices {
                configuration.providers[index].timeouts.idle = .seconds(5)
            }
            configuration.models.append(
                .init(name: "trickle", routes: [.init(provider: provider, model: "keel-sim-chat")], maxRetries: 0)
            )
        }) { keel in
            // 10 tokens at 5 per second: about 1.8 s of 200 ms gaps, each far inside the 5 s idle timeout.
            keel.simulator.script.enqueue(
                try SimulatorDirectives(parsing: "tokens=10 tps=5"),
                model: "keel-sim-chat",
                count: 1
            )
            let response = try await keel.post(
                "/v1/chat/completions",
                json: chatBody("trickle slowly", model: "trickle", extra: Self.streamWithUsage)
            )
            #expect(response.status == 200)
            let answer = try DialectAnswer.openAI(response)
            #expect(answer.terminated && answer.errorEvent == nil)
            #expect(answer.outputTokens == 10)
            #expect(answer.text.split(separator: " ").count == 10, "every trickled token reached the client")

            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .success && record.errorClass == nil && record.status == 200)
            #expect(record.attempts == 1 && record.attemptLog.isEmpty)
            #expect(record.provider == provider)
            #expect(record.usage.outputTokens == 10)
            // It really trickled: nine 200 ms gaps after the first token.
            #expect(record.totalMicros >= 1_500_000)
            #expect((record.ttftMicros ?? .max) < record.totalMicros - 1_000_000)
        }
    }

    @Test func aTrickleSlowerThanTheIdleTimeoutAfterContentIsInterruptedWithAnErrorEvent() async throws {
        try await TestKeel.run(configure: { configuration in
            configuration.providers[0].timeouts.idle = .milliseconds(500)
            Self.pair(&configuration)
        }) { keel in
            // One token a second: the first arrives at once, the gap after it outlasts the 500 ms idle timeout.
            keel.simulator.script.enqueue(
                try SimulatorDirectives(parsing: "tokens=10 tps=1"),
                model: "keel-sim-chat",
                count: 1
            )
            let started = ContinuousClock.now
            let response = try await keel.post(
                "/v1/chat/completions",
                json: chatBody("trickle too slowly", model: "pair", extra: #""stream":true"#)
            )
            #expect(ContinuousClock.now - started < .seconds(9), "the idle timeout, not the 10 s trickle, ended it")
            #expect(response.status == 200)
            let answer = try DialectAnswer.openAI(response)
            #expect(!answer.text.isEmpty, "the first token reached the client")
            #expect(!answer.terminated)
            #expect(answer.errorEvent?["code"] as? String == "upstream_timeout")
            // Content had reached the client: no failover to the second deployment.
            #expect(response.headers["x-keel-attempts"] == "1")
            #expect(keel.simulator.requestCount(path: "/v1/messages") == 0)

            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .interrupted)
            #expect(record.errorClass == "upstream_timeout")
            #expect(record.provider == "sim" && record.attempts == 1)
        }
    }

    // MARK: 5xx bursts and the breaker

    @Test(arguments: [500, 503])
    func aBurstOf5xxOpensTheBreakerAndMovesTheTrafficToTheOtherDeployment(status: Int) async throws {
        try await TestKeel.run(configure: { configuration in
            Self.pair(&configuration, breaker: .init(allowedFailures: 2, cooldown: .seconds(120)))
        }) { keel in
            keel.simulator.script.enqueue(
                try SimulatorDirectives(parsing: "status=\(status)"),
                model: "keel-sim-chat",
                count: 100
            )
            // Three failures in a row (two allowed) open the first deployment's breaker; each
            // request is still answered, by the second deployment.
            for index in 0..<3 {
                let response = try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody("burst \(index)", model: "pair")
                )
                #expect(response.status == 200)
                #expect(response.headers["x-keel-provider"] == "sim-anthropic")
                #expect(response.headers["x-keel-attempts"] == "2")
                #expect(!(try DialectAnswer.openAI(response).text.isEmpty))
            }
            let tripped = try await Self.deployments(keel, model: "pair")
            #expect(tripped.map { $0["breaker"] as? String } == ["open", "closed"])
            #expect(tripped.first?["trips"] as? Int == 1)
            #expect(tripped.first?["healthy"] as? Bool == false)
            #expect((tripped.first?["reopens_in_ms"] as? Int ?? 0) > 60_000)

            // While it is open, the traffic goes straight to the second deployment.
            for index in 0..<3 {
                let response = try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody("after \(index)", model: "pair")
                )
                #expect(response.status == 200)
                #expect(response.headers["x-keel-provider"] == "sim-anthropic")
                #expect(response.headers["x-keel-attempts"] == "1")
            }
            #expect(keel.simulator.requestCount(path: "/v1/chat/completions", model: "keel-sim-chat") == 3)
            #expect(keel.simulator.requestCount(path: "/v1/messages", model: "keel-sim-claude") == 6)

            await keel.shutdown()
            let records = try await keel.records().sorted { $0.startedAt < $1.startedAt }
            #expect(records.count == 6)
            for record in records.prefix(3) {
                #expect(
                    record.outcome == .success && record.provider == "sim-anthropic"
                        && record.deployment == "keel-sim-claude"
                )
                #expect(record.attempts == 2)
                #expect(record.attemptLog.map(\.provider) == ["sim", "sim-anthropic"])
                #expect(record.attemptLog.map(\.upstreamStatus) == [status, nil])
                #expect(record.attemptLog.map(\.errorClass) == ["upstream_unavailable", nil])
            }
            for record in records.suffix(3) {
                #expect(record.outcome == .success && record.provider == "sim-anthropic")
                #expect(record.attempts == 1 && record.attemptLog.isEmpty)
            }
        }
    }

    @Test func aBurstWithRetriesOnIsRetriedOnTheSameDeploymentBeforeFailingOver() async throws {
        try await TestKeel.run(configure: { configuration in
            Self.pair(&configuration, breaker: .init(allowedFailures: 10), maxRetries: 2)
        }) { keel in
            keel.simulator.script.enqueue(
                try SimulatorDirectives(parsing: "status=500"),
                model: "keel-sim-chat",
                count: 3
            )
            let response = try await keel.post(
                "/v1/chat/completions",
                json: chatBody("retry then fail over", model: "pair")
            )
            #expect(response.status == 200)
            #expect(response.headers["x-keel-provider"] == "sim-anthropic")
            #expect(response.headers["x-keel-attempts"] == "4")

            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .success && record.attempts == 4)
            #expect(record.attemptLog.map(\.provider) == ["sim", "sim", "sim", "sim-anthropic"])
            #expect(record.attemptLog.map(\.upstreamStatus) == [500, 500, 500, nil])
        }
    }

    // MARK: Rate limits without retry-after, resets, malformed answers

    @Test func a429WithoutRetryAfterFailsOverAndRestsTheDeploymentWithoutTrippingItsBreaker() async throws {
        try await TestKeel.run(configure: { Self.pair(&$0) }) { keel in
            keel.simulator.script.enqueue(
                try SimulatorDirectives(parsing: "status=429"),
                model: "keel-sim-chat",
                count: 1
            )
            let first = try await keel.post("/v1/chat/completions", json: chatBody("rate limited", model: "pair"))
            #expect(first.status == 200)
            #expect(first.headers["x-keel-provider"] == "sim-anthropic")
            #expect(first.headers["x-keel-attempts"] == "2")

            // Resting for the rate-limit cooldown (10 s by default): not healthy, but its breaker
            // stays closed, since a rate limit says nothing about its health.
            let resting = try #require(try await Self.deployments(keel, model: "pair").first)
            #expect(resting["breaker"] as? String == "closed")
            #expect(resting["healthy"] as? Bool == false)
            #expect(resting["trips"] as? Int == 0)
            let second = try await keel.post("/v1/chat/completions", json: chatBody("while resting", model: "pair"))
            #expect(second.headers["x-keel-provider"] == "sim-anthropic")
            #expect(second.headers["x-keel-attempts"] == "1")
            #expect(keel.simulator.requestCount(path: "/v1/chat/completions", model: "keel-sim-chat") == 1)

            await keel.shutdown()
            let record = try #require(try await keel.records().sorted { $0.startedAt < $1.startedAt }.first)
            #expect(record.outcome == .success)
            #expect(record.attemptLog.map(\.upstreamStatus) == [429, nil])
            #expect(record.attemptLog.map(\.errorClass) == ["upstream_rate_limited", nil])
        }
    }

    @Test func a429WithoutRetryAfterOnTheOnlyDeploymentIsPassedToTheClientWhileTheDeploymentRests() async throws {
        try await TestKeel.run(configure: { configuration in
            configuration.models.append(
                .init(name: "single", routes: [.init(provider: "sim", model: "keel-sim-chat")], maxRetries: 1)
            )
        }) { keel in
            keel.simulator.script.enqueue(
                try SimulatorDirectives(parsing: "status=429"),
                model: "keel-sim-chat",
                count: 1
            )
            // The retry would fall inside the 10 s rest a rate limit without retry-after earns,
            // so the router does not hammer the upstream: the client gets the 429 at once.
            let response = try await keel.post("/v1/chat/completions", json: chatBody("retry me", model: "single"))
            #expect(response.status == 429)
            #expect((response.json?["error"] as? [String: Any])?["code"] as? String == "upstream_rate_limited")
            #expect(response.headers["retry-after"] == nil, "the upstream named no delay, so neither does the gateway")
            #expect(keel.simulator.requestCount(path: "/v1/chat/completions", model: "keel-sim-chat") == 1)
            let resting = try #require(try await Self.deployments(keel, model: "single").first)
            #expect(resting["breaker"] as? String == "closed" && resting["healthy"] as? Bool == false)
            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .error && record.status == 429 && record.errorClass == "upstream_rate_limited")
            #expect(record.attempts == 1)
            #expect(record.attemptLog.map(\.upstreamStatus) == [429])
        }
    }

    @Test(arguments: [false, true])
    func aConnectionResetBeforeTheHeadersFailsOver(stream: Bool) async throws {
        try await TestKeel.run(configure: { Self.pair(&$0) }) { keel in
            keel.simulator.script.enqueue(
                try SimulatorDirectives(parsing: "fault=drop"),
                model: "keel-sim-chat",
                count: 1
            )
            let response = try await keel.post(
                "/v1/chat/completions",
                json: chatBody("reset", model: "pair", extra: stream ? #""stream":true"# : "")
            )
            #expect(response.status == 200)
            #expect(response.headers["x-keel-provider"] == "sim-anthropic")
            let answer = try DialectAnswer.openAI(response)
            #expect(!answer.text.isEmpty && answer.errorEvent == nil)
            #expect(!stream || answer.terminated)
            let first = try #require(try await Self.deployments(keel, model: "pair").first)
            #expect(first["consecutive_failures"] as? Int == 1)

            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .success && record.attempts == 2)
            #expect(record.attemptLog.map(\.provider) == ["sim", "sim-anthropic"])
            #expect(record.attemptLog.first?.errorClass == "upstream_unavailable")
            #expect(
                record.attemptLog.first?.upstreamStatus == nil,
                "no status: the connection closed without a response"
            )
        }
    }

    struct BadFirstRead: Sendable, CustomTestStringConvertible {
        let name: String
        let directives: String
        let stream: Bool
        let firstClass: String
        var testDescription: String { self.name }
    }

    static let badFirstReads: [BadFirstRead] = [
        BadFirstRead(
            name: "a 200 whose body is not JSON",
            directives: "fault=malformed",
            stream: false,
            firstClass: "upstream_bad_response"
        ),
        // The simulator writes the bad event and the first token together: one read.
        BadFirstRead(
            name: "a malformed event just before the first token",
            directives: "fault=malformed after_tokens=0",
            stream: true,
            firstClass: "upstream_unavailable"
        ),
        BadFirstRead(
            name: "an error event right after the first token",
            directives: "fault=error after_tokens=1",
            stream: true,
            firstClass: "upstream_unavailable"
        ),
    ]

    // After content has reached the client a malformed event ends the stream instead
    // (RoutingTests.aMalformedStreamEventIsNotReportedAsSuccess).
    @Test(arguments: badFirstReads)
    func aMalformedOrFailedAnswerBeforeAnythingReachedTheClientFailsOver(_ fault: BadFirstRead) async throws {
        try await TestKeel.run(configure: { Self.pair(&$0) }) { keel in
            keel.simulator.script.enqueue(
                try SimulatorDirectives(parsing: fault.directives),
                model: "keel-sim-chat",
                count: 1
            )
            let response = try await keel.post(
                "/v1/chat/completions",
                json: chatBody("garbled", model: "pair", extra: fault.stream ? #""stream":true"# : "")
            )
            #expect(response.status == 200)
            #expect(response.headers["x-keel-provider"] == "sim-anthropic")
            let answer = try DialectAnswer.openAI(response)
            #expect(!answer.text.isEmpty && answer.errorEvent == nil)
            #expect(!fault.stream || answer.terminated)
            #expect(
                response.events.filter { $0 != "[DONE]" }.count == response.jsonEvents.count,
                "every event the client got is JSON"
            )

            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .success && record.attempts == 2)
            #expect(record.attemptLog.map(\.errorClass) == [fault.firstClass, nil])
            #expect(record.attemptLog.first?.upstreamStatus == nil)
        }
    }

    // MARK: All deployments down

    @Test(arguments: ["openai", "anthropic"])
    func whenEveryDeploymentFailsTheClientGetsOneErrorInItsDialectAndTheRecordListsEachAttempt(
        dialect: String
    ) async throws {
        try await TestKeel.run(configure: {
            Self.pair(&$0, breaker: .init(allowedFailures: 0, cooldown: .seconds(120)))
        }) { keel in
            keel.simulator.script.enqueue(
                try SimulatorDirectives(parsing: "status=503"),
                model: "keel-sim-chat",
                count: 100
            )
            keel.simulator.script.enqueue(
                try SimulatorDirectives(parsing: "status=503"),
                model: "keel-sim-claude",
                count: 100
            )
            func ask() async throws -> TestResponse {
                if dialect == "openai" {
                    return try await keel.post("/v1/chat/completions", json: chatBody("anyone there?", model: "pair"))
                }
                return try await keel.post(
                    "/v1/messages",
                    json: #"{"model":"pair","max_tokens":64,"messages":[{"role":"user","content":"anyone there?"}]}"#,
                    headers: [("anthropic-version", "2023-06-01")]
                )
            }
            let response = try await ask()
            #expect(response.status == 502)
            if dialect == "openai" {
                #expect((response.json?["error"] as? [String: Any])?["code"] as? String == "upstream_unavailable")
            } else {
                #expect(response.json?["type"] as? String == "error")
                #expect((response.json?["error"] as? [String: Any])?["type"] as? String == "api_error")
            }
            #expect(
                try await Self.deployments(keel, model: "pair").map { $0["breaker"] as? String } == ["open", "open"]
            )

            // Both benched: one deployment is still tried (a last resort), never a refusal by the gateway alone.
            let again = try await ask()
            #expect(again.status == 502)

            await keel.shutdown()
            let records = try await keel.records().sorted { $0.startedAt < $1.startedAt }
            #expect(records.count == 2)
            let first = try #require(records.first)
            #expect(first.outcome == .error && first.status == 502 && first.errorClass == "upstream_unavailable")
            #expect(first.attempts == 2)
            #expect(first.attemptLog.map(\.provider) == ["sim", "sim-anthropic"])
            #expect(first.attemptLog.map(\.upstreamStatus) == [503, 503])
            let last = try #require(records.last)
            #expect(last.outcome == .error && last.attempts >= 1)
        }
    }

    // MARK: Fallback across dialects

    struct CrossDialect: Sendable, CustomTestStringConvertible {
        let provider: String
        let stream: Bool
        var testDescription: String { "\(self.provider)\(self.stream ? " stream" : "")" }
    }

    static let crossDialects: [CrossDialect] = ["sim-anthropic", "sim-gemini"].flatMap { provider in
        [false, true].map { CrossDialect(provider: provider, stream: $0) }
    }

    @Test(arguments: crossDialects)
    func anOpenAIClientFallsBackToAModelOfAnotherDialectAndGetsAnOpenAIAnswer(_ fallback: CrossDialect) async throws {
        try await TestKeel.run(configure: { configuration in
            configuration.models.append(
                .init(
                    name: "gpt-primary",
                    routes: [.init(provider: "sim", model: "keel-sim-chat")],
                    fallbacks: ["backup"],
                    maxRetries: 0
                )
            )
            configuration.models.append(
                .init(name: "backup", routes: [.init(provider: fallback.provider, model: "keel-sim-claude")])
            )
        }) { keel in
            keel.simulator.script.enqueue(
                try SimulatorDirectives(parsing: "status=500"),
                model: "keel-sim-chat",
                count: 100
            )
            let prompt = "explain the tides"
            let response = try await keel.post(
                "/v1/chat/completions",
                json: chatBody(prompt, model: "gpt-primary", extra: fallback.stream ? Self.streamWithUsage : "")
            )
            #expect(response.status == 200)
            #expect(response.headers["x-keel-provider"] == fallback.provider)
            #expect(response.headers["x-keel-attempts"] == "2")
            #expect(
                response.headers["content-type"]?.hasPrefix(fallback.stream ? "text/event-stream" : "application/json")
                    == true
            )
            let answer = try DialectAnswer.openAI(response)
            // The same conversation gets the same text from the simulator in every dialect: the
            // answer is the fallback model's, translated back to OpenAI without loss.
            let direct = try DialectAnswer.openAI(
                try await keel.postDirect("/v1/chat/completions", json: chatBody(prompt, model: "keel-sim-claude"))
            )
            #expect(answer.text == direct.text)
            #expect(answer.stopReason == "stop")
            #expect(answer.outputTokens == direct.outputTokens)
            #expect(answer.errorEvent == nil)
            if fallback.stream {
                #expect(answer.terminated)
                let chunks = response.jsonEvents.filter { ($0["choices"] as? [[String: Any]])?.isEmpty == false }
                #expect(
                    chunks.allSatisfy {
                        $0["object"] as? String == "chat.completion.chunk" && $0["model"] as? String == "gpt-primary"
                    }
                )
                let roles = chunks.compactMap {
                    (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["role"]
                }
                #expect(roles.count == 1, "one role chunk")
            } else {
                #expect(response.json?["object"] as? String == "chat.completion")
                #expect(response.json?["model"] as? String == "gpt-primary")
            }

            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .success && record.status == 200)
            #expect(record.requestedModel == "gpt-primary")
            #expect(record.model == "backup")
            #expect(record.provider == fallback.provider && record.deployment == "keel-sim-claude")
            #expect(record.attempts == 2)
            #expect(record.attemptLog.map(\.provider) == ["sim", fallback.provider])
            #expect(record.attemptLog.map(\.deployment) == ["keel-sim-chat", "keel-sim-claude"])
            #expect(record.attemptLog.map(\.upstreamStatus) == [500, nil])
            #expect(record.usage.outputTokens == Int64(direct.outputTokens))
        }
    }
}
