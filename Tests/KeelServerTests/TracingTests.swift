import Foundation
import KeelCore
import KeelServer
import KeelSimulator
import KeelTesting
import NIOHTTP1
import Testing

/// OpenTelemetry traces over loopback: a gateway exporting to a fake OTLP collector
/// (`OTLPTestCollector`), with the simulator upstream scripted to the fault; each test checks the
/// span tree the collector received: parents, attributes and timing.
@Suite("Tracing")
struct TracingTests {
    /// A client's trace: Keel's request span must be its child.
    static let clientTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let clientSpanID = "00f067aa0ba902b7"
    static let traceparent = "00-\(clientTraceID)-\(clientSpanID)-01"

    static func tracing(_ collector: OTLPTestCollector) -> KeelConfiguration.Tracing {
        KeelConfiguration.Tracing(enabled: true, endpoint: collector.tracesURL, scheduleDelay: .milliseconds(50))
    }

    /// The one server span, and the client spans that are its children, ordered by start.
    static func tree(_ spans: [CollectedSpan]) throws -> (request: CollectedSpan, attempts: [CollectedSpan]) {
        let request = try #require(spans.first { $0.kind == .server }, "spans: \(spans)")
        let attempts = spans.filter { $0.kind == .client }.sorted { $0.startNanos < $1.startNanos }
        for attempt in attempts {
            #expect(attempt.traceID == request.traceID)
            #expect(attempt.parentSpanID == request.spanID, "attempt spans are children of the request span")
            #expect(
                attempt.startNanos >= request.startNanos && attempt.endNanos <= request.endNanos,
                "attempt inside the request: \(attempt)"
            )
        }
        #expect(request.startNanos <= request.endNanos)
        return (request, attempts)
    }

    @Test func aStreamedRequestJoinsTheClientsTraceAndItsAttemptEndsWithTheStream() async throws {
        try await OTLPTestCollector.run { collector in
            try await TestKeel.run(configure: { $0.tracing = Self.tracing(collector) }) { keel in
                let response = try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody(
                        "trace this stream",
                        extra: #""stream":true,"stream_options":{"include_usage":true}"#
                    ),
                    headers: [("traceparent", Self.traceparent), ("x-keel-agent", "planner")]
                )
                #expect(response.status == 200)
                let answer = try DialectAnswer.openAI(response)
                #expect(answer.terminated)
                await keel.shutdown()

                let (request, attempts) = try Self.tree(try await collector.spans(count: 2))
                #expect(request.traceID == Self.clientTraceID)
                #expect(request.parentSpanID == Self.clientSpanID, "Keel's span joins the client's trace")
                #expect(request.name == "chat keel-sim-chat")
                #expect(request.statusCode == 0)
                #expect(request.resource["service.name"]?.string == "keel")
                let attributes = request.attributes
                #expect(attributes["gen_ai.operation.name"]?.string == "chat")
                #expect(attributes["gen_ai.request.model"]?.string == "keel-sim-chat")
                #expect(attributes["gen_ai.response.model"]?.string == "keel-sim-chat")
                #expect(attributes["gen_ai.provider.name"]?.string == "sim")
                #expect(attributes["gen_ai.usage.output_tokens"]?.int == Int64(answer.outputTokens))
                #expect((attributes["gen_ai.usage.input_tokens"]?.int ?? 0) > 0)
                #expect(attributes["gen_ai.response.finish_reasons"]?.array == [.string("stop")])
                #expect(attributes["gen_ai.agent.id"]?.string == "planner")
                #expect(attributes["keel.request.id"]?.string == response.headers["x-keel-request-id"])
                #expect(attributes["keel.stream"]?.bool == true)
                #expect(attributes["keel.attempts"]?.int == 1)
                #expect(attributes["keel.cache.hit"]?.bool == false)
                #expect(attributes["keel.outcome"]?.string == "success")
                #expect(attributes["keel.cost.usd"]?.double != nil)
                #expect(attributes["error.type"] == nil)
                for key in attributes.keys {
                    #expect(!key.contains("prompt") && !key.contains("messages"), "no content on spans: \(key)")
                }

                #expect(attempts.count == 1)
                let attempt = try #require(attempts.first)
                #expect(attempt.name == "chat keel-sim-chat")
                #expect(attempt.attributes["gen_ai.provider.name"]?.string == "sim")
                #expect(attempt.attributes["server.address"]?.string == "127.0.0.1")
                #expect(attempt.attributes["server.port"]?.int == Int64(keel.simulatorPort))
                #expect(attempt.attributes["keel.attempt"]?.int == 1)
                #expect(attempt.statusCode == 0)
            }
        }
    }

    @Test func aFailedOverRequestHasAFailedAttemptThenATranslatedOne() async throws {
        try await OTLPTestCollector.run { collector in
            try await TestKeel.run(configure: {
                $0.tracing = Self.tracing(collector)
                FailoverScenarioTests.pair(&$0)
            }) { keel in
                keel.simulator.script.enqueue(
                    try SimulatorDirectives(parsing: "status=500"),
                    model: "keel-sim-chat",
                    count: 1
                )
                let response = try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody("fail over", model: "pair"),
                    headers: [("traceparent", Self.traceparent)]
                )
                #expect(response.status == 200)
                await keel.shutdown()

                let (request, attempts) = try Self.tree(try await collector.spans(count: 3))
                #expect(request.traceID == Self.clientTraceID)
                #expect(request.attributes["keel.attempts"]?.int == 2)
                #expect(request.attributes["gen_ai.provider.name"]?.string == "sim-anthropic")
                #expect(request.attributes["gen_ai.response.model"]?.string == "keel-sim-claude")
                #expect(request.attributes["gen_ai.response.finish_reasons"]?.array == [.string("stop")])
                #expect(request.statusCode == 0)
                #expect(attempts.count == 2)
                guard attempts.count == 2 else { return }
                let (failed, served) = (attempts[0], attempts[1])
                #expect(failed.attributes["gen_ai.provider.name"]?.string == "sim")
                #expect(failed.statusCode == 2, "a failed attempt has error status")
                #expect(failed.attributes["error.type"]?.string == "upstream_unavailable")
                #expect(failed.attributes["http.response.status_code"]?.int == 500)
                #expect(failed.attributes["keel.attempt"]?.int == 1)
                #expect(served.attributes["gen_ai.provider.name"]?.string == "sim-anthropic")
                #expect(served.attributes["gen_ai.request.model"]?.string == "keel-sim-claude")
                #expect(served.attributes["keel.attempt"]?.int == 2)
                #expect(served.statusCode == 0)
                #expect(failed.endNanos <= served.startNanos, "failover happens after the failure")
            }
        }
    }

    @Test func aTranslatedAnthropicRequestToAnOpenAIUpstreamIsTraced() async throws {
        try await OTLPTestCollector.run { collector in
            try await TestKeel.run(configure: { $0.tracing = Self.tracing(collector) }) { keel in
                let response = try await keel.post(
                    "/v1/messages",
                    json:
                        #"{"model":"via-openai","max_tokens":64,"messages":[{"role":"user","content":"translate me"}]}"#,
                    headers: [("anthropic-version", "2023-06-01"), ("traceparent", Self.traceparent)]
                )
                #expect(response.status == 200)
                #expect(response.json?["type"] as? String == "message")
                await keel.shutdown()

                let (request, attempts) = try Self.tree(try await collector.spans(count: 2))
                #expect(request.parentSpanID == Self.clientSpanID)
                #expect(request.name == "chat via-openai")
                #expect(request.attributes["gen_ai.request.model"]?.string == "via-openai")
                #expect(request.attributes["gen_ai.provider.name"]?.string == "sim")
                #expect(request.attributes["gen_ai.response.finish_reasons"]?.array == [.string("end_turn")])
                #expect(request.attributes["keel.stream"]?.bool == false)
                #expect((request.attributes["gen_ai.usage.output_tokens"]?.int ?? 0) > 0)
                #expect(attempts.count == 1)
                #expect(attempts.first?.attributes["gen_ai.request.model"]?.string == "keel-sim-chat")
            }
        }
    }

    @Test func theUpstreamReceivesATraceparentWhoseParentIsTheAttemptSpan() async throws {
        try await OTLPTestCollector.run { collector in
            try await TestKeel.run(configure: {
                $0.tracing = Self.tracing(collector)
                $0.providers.append(
                    .init(name: "stub", kind: .openai, baseURL: collector.baseURL + "/v1", apiKey: Secret("sk-stub"))
                )
                $0.models.append(.init(name: "stub-model", routes: [.init(provider: "stub", model: "stub-model")]))
            }) { keel in
                let response = try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody("propagate", model: "stub-model"),
                    headers: [("traceparent", Self.traceparent), ("tracestate", "vendor=opaque")]
                )
                #expect(response.status == 200)
                await keel.shutdown()

                let (_, attempts) = try Self.tree(try await collector.spans(count: 2))
                let attempt = try #require(attempts.first)
                let headers = try #require(collector.upstreamHeaders.last)
                let sent = try #require(headers["traceparent"]).split(separator: "-").map(String.init)
                #expect(sent.count == 4)
                #expect(sent[1] == Self.clientTraceID, "the upstream joins the client's trace")
                #expect(sent[2] == attempt.spanID, "the upstream's parent is the attempt span")
                #expect(sent[3] == "01")
                #expect(headers["tracestate"] == "vendor=opaque")
            }
        }
    }

    @Test func withTracingOffTheUpstreamGetsNoTraceparent() async throws {
        try await OTLPTestCollector.run { collector in
            try await TestKeel.run(configure: {
                $0.providers.append(
                    .init(name: "stub", kind: .openai, baseURL: collector.baseURL + "/v1", apiKey: Secret("sk-stub"))
                )
                $0.models.append(.init(name: "stub-model", routes: [.init(provider: "stub", model: "stub-model")]))
            }) { keel in
                let response = try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody("no tracing", model: "stub-model"),
                    headers: [("traceparent", Self.traceparent)]
                )
                #expect(response.status == 200)
                let metrics = try await keel.send(.GET, "/metrics")
                #expect(!metrics.body.contains("keel_tracing"))
                await keel.shutdown()
                #expect(
                    collector.upstreamHeaders.last?["traceparent"] == nil,
                    "the client's header is not forwarded either"
                )
                #expect(collector.exports == 0)
            }
        }
    }

    @Test func aResumedStreamHasTheCutAttemptAndItsContinuation() async throws {
        try await OTLPTestCollector.run { collector in
            try await TestKeel.run(
                simulator: StreamResumeTests.simulator,
                configure: {
                    $0.tracing = Self.tracing(collector)
                    StreamResumeTests.resumable(&$0, first: "sim", second: "sim-anthropic")
                }
            ) { keel in
                keel.simulator.script.enqueue(
                    try SimulatorDirectives(parsing: StreamResumeTests.cut),
                    model: "keel-sim-chat",
                    count: 1
                )
                let (response, answer) = try await StreamResumeTests.ask(keel, client: "openai")
                #expect(response.status == 200)
                #expect(answer.terminated && answer.errorEvent == nil)
                await keel.shutdown()

                let (request, attempts) = try Self.tree(try await collector.spans(count: 3))
                #expect(request.statusCode == 0)
                #expect(request.attributes["keel.attempts"]?.int == 2)
                #expect(request.attributes["gen_ai.provider.name"]?.string == "sim-anthropic")
                #expect(attempts.count == 2)
                guard attempts.count == 2 else { return }
                let (cut, continuation) = (attempts[0], attempts[1])
                #expect(cut.attributes["gen_ai.provider.name"]?.string == "sim")
                #expect(cut.statusCode == 2, "the cut stream's attempt failed")
                #expect(cut.attributes["error.type"]?.string == KeelError.streamInterrupted().metricLabel)
                #expect(cut.attributes["keel.attempt.resumed"] == nil)
                #expect(continuation.attributes["gen_ai.provider.name"]?.string == "sim-anthropic")
                #expect(continuation.attributes["keel.attempt.resumed"]?.bool == true)
                #expect(continuation.statusCode == 0)
                #expect(
                    cut.endNanos <= continuation.startNanos,
                    "the cut attempt ended with its stream, before the continuation"
                )
            }
        }
    }

    @Test func aHedgedStreamHasBothAttemptsAndTheLoserIsMarkedHedgeLost() async throws {
        try await OTLPTestCollector.run { collector in
            try await TestKeel.run(configure: {
                $0.tracing = Self.tracing(collector)
                HedgingTests.hedged(&$0)
            }) { keel in
                keel.simulator.script.enqueue(
                    try SimulatorDirectives(parsing: "fault=stall at=first_token stall_ms=30000"),
                    model: "keel-sim-chat",
                    count: 1
                )
                let response = try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody(
                        "hedge me",
                        model: "hedged",
                        extra: #""stream":true,"stream_options":{"include_usage":true}"#
                    )
                )
                #expect(response.status == 200)
                await keel.shutdown()

                let (request, attempts) = try Self.tree(try await collector.spans(count: 3))
                #expect(request.statusCode == 0)
                #expect(request.attributes["gen_ai.provider.name"]?.string == "sim-anthropic")
                let loser = try #require(attempts.first { $0.attributes["gen_ai.provider.name"]?.string == "sim" })
                let winner = try #require(
                    attempts.first { $0.attributes["gen_ai.provider.name"]?.string == "sim-anthropic" }
                )
                #expect(loser.statusCode == 2 && loser.attributes["error.type"]?.string == "hedge_lost")
                #expect(winner.statusCode == 0)
                #expect(winner.startNanos < loser.endNanos, "the two attempts overlapped")
            }
        }
    }

    @Test func aFailedRequestHasAnErrorSpan() async throws {
        try await OTLPTestCollector.run { collector in
            try await TestKeel.run(configure: { $0.tracing = Self.tracing(collector) }) { keel in
                let response = try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody("nope", model: "no-such-model")
                )
                #expect(response.status == 404)
                await keel.shutdown()
                let spans = try await collector.spans(count: 1)
                let request = try #require(spans.first)
                #expect(request.parentSpanID == nil, "no client trace: a new root")
                #expect(request.statusCode == 2)
                #expect(request.attributes["error.type"]?.string == "model_not_found")
                #expect(request.attributes["http.response.status_code"]?.int == 404)
            }
        }
    }

    @Test func spansThatCannotBeExportedAreCountedOnMetrics() async throws {
        try await TestKeel.run(configure: {
            // Nothing listens on port 1: every export fails.
            $0.tracing = KeelConfiguration.Tracing(
                enabled: true,
                endpoint: "http://127.0.0.1:1/v1/traces",
                scheduleDelay: .milliseconds(20),
                exportTimeout: .milliseconds(500)
            )
        }) { keel in
            let response = try await keel.post("/v1/chat/completions", json: chatBody("lost span"))
            #expect(response.status == 200)
            var dropped = 0
            for _ in 0..<250 where dropped < 2 {
                let metrics = try await keel.send(.GET, "/metrics").body
                let line = metrics.split(separator: "\n").first {
                    $0.hasPrefix(#"keel_tracing_spans_dropped_total{reason="export_failed"}"#)
                }
                dropped = line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
                if dropped < 2 { try await Task.sleep(for: .milliseconds(40)) }
            }
            #expect(dropped == 2, "the request span and its attempt span")
            await keel.shutdown()
            let records = try await keel.records()
            #expect(records.count == 1, "records are never dropped")
        }
    }
}

@Suite("Tracing configuration")
struct TracingConfigurationTests {
    static func parse(_ yaml: String, _ environment: [String: String] = [:]) throws -> KeelConfiguration.Tracing {
        try KeelConfiguration.parse(yaml: yaml, environment: environment).tracing
    }

    @Test func tracingIsOffUnlessAnEndpointIsConfigured() throws {
        #expect(try Self.parse("").enabled == false)
        #expect(try KeelConfiguration.builtInDefault(environment: [:]).tracing.enabled == false)
        let file = try Self.parse("tracing: { endpoint: http://collector:4318 }")
        #expect(file.enabled)
        #expect(file.endpoint == "http://collector:4318/v1/traces")
    }

    @Test func theStandardVariablesConfigureTracingWithoutAFile() throws {
        let base = try KeelConfiguration.builtInDefault(environment: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/",
            "OTEL_EXPORTER_OTLP_HEADERS": "x-honeycomb-team=abc%3D1, other = two",
            "OTEL_SERVICE_NAME": "gateway-eu",
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "0.25",
        ]).tracing
        #expect(base.enabled)
        #expect(base.endpoint == "http://collector:4318/v1/traces", "the shared endpoint gets /v1/traces appended")
        #expect(base.headers.map(\.name) == ["x-honeycomb-team", "other"])
        #expect(base.headers.map { $0.value.withExposedValue { $0 } } == ["abc=1", "two"])
        #expect(base.serviceName == "gateway-eu")
        #expect(base.sampler == .parentBasedTraceIDRatio(0.25))

        let exact = try Self.parse(
            "tracing: { endpoint: http://ignored:4318 }",
            [
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://api.example.com/otlp/traces",
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:1",
            ]
        )
        #expect(
            exact.endpoint == "https://api.example.com/otlp/traces",
            "the traces endpoint is used as is, before the shared one"
        )
    }

    @Test func theFileCanTurnTracingOffAndSoCanTheSDKSwitch() throws {
        #expect(
            try Self.parse("tracing: { enabled: false }", ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"]).enabled
                == false
        )
        #expect(try Self.parse("tracing: { endpoint: http://c:4318 }", ["OTEL_SDK_DISABLED": "true"]).enabled == false)
        #expect(
            try Self.parse("tracing: { endpoint: http://c:4318 }", ["OTEL_TRACES_EXPORTER": "none"]).enabled == false
        )
        let on = try Self.parse("tracing: { enabled: true }")
        #expect(on.enabled && on.endpoint == KeelConfiguration.Tracing.defaultEndpoint)
    }

    @Test func invalidSettingsAreReportedWithTheirKey() throws {
        let error = try #require(
            throws: ConfigurationError.self,
            performing: {
                try Self.parse(
                    """
                    tracing:
                      endpoint: collector:4318
                      sampler: sometimes
                      protocol: grpc
                      max_queue_size: 10
                      max_export_batch_size: 20
                      colour: blue
                    """,
                    ["OTEL_BSP_SCHEDULE_DELAY": "soon"]
                )
            }
        )
        let keys = Set(error.issues.map(\.key))
        #expect(
            keys.isSuperset(of: [
                "tracing.endpoint", "tracing.sampler", "tracing.protocol", "tracing.max_export_batch_size",
                "tracing.colour", "OTEL_BSP_SCHEDULE_DELAY",
            ])
        )
        #expect(error.issues.first { $0.key == "tracing.protocol" }?.reason.contains("http/protobuf") == true)
        #expect(throws: ConfigurationError.self) {
            try KeelConfiguration.builtInDefault(environment: ["OTEL_TRACES_SAMPLER": "always_maybe"])
        }
    }

    @Test func anEndedAgentTaskIsOneInvokeAgentSpanFromItsStartToItsEnd() async throws {
        try await OTLPTestCollector.run { collector in
            try await TestKeel.run(configure: { $0.tracing = TracingTests.tracing(collector) }) { keel in
                let queued = try await keel.post("/v1/tasks", json: #"{"agent":"planner","id":"traced-task"}"#)
                #expect(queued.status == 201, "\(queued.body)")
                _ = try await keel.post("/v1/tasks/claim", json: #"{"agent":"planner"}"#)
                let step = try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody("plan the day"),
                    headers: [("x-keel-agent", "planner"), ("x-keel-task", "traced-task")]
                )
                #expect(step.status == 200)
                try await Task.sleep(for: .milliseconds(100))
                let ended = try await keel.post(
                    "/v1/tasks/traced-task/outcome",
                    json: #"{"outcome":"failure"}"#,
                    headers: [("x-keel-agent", "planner")]
                )
                #expect(ended.status == 200, "\(ended.body)")
                await keel.shutdown()

                let spans = try await collector.spans(count: 3)
                let task = try #require(spans.first { $0.name == "invoke_agent planner" }, "\(spans)")
                #expect(task.kind == .internal)
                #expect(task.attributes["gen_ai.operation.name"]?.string == "invoke_agent")
                #expect(task.attributes["gen_ai.agent.id"]?.string == "planner")
                #expect(task.attributes["keel.task.id"]?.string == "traced-task")
                #expect(task.attributes["keel.task.outcome"]?.string == "failure")
                #expect(task.statusCode == 2, "a failed task's span is an error")
                let request = try #require(spans.first { $0.kind == .server })
                #expect(
                    task.startNanos <= request.startNanos && task.endNanos >= request.endNanos,
                    "the task spans its steps"
                )
            }
        }
    }
}
