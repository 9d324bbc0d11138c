import Foundation
import KeelCore
import KeelProviders
import KeelServer
import KeelSimulator
import KeelTesting
import NIOHTTP1
import Testing

/// `models[].stream_resume`: a stream cut after content reached the client is continued on
/// another deployment from the text the client already has, and the client reads one coherent
/// answer. The simulator continues a prefilled answer (or one followed by Keel's continue
/// instruction) with exactly the words the uncut answer would have had, so the spliced text can
/// be compared with an uncut answer word for word.
@Suite("Stream resume")
struct StreamResumeTests {
    struct Case: Sendable, CustomTestStringConvertible {
        /// `openai` or `anthropic`.
        let client: String
        /// The deployment that cuts the stream, then the one that continues it.
        let first: String
        let second: String
        var testDescription: String { "\(self.client) client, \(self.first) cut, \(self.second) continues" }
    }

    static let cases: [Case] = [
        Case(client: "openai", first: "sim", second: "sim-anthropic"),  // pass-through cut, Anthropic prefill
        Case(client: "openai", first: "sim", second: "sim-gemini"),  // continue instruction
        Case(client: "anthropic", first: "sim-anthropic", second: "sim"),  // pass-through cut, OpenAI upstream
        Case(client: "anthropic", first: "sim", second: "sim-anthropic"),  // translated cut, prefill
    ]

    static func resumable(_ configuration: inout KeelConfiguration, first: String, second: String, resume: Bool = true)
    {
        var model = KeelConfiguration.Model(
            name: "resumable",
            // Both serve the same upstream model: the continuation continues the very answer.
            routes: [.init(provider: first, model: "keel-sim-chat"), .init(provider: second, model: "keel-sim-chat")],
            maxRetries: 0
        )
        model.streamResume = resume
        configuration.models.append(model)
    }

    static let prompt = "tell me about the tides"

    static func ask(_ keel: TestGateway, client: String) async throws -> (TestResponse, DialectAnswer) {
        if client == "openai" {
            let response = try await keel.post(
                "/v1/chat/completions",
                json: chatBody(
                    Self.prompt,
                    model: "resumable",
                    extra: #""stream":true,"stream_options":{"include_usage":true}"#
                )
            )
            return (response, try DialectAnswer.openAI(response))
        }
        let response = try await keel.post(
            "/v1/messages",
            json:
                #"{"model":"resumable","max_tokens":256,"stream":true,"messages":[{"role":"user","content":"\#(Self.prompt)"}]}"#,
            headers: [("anthropic-version", "2023-06-01")]
        )
        return (response, try DialectAnswer.anthropic(response))
    }

    /// The uncut answer, straight from the simulator.
    static func uncut(_ keel: TestGateway) async throws -> DialectAnswer {
        try DialectAnswer.openAI(
            try await keel.postDirect("/v1/chat/completions", json: chatBody(Self.prompt, model: "keel-sim-chat"))
        )
    }

    /// Cut after 3 of the 12 words, paced so the first words reach the client before the cut.
    static let cut = "fault=truncate after_tokens=3 tps=50"

    /// Every answer 12 words long: a length set per request (`tokens=`) would change the words,
    /// and the continuation is not scripted.
    static let simulator = SimulatorConfiguration(
        models: SimulatedModel.defaults.map { model in
            var model = model
            if model.kind == .chat { model.outputTokens = 12 }
            return model
        }
    )

    @Test(arguments: cases)
    func aStreamCutAfterContentIsContinuedOnAnotherDeploymentAsOneCoherentStream(_ scenario: Case) async throws {
        try await TestKeel.run(
            simulator: Self.simulator,
            configure: { Self.resumable(&$0, first: scenario.first, second: scenario.second) }
        ) { keel in
            keel.simulator.script.enqueue(try SimulatorDirectives(parsing: Self.cut), model: "keel-sim-chat", count: 1)
            let (response, answer) = try await Self.ask(keel, client: scenario.client)
            // One upstream call each: the stream that was cut, then its continuation.
            let paths = ["sim": "/v1/chat/completions", "sim-anthropic": "/v1/messages"]
            for provider in [scenario.first, scenario.second] {
                if let path = paths[provider] { #expect(keel.simulator.requestCount(path: path) == 1, "\(path)") }
            }
            let uncut = try await Self.uncut(keel)
            #expect(response.status == 200)
            #expect(answer.errorEvent == nil)
            #expect(answer.terminated, "one complete stream")
            #expect(
                answer.text == uncut.text,
                "the partial answer and its continuation are the uncut answer, word for word"
            )
            #expect(answer.stopReason == (scenario.client == "openai" ? "stop" : "end_turn"))
            if scenario.client == "openai" {
                #expect(response.events.filter { $0 == "[DONE]" }.count == 1)
                let chunks = response.jsonEvents.filter { ($0["choices"] as? [[String: Any]])?.isEmpty == false }
                let roles = chunks.compactMap {
                    (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["role"]
                }
                #expect(roles.count == 1, "no second role chunk")
                #expect(Set(chunks.compactMap { $0["id"] as? String }).count == 1, "one answer id throughout")
                #expect(
                    chunks.filter { (($0["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String) != nil }
                        .count == 1
                )
            } else {
                let names = DialectAnswer.namedEvents(response.body).map(\.name)
                #expect(names.filter { $0 == "message_start" }.count == 1, "no second message_start")
                #expect(names.filter { $0 == "message_stop" }.count == 1)
                #expect(
                    names.filter { $0 == "content_block_start" }.count == 1,
                    "the continuation goes on in the open text block"
                )
            }

            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .success && record.status == 200 && record.errorClass == nil)
            #expect(record.provider == scenario.second)
            #expect(record.attempts == 2)
            #expect(record.attemptLog.map(\.provider) == [scenario.first, scenario.second])
            #expect(record.attemptLog.map(\.errorClass) == ["stream_interrupted", nil])
            #expect(record.attemptLog.map(\.resumed) == [false, true])
            // The cut attempt's three words plus the continuation's: the uncut answer's count.
            #expect(record.usage.outputTokens == Int64(uncut.outputTokens))
            #expect(answer.outputTokens == uncut.outputTokens)
            #expect(
                record.usage.inputTokens > Int64(uncut.inputTokens),
                "the continuation's prompt holds the partial answer"
            )
        }
    }

    @Test func aStreamStalledPastTheIdleTimeoutAfterContentIsContinuedToo() async throws {
        try await TestKeel.run(
            simulator: Self.simulator,
            configure: { configuration in
                configuration.providers[0].timeouts.idle = .milliseconds(500)
                Self.resumable(&configuration, first: "sim", second: "sim-anthropic")
            }
        ) { keel in
            keel.simulator.script.enqueue(
                try SimulatorDirectives(parsing: "fault=stall at=mid_stream after_tokens=3 stall_ms=20000 tps=50"),
                model: "keel-sim-chat",
                count: 1
            )
            let started = ContinuousClock.now
            let (response, answer) = try await Self.ask(keel, client: "openai")
            #expect(
                ContinuousClock.now - started < .seconds(9),
                "the idle timeout, not the 20 s stall, ended the first stream"
            )
            let uncut = try await Self.uncut(keel)
            #expect(response.status == 200)
            #expect(answer.terminated && answer.errorEvent == nil)
            #expect(answer.text == uncut.text)

            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .success && record.provider == "sim-anthropic")
            #expect(record.attemptLog.map(\.errorClass) == ["upstream_timeout", nil])
            #expect(record.attemptLog.map(\.resumed) == [false, true])
        }
    }

    @Test func withoutStreamResumeTheSameCutEndsWithAnErrorEvent() async throws {
        try await TestKeel.run(
            simulator: Self.simulator,
            configure: { Self.resumable(&$0, first: "sim", second: "sim-anthropic", resume: false) }
        ) { keel in
            keel.simulator.script.enqueue(try SimulatorDirectives(parsing: Self.cut), model: "keel-sim-chat", count: 1)
            let (response, answer) = try await Self.ask(keel, client: "openai")
            #expect(response.status == 200)
            #expect(!answer.terminated)
            #expect(answer.errorEvent?["code"] as? String == "stream_interrupted")
            #expect(answer.text.split(separator: " ").count == 3)
            #expect(keel.simulator.requestCount(path: "/v1/messages") == 0)
            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .interrupted && record.errorClass == "stream_interrupted")
            #expect(record.attempts == 1 && record.attemptLog.isEmpty)
        }
    }

    @Test func whenTheContinuationFailsTooTheClientGetsTheErrorEventAndTheRecordBothAttempts() async throws {
        try await TestKeel.run(
            simulator: Self.simulator,
            configure: { configuration in
                var model = KeelConfiguration.Model(
                    name: "resumable",
                    routes: [
                        .init(provider: "sim", model: "keel-sim-chat"),
                        .init(provider: "sim-anthropic", model: "keel-sim-claude"),
                    ],
                    maxRetries: 0
                )
                model.streamResume = true
                configuration.models.append(model)
            }
        ) { keel in
            keel.simulator.script.enqueue(try SimulatorDirectives(parsing: Self.cut), model: "keel-sim-chat", count: 1)
            keel.simulator.script.enqueue(
                try SimulatorDirectives(parsing: "status=503"),
                model: "keel-sim-claude",
                count: 1
            )
            let (response, answer) = try await Self.ask(keel, client: "openai")
            #expect(response.status == 200)
            #expect(!answer.terminated)
            #expect(answer.errorEvent?["code"] as? String == "stream_interrupted")
            #expect(answer.text.split(separator: " ").count == 3, "the partial answer, and nothing else")
            #expect(keel.simulator.requestCount(path: "/v1/messages", model: "keel-sim-claude") == 1)

            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .interrupted && record.errorClass == "stream_interrupted")
            #expect(record.provider == "sim")
            #expect(record.attempts == 2)
            #expect(record.attemptLog.map(\.provider) == ["sim", "sim-anthropic"])
            #expect(record.attemptLog.map(\.errorClass) == ["stream_interrupted", "upstream_unavailable"])
            #expect(record.attemptLog.map(\.upstreamStatus) == [nil, 503])
            #expect(record.attemptLog.allSatisfy { !$0.resumed })
        }
    }

    @Test func streamResumeIsReadFromYAMLAndNeedsSomewhereToContinue() throws {
        let yaml = """
            providers: [ { name: sim, kind: simulator }, { name: other, kind: simulator } ]
            models:
              - { name: m, stream_resume: true, routes: [ { provider: sim, model: a }, { provider: other, model: a } ] }
              - { name: n, routes: [ { provider: sim, model: a } ] }
            """
        let configuration = try KeelConfiguration.parse(yaml: yaml, environment: [:])
        #expect(configuration.models.map(\.streamResume) == [true, false])

        let bad = """
            providers: [ { name: sim, kind: simulator } ]
            models:
              - { name: m, stream_resume: true, routes: [ { provider: sim, model: a } ] }
              - { name: n, stream_resume: sometimes, routes: [ { provider: sim, model: a } ] }
            """
        do {
            _ = try KeelConfiguration.parse(yaml: bad, environment: [:])
            Issue.record("expected a ConfigurationError")
        } catch let error as ConfigurationError {
            let keys = Set(error.issues.map(\.key))
            #expect(keys.isSuperset(of: ["models[0].stream_resume", "models[1].stream_resume"]))
        }
    }
}
