import Foundation
import KeelCore
import KeelServer
import KeelTesting
import NIOHTTP1
import Synchronization
import Testing

/// Tool calls in model answers held to the agent's `tools`, with the providers' own answers
/// (their documentation's examples, served verbatim by a loopback upstream): a complete answer
/// calling a tool outside the scope is refused; a stream releases nothing of the call and ends
/// with an error event, or is refused whole when the call comes before anything else.
///
/// The OpenAI answers call `get_weather` twice; the Anthropic answers write some text, then call
/// `get_weather` and `get_time`. The requests offer no tool: the calls are the model's own.
@Suite("Tool calls in agents' answers")
struct AgentAnswerScopeTests {
    static func send(
        _ keel: TestGateway,
        client: APIDialect,
        model: String,
        stream: Bool,
        key: String
    ) async throws
        -> TestResponse
    {
        let extra = stream ? #""stream":true"# : ""
        if client == .anthropic {
            return try await keel.post(
                "/v1/messages",
                json: AnthropicIngressTests.body("weather and time?", model: model, extra: extra),
                key: key
            )
        }
        return try await keel.post(
            "/v1/chat/completions",
            json: chatBody("weather and time?", model: model, extra: extra),
            key: key
        )
    }

    static func run(_ body: @Sendable (TestGateway, [String: String]) async throws -> Void) async throws {
        try await GuardUpstream.run(configure: { _ in }) { upstream, keel in
            upstream.fixture.withLock { $0 = "parallel-tools" }
            var keys: [String: String] = [:]
            for (id, tools) in [
                ("weather", #"["get_weather"]"#), ("clock", #"["get_time","search/*"]"#), ("both", #"["get_*"]"#),
            ] {
                _ = try await AgentRegistryTests.register(keel, #"{"id":"\#(id)","name":"\#(id)","tools":\#(tools)}"#)
                keys[id] = try await AgentRegistryTests.agentKey(keel, agent: id)
            }
            try await body(keel, keys)
        }
    }

    @Test(arguments: [APIDialect.openAI, .anthropic])
    func aTaskStepListsTheToolCallsItsAnswerMade(client: APIDialect) async throws {
        try await Self.run { keel, keys in
            let task = "tools-\(client.rawValue)"
            var expected: [[String]] = []
            for (model, stream) in [
                ("echo-openai", false), ("echo-anthropic", true), ("echo-anthropic", false), ("echo-openai", true),
            ] {
                let extra = stream ? #""stream":true"# : ""
                let body =
                    client == .anthropic
                    ? AnthropicIngressTests.body("weather and time?", model: model, extra: extra)
                    : chatBody("weather and time?", model: model, extra: extra)
                let answer = try await keel.post(
                    client == .anthropic ? "/v1/messages" : "/v1/chat/completions",
                    json: body,
                    key: keys["both"]!,
                    headers: [("x-keel-task", task)]
                )
                #expect(answer.status == 200, "\(answer.body)")
                expected.append(model == "echo-openai" ? ["get_weather", "get_weather"] : ["get_weather", "get_time"])
            }
            var steps: [[String: Any]] = []
            try await eventually {
                steps = try await keel.send(.GET, "/admin/v1/tasks/\(task)").json?["steps"] as? [[String: Any]] ?? []
                return steps.count == 4
            }
            #expect(steps.map { $0["tool_calls"] as? [String] ?? [] } == expected, "\(steps)")
            #expect(steps.allSatisfy { $0["tool"] == nil }, "a model call is no tool call")
        }
    }

    @Test(arguments: [APIDialect.openAI, .anthropic])
    func completeAnswersCallingAToolOutsideTheScopeAreRefused(client: APIDialect) async throws {
        try await Self.run { keel, keys in
            let passthrough = client == .anthropic ? "echo-anthropic" : "echo-openai"
            let translated = client == .anthropic ? "echo-openai" : "echo-anthropic"
            // get_weather only: the OpenAI answer passes, the Anthropic one (get_time too) does not.
            let openAIAnswer = try await Self.send(
                keel,
                client: client,
                model: client == .openAI ? passthrough : translated,
                stream: false,
                key: keys["weather"]!
            )
            #expect(openAIAnswer.status == 200, "\(openAIAnswer.body)")
            #expect(openAIAnswer.body.contains("get_weather"))
            let anthropicAnswer = try await Self.send(
                keel,
                client: client,
                model: client == .anthropic ? passthrough : translated,
                stream: false,
                key: keys["weather"]!
            )
            #expect(anthropicAnswer.status == 403, "\(anthropicAnswer.body)")
            #expect(anthropicAnswer.body.contains("calls the tool 'get_time'"), "\(anthropicAnswer.body)")
            #expect(!anthropicAnswer.body.contains("toolu_"), "nothing of the answer is released")
            if client == .openAI {
                #expect(AgentRegistryTests.refusal(anthropicAnswer) == "agent_scope_violation")
            } else {
                #expect(anthropicAnswer.json?["type"] as? String == "error")
            }
            // get_time and search tools only: the OpenAI answer's get_weather is refused.
            let clock = try await Self.send(
                keel,
                client: client,
                model: "echo-openai",
                stream: false,
                key: keys["clock"]!
            )
            #expect(clock.status == 403 && clock.body.contains("calls the tool 'get_weather'"), "\(clock.body)")
            // Both in scope through a pattern.
            let both = try await Self.send(
                keel,
                client: client,
                model: "echo-anthropic",
                stream: false,
                key: keys["both"]!
            )
            #expect(both.status == 200 && both.body.contains("get_time"), "\(both.body)")

            await keel.shutdown()
            let records = try await keel.records()
            #expect(records.count == 4)
            let refused = records.filter { $0.status == 403 }
            #expect(refused.count == 2)
            for record in refused {
                #expect(record.errorClass == "agent_scope_violation")
                #expect(record.usage.outputTokens > 0, "the upstream's usage is kept: it billed the answer")
            }
        }
    }

    @Test(arguments: [APIDialect.openAI, .anthropic])
    func streamsWithholdACallOutsideTheScopeAndEndWithAnError(client: APIDialect) async throws {
        try await Self.run { keel, keys in
            // The Anthropic stream: text, get_weather, then get_time, outside the scope.
            let cut = try await Self.send(
                keel,
                client: client,
                model: "echo-anthropic",
                stream: true,
                key: keys["weather"]!
            )
            #expect(cut.status == 200, "\(cut.body)")
            #expect(cut.body.contains("get_weather"), "the call in scope went out: \(cut.body)")
            #expect(!cut.body.contains(#""name":"get_time""#), "the call outside it did not: \(cut.body)")
            if client == .openAI {
                #expect(cut.body.contains(#""code":"agent_scope_violation""#), "\(cut.body)")
                #expect(!cut.body.contains("[DONE]"))
            } else {
                #expect(cut.body.contains("event: error"), "\(cut.body)")
                #expect(!cut.body.contains("message_stop"))
            }
            // The OpenAI stream starts with get_weather: refused before anything went out.
            let refused = try await Self.send(
                keel,
                client: client,
                model: "echo-openai",
                stream: true,
                key: keys["clock"]!
            )
            #expect(refused.status == 403, "\(refused.body)")
            #expect(refused.body.contains("calls the tool 'get_weather'"), "\(refused.body)")
            // In scope: the whole stream, to its end.
            let whole = try await Self.send(
                keel,
                client: client,
                model: "echo-anthropic",
                stream: true,
                key: keys["both"]!
            )
            #expect(whole.status == 200 && whole.body.contains("get_time"), "\(whole.body)")
            #expect(whole.body.contains(client == .openAI ? "[DONE]" : "message_stop"), "\(whole.body)")

            await keel.shutdown()
            let records = try await keel.records()
            #expect(records.count == 3)
            let interrupted = try #require(records.first { $0.outcome == .interrupted })
            #expect(interrupted.errorClass == "agent_scope_violation" && interrupted.status == 200)
            let whole403 = try #require(records.first { $0.status == 403 })
            #expect(whole403.errorClass == "agent_scope_violation")
            #expect(records.filter { $0.outcome == .success }.count == 1)
        }
    }

    /// The pending escalation of `tool` once it shows, by id.
    static func pending(_ keel: TestGateway, tool: String) async throws -> String {
        for _ in 0..<200 {
            let listed = try await keel.send(.GET, "/admin/v1/escalations?state=pending")
            if let found = (listed.json?["data"] as? [[String: Any]] ?? []).first(where: {
                $0["tool"] as? String == tool
            }),
                let id = found["id"] as? String
            {
                return id
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("no pending escalation for \(tool)")
        return ""
    }

    @Test(arguments: [APIDialect.openAI, .anthropic])
    func anAnswerCallingAGatedToolWaitsForAReviewer(client: APIDialect) async throws {
        try await GuardUpstream.run(configure: { _ in }) { upstream, keel in
            upstream.fixture.withLock { $0 = "parallel-tools" }
            _ = try await AgentRegistryTests.register(
                keel,
                #"{"id":"gated","name":"Gated","approvals":{"tools":["get_time"],"timeout_seconds":60}}"#
            )
            let key = try await AgentRegistryTests.agentKey(keel, agent: "gated")

            // Complete: the answer is released once approved.
            async let complete = Self.send(keel, client: client, model: "echo-anthropic", stream: false, key: key)
            let first = try await Self.pending(keel, tool: "get_time")
            let escalation = try await keel.send(.GET, "/admin/v1/escalations/\(first)")
            #expect(
                escalation.json?["server"] is NSNull && escalation.json?["kind"] as? String == "tool_call",
                "\(escalation.body)"
            )
            // The call's own arguments (translated to OpenAI, the same input): the approval is bound to them.
            #expect(
                (escalation.json?["arguments"] as? [String: Any])?["timezone"] as? String == "America/Los_Angeles",
                "\(escalation.body)"
            )
            _ = try await keel.post("/admin/v1/escalations/\(first)/approve", json: "{}")
            let released = try await complete
            #expect(released.status == 200 && released.body.contains("get_time"), "\(released.body)")

            // Streamed: held from the gated call on, with a comment while it waits; then released.
            async let stream = Self.send(keel, client: client, model: "echo-anthropic", stream: true, key: key)
            let second = try await Self.pending(keel, tool: "get_time")
            _ = try await keel.post("/admin/v1/escalations/\(second)/approve", json: "{}")
            let streamed = try await stream
            #expect(streamed.body.contains(": keel: awaiting a reviewer's approval"), "\(streamed.body)")
            #expect(streamed.body.contains(#""name":"get_time""#) && streamed.body.contains(#""name":"get_weather""#))
            #expect(streamed.body.contains(client == .openAI ? "[DONE]" : "message_stop"), "\(streamed.body)")

            // Denied: the gated call never reaches the client, the stream ends with the denial.
            async let refused = Self.send(keel, client: client, model: "echo-anthropic", stream: true, key: key)
            let third = try await Self.pending(keel, tool: "get_time")
            _ = try await keel.post("/admin/v1/escalations/\(third)/deny", json: #"{"reason":"no clocks today"}"#)
            let denied = try await refused
            #expect(!denied.body.contains(#""name":"get_time""#), "\(denied.body)")
            #expect(
                denied.body.contains("no clocks today")
                    && denied.body.contains(client == .openAI ? "approval_denied" : "permission_error")
            )

            await keel.shutdown()
            let records = try await keel.records()
            #expect(records.filter { $0.outcome == .success }.count == 2)
            #expect(records.contains { $0.outcome == .interrupted && $0.errorClass == "approval_denied" })
        }
    }
}
