import Foundation
import KeelCore
import KeelServer
import KeelTesting
import NIOHTTP1
import Testing

/// The agent registry on the data plane: keys bound to agents, scope, registration, and the kill
/// switch (new requests refused, requests in flight cancelled), in both client dialects.
@Suite("Agent registry and kill switch")
struct AgentRegistryTests {
    /// A data-plane key bound to `agent`, made through the admin API.
    static func agentKey(_ keel: TestGateway, agent: String, team: String? = nil) async throws -> String {
        let body = team.map { #"{"agent":"\#(agent)","team":"\#($0)"}"# } ?? #"{"agent":"\#(agent)"}"#
        let created = try await keel.post("/admin/v1/keys", json: body)
        #expect(created.status == 201, "\(created.body)")
        #expect(created.json?["agent"] as? String == agent)
        return try #require(created.json?["key"] as? String)
    }

    static func register(_ keel: TestGateway, _ json: String) async throws -> TestResponse {
        let created = try await keel.post("/admin/v1/agents", json: json)
        #expect(created.status == 201, "\(created.body)")
        return created
    }

    /// A request in `dialect` (`openai` or `anthropic`), streamed or not.
    static func call(
        _ keel: TestGateway,
        dialect: String,
        stream: Bool,
        model: String = "keel-sim-chat",
        prompt: String = "hello",
        key: String,
        headers: [(String, String)] = []
    ) async throws -> TestResponse {
        let extra = stream ? #""stream":true"# : ""
        if dialect == "anthropic" {
            return try await keel.post(
                "/v1/messages",
                json: AnthropicIngressTests.body(prompt, model: model, extra: extra),
                key: key,
                headers: headers
            )
        }
        return try await keel.post(
            "/v1/chat/completions",
            json: chatBody(prompt, model: model, extra: extra),
            key: key,
            headers: headers
        )
    }

    /// The error code of a refusal in either dialect (OpenAI `error.code`, or the message of an
    /// Anthropic error, which carries no code: the test then matches the message).
    static func refusal(_ response: TestResponse) -> String {
        let error = response.json?["error"] as? [String: Any]
        return (error?["code"] as? String) ?? (error?["type"] as? String ?? "") + ": "
            + (error?["message"] as? String ?? "")
    }

    static let dialects = ["openai", "anthropic"]

    @Test func agentsAreRegisteredChangedVersionedSuspendedAndDeletedThroughTheAPI() async throws {
        try await TestKeel.run { keel in
            let created = try await Self.register(
                keel,
                #"{"id":"support-bot","name":"Support bot","version":"1.0","models":["keel-sim-chat"],"tools":["zendesk/*"]}"#
            )
            #expect(created.json?["state"] as? String == "active")
            #expect(created.json?["offered_tools"] as? String == "refuse")
            #expect((created.json?["versions"] as? [[String: Any]])?.map { $0["version"] as? String } == ["1.0"])

            // Checked input: unknown members, unknown models, bad tools, a bad id, a taken id.
            for (body, param) in [
                (#"{"name":"x","colour":"red"}"#, "colour"),
                (#"{"name":"x","models":["no-such-model"]}"#, "models"),
                (#"{"name":"x","tools":["a/b/c"]}"#, "tools"),
                (#"{"id":"has space","name":"x"}"#, "id"),
                (#"{"name":""}"#, "name"),
                (#"{"name":"x","offered_tools":"ignore"}"#, "offered_tools"),
            ] {
                let refused = try await keel.post("/admin/v1/agents", json: body)
                #expect(refused.status == 400, "\(body): \(refused.body)")
                #expect((refused.json?["error"] as? [String: Any])?["param"] as? String == param, "\(refused.body)")
            }
            #expect(
                try await keel.post("/admin/v1/agents", json: #"{"id":"support-bot","name":"again"}"#).status == 409
            )

            let patched = try await keel.send(
                .PATCH,
                "/admin/v1/agents/support-bot",
                body: #"{"version":"1.1","tools":null}"#
            )
            #expect(patched.status == 200, "\(patched.body)")
            #expect(patched.json?["tools"] == nil && patched.json?["name"] as? String == "Support bot")
            #expect(
                (patched.json?["versions"] as? [[String: Any]])?.map { $0["version"] as? String } == ["1.0", "1.1"]
            )

            let suspended = try await keel.post("/admin/v1/agents/support-bot/suspend", json: #"{"reason":"looping"}"#)
            #expect(suspended.status == 200, "\(suspended.body)")
            #expect(suspended.json?["state"] as? String == "suspended")
            #expect(suspended.json?["suspended_reason"] as? String == "looping")
            let listed = try await keel.send(.GET, "/admin/v1/agents?state=suspended")
            #expect((listed.json?["data"] as? [[String: Any]])?.map { $0["id"] as? String } == ["support-bot"])
            #expect(
                try await keel.post("/admin/v1/agents/support-bot/resume", json: "").json?["state"] as? String
                    == "active"
            )
            #expect(try await keel.send(.GET, "/admin/v1/agents/nobody").status == 404)
            #expect(try await keel.send(.DELETE, "/admin/v1/agents/support-bot").status == 200)
            #expect(try await keel.send(.GET, "/admin/v1/agents/support-bot").status == 404)

            // Every change is in the audit log (appended with the recorder's next batch).
            let expected: Set = ["agents.create", "agents.update", "agents.suspend", "agents.resume", "agents.delete"]
            var actions: Set<String> = []
            let deadline = ContinuousClock.now + .seconds(10)
            while !expected.isSubset(of: actions), ContinuousClock.now < deadline {
                actions = Set(try await PolicyAdminTests.adminChanges(keel).compactMap { $0["action"] as? String })
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(expected.isSubset(of: actions), "\(actions)")
        }
    }

    @Test(arguments: Self.dialects)
    func aKeyBoundToAnAgentCannotActAsAnotherAndIsKeptToItsModels(dialect: String) async throws {
        try await TestKeel.run { keel in
            _ = try await Self.register(keel, #"{"id":"writer","name":"Writer","models":["keel-sim-chat"]}"#)
            let key = try await Self.agentKey(keel, agent: "writer")
            for stream in [false, true] {
                let own = try await Self.call(keel, dialect: dialect, stream: stream, key: key)
                #expect(own.status == 200, "\(own.body)")
                let same = try await Self.call(
                    keel,
                    dialect: dialect,
                    stream: stream,
                    key: key,
                    headers: [("x-keel-agent", "writer")]
                )
                #expect(same.status == 200, "\(same.body)")
                let spoofed = try await Self.call(
                    keel,
                    dialect: dialect,
                    stream: stream,
                    key: key,
                    headers: [("x-keel-agent", "admin-bot")]
                )
                #expect(spoofed.status == 403, "\(spoofed.body)")
                #expect(spoofed.body.contains("belongs to the agent 'writer'"), "\(spoofed.body)")
                let otherModel = try await Self.call(
                    keel,
                    dialect: dialect,
                    stream: stream,
                    model: "via-anthropic",
                    key: key
                )
                #expect(otherModel.status == 403, "\(otherModel.body)")
                #expect(otherModel.body.contains("may not call the model 'via-anthropic'"), "\(otherModel.body)")
                if dialect == "openai" {
                    #expect(Self.refusal(spoofed) == "agent_scope_violation")
                } else {
                    #expect(spoofed.json?["type"] as? String == "error")
                    #expect((spoofed.json?["error"] as? [String: Any])?["type"] as? String == "permission_error")
                }
            }
            await keel.shutdown()
            let records = try await keel.records()
            #expect(records.count == 8)
            #expect(
                records.allSatisfy { $0.agentID == "writer" },
                "a bound key's requests are its agent's, refused or not"
            )
            #expect(records.filter { $0.errorClass == "agent_scope_violation" && $0.status == 403 }.count == 4)
        }
    }

    /// The tools of a request in `dialect`, by name, and a `tool_choice` that requires a call.
    static func toolsExtra(_ names: [String], dialect: String, stream: Bool) -> String {
        let tools =
            dialect == "anthropic"
            ? names.map { #"{"name":"\#($0)","input_schema":{"type":"object","properties":{}}}"# }
            : names.map {
                #"{"type":"function","function":{"name":"\#($0)","parameters":{"type":"object","properties":{}}}}"#
            }
        let choice = dialect == "anthropic" ? #"{"type":"any"}"# : #""required""#
        return #""tools":[\#(tools.joined(separator: ","))],"tool_choice":\#(choice)"#
            + (stream ? #","stream":true"# : "")
    }

    static func callWithTools(
        _ keel: TestGateway,
        dialect: String,
        stream: Bool,
        tools: [String],
        key: String
    ) async throws
        -> TestResponse
    {
        let extra = Self.toolsExtra(tools, dialect: dialect, stream: stream)
        if dialect == "anthropic" {
            return try await keel.post(
                "/v1/messages",
                json: AnthropicIngressTests.body("look it up", model: "keel-sim-chat", extra: extra),
                key: key
            )
        }
        return try await keel.post("/v1/chat/completions", json: chatBody("look it up", extra: extra), key: key)
    }

    @Test(arguments: Self.dialects)
    func toolsOutsideAnAgentsScopeAreRefusedOrTakenOutOfTheRequest(dialect: String) async throws {
        try await TestKeel.run { keel in
            _ = try await Self.register(keel, #"{"id":"strict","name":"Strict","tools":["search","zendesk/*"]}"#)
            _ = try await Self.register(
                keel,
                #"{"id":"lenient","name":"Lenient","tools":["search"],"offered_tools":"remove"}"#
            )
            let strict = try await Self.agentKey(keel, agent: "strict")
            let lenient = try await Self.agentKey(keel, agent: "lenient")
            for stream in [false, true] {
                let allowed = try await Self.callWithTools(
                    keel,
                    dialect: dialect,
                    stream: stream,
                    tools: ["search"],
                    key: strict
                )
                #expect(allowed.status == 200, "\(allowed.body)")
                let refused = try await Self.callWithTools(
                    keel,
                    dialect: dialect,
                    stream: stream,
                    tools: ["search", "delete_db"],
                    key: strict
                )
                #expect(refused.status == 403, "\(refused.body)")
                #expect(refused.body.contains("may not be offered the tools 'delete_db'"), "\(refused.body)")

                // Taken out: the model only sees (and so only calls) the tool in scope.
                let trimmed = try await Self.callWithTools(
                    keel,
                    dialect: dialect,
                    stream: stream,
                    tools: ["delete_db", "search"],
                    key: lenient
                )
                #expect(trimmed.status == 200, "\(trimmed.body)")
                #expect(trimmed.body.contains("search"), "\(trimmed.body)")
                #expect(!trimmed.body.contains("delete_db"), "\(trimmed.body)")
            }
        }
    }

    @Test func withRegistrationRequiredOnlyRegisteredAgentsMayBeNamed() async throws {
        try await TestKeel.run(configure: { $0.agents.requireRegistration = true }) { keel in
            _ = try await Self.register(keel, #"{"id":"planner","name":"Planner"}"#)
            let headers = { (agent: String) in [("x-keel-agent", agent)] }
            #expect(
                try await keel.post("/v1/chat/completions", json: chatBody("hi"), headers: headers("planner")).status
                    == 200
            )
            let unknown = try await keel.post("/v1/chat/completions", json: chatBody("hi"), headers: headers("ghost"))
            #expect(unknown.status == 403, "\(unknown.body)")
            #expect(unknown.body.contains("not registered"))
            #expect(try await keel.post("/v1/chat/completions", json: chatBody("no agent")).status == 200)
        }
    }

    @Test(arguments: Self.dialects)
    func aSuspendedAgentIsRefusedAndItsRequestsInFlightAreCancelled(dialect: String) async throws {
        try await TestKeel.run { keel in
            _ = try await Self.register(keel, #"{"id":"runner","name":"Runner"}"#)
            let key = try await Self.agentKey(keel, agent: "runner")
            #expect(try await Self.call(keel, dialect: dialect, stream: false, key: key).status == 200)

            // One answer that would take 30 s to start, one stream that would take 30 s to end.
            let slowAnswer = Task {
                try await Self.call(
                    keel,
                    dialect: dialect,
                    stream: false,
                    prompt: "[sim latency_ms=30000 tokens=5] wait",
                    key: key
                )
            }
            let slowStream = Task {
                try await Self.call(
                    keel,
                    dialect: dialect,
                    stream: true,
                    prompt: "[sim ttft_ms=10 tps=10 tokens=300] go",
                    key: key
                )
            }
            try await Task.sleep(for: .milliseconds(600))
            let started = ContinuousClock.now
            let suspended = try await keel.post("/admin/v1/agents/runner/suspend", json: #"{"reason":"runaway"}"#)
            #expect(suspended.status == 200, "\(suspended.body)")

            let answer = try await slowAnswer.value
            let stream = try await slowStream.value
            #expect(ContinuousClock.now - started < .seconds(5), "cancelled at once, not at the upstream's pace")
            #expect(answer.status == 403, "\(answer.body)")
            #expect(answer.body.contains("suspended while this request ran"), "\(answer.body)")
            #expect(stream.status == 200)
            #expect(
                stream.body.contains("suspended while this request ran"),
                "the stream ends with an error event: \(stream.body.suffix(400))"
            )
            #expect(!stream.body.contains("[DONE]") && !stream.body.contains("message_stop"))

            for streamed in [false, true] {
                let refused = try await Self.call(keel, dialect: dialect, stream: streamed, key: key)
                #expect(refused.status == 403, "\(refused.body)")
                #expect(refused.body.contains("The agent 'runner' is suspended: runaway"), "\(refused.body)")
            }
            #expect(try await keel.post("/admin/v1/agents/runner/resume", json: "").status == 200)
            #expect(try await Self.call(keel, dialect: dialect, stream: true, key: key).status == 200)

            await keel.shutdown()
            let records = try await keel.records()
            let cancelled = records.filter { $0.outcome == .cancelled && $0.errorClass == "agent_suspended" }
            #expect(
                cancelled.count == 2,
                "both requests in flight are recorded as cancelled: \(records.map { ($0.outcome, $0.errorClass) })"
            )
            #expect(records.filter { $0.outcome == .error && $0.errorClass == "agent_suspended" }.count == 2)
            #expect(records.count == 6)
        }
    }

    @Test func holdsSuspendATeamsAgentsOrEveryAgentNamedOrRegistered() async throws {
        try await TestKeel.run { keel in
            #expect(try await keel.post("/admin/v1/orgs", json: #"{"id":"acme","name":"Acme"}"#).status == 201)
            #expect(
                try await keel.post("/admin/v1/teams", json: #"{"id":"care","name":"Care","org":"acme"}"#).status == 201
            )
            #expect(
                try await keel.post("/admin/v1/teams", json: #"{"id":"ops","name":"Ops","org":"acme"}"#).status == 201
            )
            _ = try await Self.register(keel, #"{"id":"care-bot","name":"Care bot","team":"care"}"#)
            let careKey = try await Self.agentKey(keel, agent: "care-bot")
            let opsKey = try #require(
                try await keel.post("/admin/v1/keys", json: #"{"team":"ops"}"#).json?["key"] as? String
            )
            let label = [("x-keel-agent", "ops-script")]
            let foreign = try await Self.call(
                keel,
                dialect: "openai",
                stream: false,
                key: opsKey,
                headers: [("x-keel-agent", "care-bot")]
            )
            #expect(foreign.status == 403 && foreign.body.contains("belongs to another team"), "\(foreign.body)")

            // A team admin of ops may not suspend care's agents.
            let opsAdmin = try #require(
                try await keel.post("/admin/v1/keys", json: #"{"team":"ops","role":"team_admin"}"#).json?["key"]
                    as? String
            )
            #expect(
                try await keel.post("/admin/v1/agent-holds", json: #"{"team":"care"}"#, key: opsAdmin).status == 403
            )
            #expect(
                try await keel.post("/admin/v1/agent-holds", json: "", key: opsAdmin).status == 403,
                "only admins stop every agent"
            )

            #expect(
                try await keel.post("/admin/v1/agent-holds", json: #"{"team":"care","reason":"incident 12"}"#).status
                    == 201
            )
            let held = try await Self.call(keel, dialect: "openai", stream: false, key: careKey)
            #expect(held.status == 403 && held.body.contains("team 'care' are suspended: incident 12"), "\(held.body)")
            #expect(
                try await Self.call(keel, dialect: "openai", stream: false, key: opsKey, headers: label).status == 200
            )
            #expect(
                try await keel.send(.GET, "/admin/v1/agents/care-bot").json?["suspended_by"] as? String
                    == "The agents of team 'care' are suspended: incident 12"
            )

            #expect(try await keel.post("/admin/v1/agent-holds", json: #"{"reason":"fleet stop"}"#).status == 201)
            let stopped = try await Self.call(keel, dialect: "anthropic", stream: true, key: opsKey, headers: label)
            #expect(
                stopped.status == 403 && stopped.body.contains("Every agent is suspended: fleet stop"),
                "\(stopped.body)"
            )
            #expect(
                try await Self.call(keel, dialect: "openai", stream: false, key: opsKey).status == 200,
                "a request of no agent is not an agent's"
            )
            #expect((try await keel.send(.GET, "/admin/v1/agent-holds").json?["data"] as? [[String: Any]])?.count == 2)

            #expect(try await keel.send(.DELETE, "/admin/v1/agent-holds").status == 200)
            #expect(try await keel.send(.DELETE, "/admin/v1/agent-holds").status == 404)
            #expect(
                try await Self.call(keel, dialect: "openai", stream: false, key: opsKey, headers: label).status == 200
            )
            #expect(try await Self.call(keel, dialect: "openai", stream: false, key: careKey).status == 403)
            #expect(try await keel.send(.DELETE, "/admin/v1/agent-holds?team=care").status == 200)
            #expect(try await Self.call(keel, dialect: "openai", stream: false, key: careKey).status == 200)
        }
    }
}

@Suite("The kill switch across two instances", .enabled(if: TestKeel.postgresURL != nil))
struct TwoInstanceKillSwitchTests {
    static let agentKey = "sk-agent-fleet-0123456789abcdef"

    @Test func anAgentSuspendedOnOneInstanceIsStoppedOnTheOtherWithinTwoSeconds() async throws {
        let url = try #require(TestKeel.postgresURL)
        let schema = TestKeel.uniquePostgresSchema()
        let configure: @Sendable (inout KeelConfiguration) -> Void = { configuration in
            configuration.storage = .init(url: url, schema: schema, maxConnections: 4)
            configuration.keys.append(.init(key: Secret(Self.agentKey), agent: "fleet-1"))
        }
        try await TestKeel.run(configure: configure) { first in
            try await TestKeel.run(configure: configure) { second in
                _ = try await AgentRegistryTests.register(first, #"{"id":"fleet-1","name":"Fleet 1"}"#)
                #expect(
                    try await AgentRegistryTests.call(second, dialect: "openai", stream: false, key: Self.agentKey)
                        .status == 200
                )
                let inFlight = Task {
                    try await AgentRegistryTests.call(
                        second,
                        dialect: "openai",
                        stream: true,
                        prompt: "[sim ttft_ms=10 tps=10 tokens=300] go",
                        key: Self.agentKey
                    )
                }
                try await Task.sleep(for: .milliseconds(500))
                let suspended = ContinuousClock.now
                #expect(try await first.post("/admin/v1/agents/fleet-1/suspend", json: "").status == 200)
                var refusedAfter: Duration?
                while ContinuousClock.now - suspended < .seconds(5) {
                    let response = try await AgentRegistryTests.call(
                        second,
                        dialect: "openai",
                        stream: false,
                        key: Self.agentKey
                    )
                    if response.status == 403 {
                        refusedAfter = ContinuousClock.now - suspended
                        break
                    }
                    try await Task.sleep(for: .milliseconds(20))
                }
                let stream = try await inFlight.value
                let haltedAfter = ContinuousClock.now - suspended
                let propagation = try #require(refusedAfter, "the other instance refuses the agent")
                print(
                    "kill switch propagation: refused after \(propagation), in-flight stream ended after \(haltedAfter)"
                )
                #expect(propagation < .seconds(2))
                #expect(haltedAfter < .seconds(2.5))
                #expect(
                    stream.body.contains("agent_suspended") || stream.body.contains("suspended while this request ran")
                )
                await second.shutdown()
            }
            await first.shutdown()
        }
    }

    @Test func aKeyCreatedOrRevokedOnOneInstanceIsKnownOnTheOther() async throws {
        let url = try #require(TestKeel.postgresURL)
        let schema = TestKeel.uniquePostgresSchema()
        let configure: @Sendable (inout KeelConfiguration) -> Void = { configuration in
            configuration.storage = .init(url: url, schema: schema, maxConnections: 4)
            configuration.server.keySyncIntervalMs = 200
        }
        try await TestKeel.run(configure: configure) { first in
            try await TestKeel.run(configure: configure) { second in
                _ = try await AgentRegistryTests.register(first, #"{"id":"roamer","name":"Roamer"}"#)
                let created = try await first.post("/admin/v1/keys", json: #"{"agent":"roamer"}"#)
                let key = try #require(created.json?["key"] as? String)
                let id = try #require(created.json?["id"] as? String)
                func status(_ spoof: Bool = false) async throws -> Int {
                    try await second.post(
                        "/v1/chat/completions",
                        json: chatBody("hi"),
                        key: key,
                        headers: spoof ? [("x-keel-agent", "someone-else")] : []
                    ).status
                }
                var seen = 0
                let deadline = ContinuousClock.now + .seconds(5)
                while seen != 200, ContinuousClock.now < deadline {
                    seen = try await status()
                    if seen != 200 { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(seen == 200, "the other instance reads the new key")
                #expect(try await status(true) == 403, "as the agent's key")
                #expect(try await first.send(.DELETE, "/admin/v1/keys/\(id)").status == 200)
                var refused = 0
                let revokedBy = ContinuousClock.now + .seconds(5)
                while refused != 401, ContinuousClock.now < revokedBy {
                    refused = try await status()
                    if refused != 401 { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(refused == 401, "the other instance reads the revocation")
                await second.shutdown()
            }
            await first.shutdown()
        }
    }
}
