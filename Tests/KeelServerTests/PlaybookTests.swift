import Foundation
import KeelCore
import KeelOps
import KeelServer
import KeelStorage
import KeelTesting
import NIOHTTP1
import Testing

/// Playbooks acting on a running gateway over loopback: each action's effect on real requests,
/// approvals, escalation, undo on resolve, dry runs, and the defaults.
@Suite("Incident playbooks")
struct PlaybookTests {
    static var now: Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }

    static func incident(_ keel: TestGateway, _ id: String) async throws -> [String: Any] {
        try #require(try await keel.send(.GET, "/admin/v1/incidents/\(id)").json)
    }

    static func actions(_ incident: [String: Any]) -> [String: [String: Any]] {
        var byID: [String: [String: Any]] = [:]
        for action in incident["actions"] as? [[String: Any]] ?? [] {
            if let id = action["id"] as? String { byID[id] = action }
        }
        return byID
    }

    /// Waits until the incident's step `reference` is in `state`.
    static func waitForStep(
        _ keel: TestGateway,
        _ id: String,
        _ reference: String,
        _ state: String
    ) async throws -> [String: Any] {
        var found: [String: Any] = [:]
        let reached = try await eventually {
            found = Self.actions(try await Self.incident(keel, id))[reference] ?? [:]
            return found["state"] as? String == state
        }
        #expect(reached, "step \(reference) never reached \(state): \(found)")
        return found
    }

    @Test func aLoopingAgentIsThrottledSuspendedOnApprovalEscalatedAndRestoredOnResolve() async throws {
        try await AlertTests.Receiver.withRunning { port, receiver in
            try await TestKeel.run(configure: { configuration in
                configuration.agents.syncIntervalMs = 100
                configuration.incidents.tickIntervalMs = 100
                configuration.monitoring.webhooks = [.init(url: "http://127.0.0.1:\(port)/hooks")]
                configuration.incidents.onCall = [
                    .init(name: "primary", webhook: .init(url: "http://127.0.0.1:\(port)/oncall/0")),
                    .init(name: "secondary", webhook: .init(url: "http://127.0.0.1:\(port)/oncall/1")),
                ]
            }) { keel in
                // The default agent playbook, replaced through the API.
                let replaced = try await keel.send(
                    .PUT,
                    "/admin/v1/playbooks/default-agent_misbehaviour",
                    body: """
                        {"id":"default-agent_misbehaviour","name":"Contain loops","category":"agent_misbehaviour","steps":[
                          {"action":"notify","message":"agent looping"},
                          {"action":"throttle","requests_per_minute":1},
                          {"action":"suspend_agent","approval":true},
                          {"action":"escalate","after_minutes":0}
                        ]}
                        """
                )
                #expect(replaced.status == 200, "\(replaced.body)")
                #expect(replaced.json?["source"] as? String == "api")
                _ = try await AgentRegistryTests.register(keel, #"{"id":"looper","name":"Looper"}"#)
                let key = try await AgentRegistryTests.agentKey(keel, agent: "looper")
                for _ in 0..<3 {
                    let response = try await keel.post(
                        "/v1/chat/completions",
                        json: chatBody("again and again"),
                        key: key,
                        headers: [("x-keel-task", "t-1")]
                    )
                    #expect(response.status == 200)
                }
                let listed = try await IncidentResponseTests.incidents(keel, "category=agent_misbehaviour")
                let id = try #require(listed.first?["id"] as? String)
                let held = try await Self.waitForStep(keel, id, "default-agent_misbehaviour.2", "awaiting_approval")
                #expect(held["action"] as? String == "suspend_agent")
                let detail = try await Self.incident(keel, id)
                let actions = Self.actions(detail)
                #expect(actions["default-agent_misbehaviour.0"]?["state"] as? String == "done")
                #expect(actions["default-agent_misbehaviour.1"]?["state"] as? String == "done", "\(actions)")
                // Held for approval, the escalation after it waits too.
                #expect(actions["default-agent_misbehaviour.3"]?["state"] as? String == "pending")

                // Throttled: the agent's key gets 429 within a few requests.
                var statuses: [Int] = []
                for _ in 0..<3 {
                    statuses.append(
                        try await keel.post("/v1/chat/completions", json: chatBody("throttled?"), key: key).status
                    )
                }
                #expect(statuses.contains(429), "\(statuses)")
                let asked = try await eventually {
                    IncidentResponseTests.objects(receiver.allBodies("/hooks")).contains {
                        $0["event"] as? String == "approval_requested"
                    }
                }
                #expect(asked, "\(receiver.allBodies("/hooks"))")

                // Approved: the agent is suspended; then the escalation fires (still unacknowledged).
                let approved = try await keel.post(
                    "/admin/v1/incidents/\(id)/actions/default-agent_misbehaviour.2/approve",
                    json: #"{"reason":"confirmed loop"}"#
                )
                #expect(approved.status == 200, "\(approved.body)")
                // Run by this call or by the next tick, whichever claims it first.
                #expect(["running", "done"].contains(approved.json?["state"] as? String ?? ""), "\(approved.body)")
                _ = try await Self.waitForStep(keel, id, "default-agent_misbehaviour.2", "done")
                let agentNow = try await keel.send(.GET, "/admin/v1/agents/looper")
                #expect(agentNow.json?["state"] as? String == "suspended", "\(agentNow.body)")
                #expect((agentNow.json?["suspended_reason"] as? String)?.contains(id) == true)
                // Refused: suspended (or still throttled, which admission checks first).
                let suspended = try await keel.post("/v1/chat/completions", json: chatBody("hello"), key: key)
                #expect([403, 429].contains(suspended.status))
                if suspended.status == 403 { #expect(AgentRegistryTests.refusal(suspended) == "agent_suspended") }
                #expect(
                    try await keel.post(
                        "/admin/v1/incidents/\(id)/actions/default-agent_misbehaviour.2/approve",
                        json: ""
                    )
                    .status == 409
                )
                _ = try await Self.waitForStep(keel, id, "default-agent_misbehaviour.3", "done")
                let escalated = try await eventually {
                    IncidentResponseTests.objects(receiver.allBodies("/oncall/1")).contains {
                        $0["event"] as? String == "escalated"
                    }
                }
                #expect(escalated, "\(receiver.allBodies("/oncall/1"))")
                #expect(try await Self.incident(keel, id)["escalation_level"] as? Int == 1)

                // Resolved: the throttle and the suspension are undone.
                #expect(try await keel.post("/admin/v1/incidents/\(id)/resolve", json: "").status == 200)
                _ = try await Self.waitForStep(keel, id, "default-agent_misbehaviour.2", "undone")
                _ = try await Self.waitForStep(keel, id, "default-agent_misbehaviour.1", "undone")
                let agent = try await keel.send(.GET, "/admin/v1/agents/looper")
                #expect(agent.json?["state"] as? String == "active", "\(agent.body)")
                var after: [Int] = []
                for _ in 0..<3 {
                    after.append(
                        try await keel.post("/v1/chat/completions", json: chatBody("free again"), key: key).status
                    )
                }
                #expect(after == [200, 200, 200])
                let timeline = try #require(try await Self.incident(keel, id)["timeline"] as? [[String: Any]])
                #expect(
                    timeline.contains { ($0["text"] as? String)?.hasPrefix("Undone (the incident resolved)") == true }
                )
                var changes: [[String: Any]] = []
                try await eventually {
                    changes = try await PolicyAdminTests.adminChanges(keel)
                    return changes.contains { $0["action"] as? String == "incidents.undo" }
                }
                #expect(changes.contains { $0["action"] as? String == "incidents.action" })
                #expect(changes.contains { $0["action"] as? String == "playbooks.update" })
            }
        }
    }

    @Test func theDefaultOutagePlaybookBenchesTheProviderOnApprovalUntilResolved() async throws {
        try await TestKeel.run(configure: { configuration in
            configuration.models.append(
                .init(
                    name: "primary",
                    routes: [.init(provider: "sim", model: "keel-sim-chat")],
                    fallbacks: ["backup"],
                    maxRetries: 0
                )
            )
            configuration.models.append(
                .init(name: "backup", routes: [.init(provider: "sim-anthropic", model: "keel-sim-claude")])
            )
        }) { keel in
            #expect(
                try await keel.post("/v1/chat/completions", json: chatBody("hi", model: "primary")).headers[
                    "x-keel-provider"
                ] == "sim"
            )
            let engine = try #require(keel.app.incidentEngine)
            let report = try #require(
                await engine.handle(
                    Detection(
                        category: .providerOutage,
                        severity: .high,
                        scope: IncidentScope(provider: "sim"),
                        detector: "breaker",
                        summary: "sim's breaker opened",
                        at: Self.now
                    )
                )
            )
            let id = report.incident.id
            // The breakers fail over on their own; benching the provider waits for a human.
            _ = try await Self.waitForStep(keel, id, "default-provider_outage.2", "awaiting_approval")
            #expect(
                try await keel.post("/v1/chat/completions", json: chatBody("hi", model: "primary")).headers[
                    "x-keel-provider"
                ] == "sim"
            )
            #expect(
                try await keel.post("/admin/v1/incidents/\(id)/actions/default-provider_outage.2/approve", json: "")
                    .status == 200
            )
            _ = try await Self.waitForStep(keel, id, "default-provider_outage.2", "done")
            let failed = try await keel.post("/v1/chat/completions", json: chatBody("hi", model: "primary"))
            #expect(failed.status == 200)
            #expect(failed.headers["x-keel-provider"] == "sim-anthropic")
            #expect(failed.headers["x-keel-attempts"] == "1", "the benched deployment is not even tried")
            let texts = (try await Self.incident(keel, id)["timeline"] as? [[String: Any]])?.compactMap {
                $0["text"] as? String
            }
            #expect(texts?.contains { $0.hasPrefix("Benched provider 'sim'") } == true, "\(texts ?? [])")

            #expect(try await keel.post("/admin/v1/incidents/\(id)/resolve", json: "").status == 200)
            _ = try await Self.waitForStep(keel, id, "default-provider_outage.2", "undone")
            #expect(
                try await keel.post("/v1/chat/completions", json: chatBody("hi", model: "primary")).headers[
                    "x-keel-provider"
                ] == "sim"
            )
            // The escalation not reached is skipped.
            #expect(
                Self.actions(try await Self.incident(keel, id))["default-provider_outage.1"]?["state"] as? String
                    == "skipped"
            )
        }
    }

    @Test func pinBlockAWebhookAndAKeySuspendedBehindAnApprovalGate() async throws {
        try await AlertTests.Receiver.withRunning { port, receiver in
            try await TestKeel.run(configure: { configuration in
                configuration.incidents.tickIntervalMs = 100
                configuration.models.append(
                    .init(
                        name: "duo",
                        routes: [
                            .init(provider: "sim", model: "keel-sim-chat"),
                            .init(provider: "sim-anthropic", model: "keel-sim-claude"),
                        ]
                    )
                )
            }) { keel in
                let created = try await keel.post("/admin/v1/keys", json: #"{"name":"leaky"}"#)
                let key = try #require(created.json?["key"] as? String)
                let keyID = try #require(created.json?["id"] as? String)
                let playbook = """
                    {"id":"leak","category":"data_exposure","min_severity":"high","steps":[
                      {"action":"webhook","url":"http://127.0.0.1:\(port)/tickets"},
                      {"action":"freeze_evidence"},
                      {"action":"block_pattern","pattern":"Project Neptune"},
                      {"action":"pin_model","model":"duo","deployment":"keel-sim-claude"},
                      {"action":"require_approval","reason":"suspend the key?"},
                      {"action":"suspend_key"}
                    ]}
                    """
                #expect(try await keel.post("/admin/v1/playbooks", json: playbook).status == 201)
                #expect(try await keel.post("/admin/v1/playbooks", json: playbook).status == 409)
                let invalid = try await keel.post(
                    "/admin/v1/playbooks",
                    json: #"{"id":"bad","category":"cost_spike","steps":[{"action":"throttle"}]}"#
                )
                #expect(invalid.status == 400)
                #expect(invalid.body.contains("steps[0].requests_per_minute"), "\(invalid.body)")

                let engine = try #require(keel.app.incidentEngine)
                // Below the playbook's severity: it does not run.
                let low = try #require(
                    await engine.handle(
                        Detection(
                            category: .dataExposure,
                            severity: .medium,
                            scope: IncidentScope(key: "someone-else"),
                            detector: "pii_in_answer",
                            summary: "an email in an answer",
                            at: Self.now
                        )
                    )
                )
                let dry = try await keel.post(
                    "/admin/v1/playbooks/leak/dry-run",
                    json: #"{"incident":"\#(low.incident.id)"}"#
                )
                #expect(dry.json?["applies"] as? Bool == false)
                #expect(
                    (dry.json?["steps"] as? [[String: Any]])?[2]["would"] as? String
                        == "block prompts containing 'Project Neptune'"
                )
                #expect((dry.json?["steps"] as? [[String: Any]])?[4]["approval"] as? Bool == true)

                let report = try #require(
                    await engine.handle(
                        Detection(
                            category: .dataExposure,
                            severity: .high,
                            scope: IncidentScope(key: keyID),
                            detector: "secret_in_answer",
                            summary: "an API key in an answer",
                            at: Self.now
                        )
                    )
                )
                let id = report.incident.id
                _ = try await Self.waitForStep(keel, id, "leak.4", "awaiting_approval")
                let actions = Self.actions(try await Self.incident(keel, id))
                for step in 0...3 { #expect(actions["leak.\(step)"]?["state"] as? String == "done", "\(actions)") }
                #expect(actions["leak.5"]?["state"] as? String == "pending")
                #expect(actions["default-data_exposure.0"]?["state"] as? String == "done", "the default runs too")
                #expect(try await eventually { !receiver.allBodies("/tickets").isEmpty })
                #expect(
                    IncidentResponseTests.objects(receiver.allBodies("/tickets")).first?["event"] as? String == "notice"
                )

                let blocked = try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody("tell me about project neptune"),
                    key: key
                )
                #expect(blocked.status == 400, "\(blocked.body)")
                #expect(AgentRegistryTests.refusal(blocked) == "content_policy_violation")
                for _ in 0..<4 {
                    let pinned = try await keel.post("/v1/chat/completions", json: chatBody("hi", model: "duo"))
                    #expect(pinned.headers["x-keel-provider"] == "sim-anthropic")
                }

                // The gate approved: the key is suspended.
                let approved = try await keel.post("/admin/v1/incidents/\(id)/actions/leak.4/approve", json: "")
                #expect(approved.json?["state"] as? String == "done", "a gate approved is done: \(approved.body)")
                _ = try await Self.waitForStep(keel, id, "leak.5", "done")
                #expect(try await keel.post("/v1/chat/completions", json: chatBody("hi"), key: key).status == 401)
                let shown = try await keel.send(.GET, "/admin/v1/keys/\(keyID)")
                #expect(shown.json?["suspended_at"] is Int)
                #expect(shown.json?["active"] as? Bool == false)

                #expect(try await keel.post("/admin/v1/incidents/\(id)/resolve", json: "").status == 200)
                _ = try await Self.waitForStep(keel, id, "leak.5", "undone")
                #expect(
                    try await keel.post("/v1/chat/completions", json: chatBody("project neptune"), key: key).status
                        == 200
                )
                var providers: Set<String> = []
                for _ in 0..<12 {
                    providers.insert(
                        try await keel.post("/v1/chat/completions", json: chatBody("hi", model: "duo")).headers[
                            "x-keel-provider"
                        ] ?? ""
                    )
                }
                #expect(providers == ["sim"], "the first deployment again, as before the pin")
            }
        }
    }

    @Test func aDeniedGateSkipsTheRestAndADryRunPlaybookOnlyShowsItsSteps() async throws {
        try await TestKeel.run { keel in
            for playbook in [
                #"{"id":"gated","category":"cost_spike","steps":[{"action":"require_approval"},{"action":"throttle","requests_per_minute":5}]}"#,
                #"{"id":"rehearsal","category":"cost_spike","dry_run":true,"steps":[{"action":"suspend_agent"}]}"#,
                #"{"id":"default-cost_spike","category":"cost_spike","enabled":false,"steps":[{"action":"notify"}]}"#,
            ] {
                #expect(try await keel.post("/admin/v1/playbooks", json: playbook).status == 201)
            }
            let listed = try await keel.send(.GET, "/admin/v1/playbooks")
            let sources = (listed.json?["data"] as? [[String: Any]])?.reduce(into: [String: String]()) {
                $0[$1["id"] as? String ?? ""] = $1["source"] as? String
            }
            #expect(sources?["default-prompt_injection"] == "built_in")
            #expect(sources?["gated"] == "api")
            let engine = try #require(keel.app.incidentEngine)
            let report = try #require(
                await engine.handle(
                    Detection(
                        category: .costSpike,
                        severity: .high,
                        scope: IncidentScope(team: "search"),
                        detector: "cost_spike",
                        summary: "cost per minute 3× its norm",
                        at: Self.now
                    )
                )
            )
            let id = report.incident.id
            _ = try await Self.waitForStep(keel, id, "gated.0", "awaiting_approval")
            let denied = try await keel.post(
                "/admin/v1/incidents/\(id)/actions/gated.0/deny",
                json: #"{"reason":"expected load"}"#
            )
            #expect(denied.json?["state"] as? String == "skipped")
            let actions = Self.actions(try await Self.incident(keel, id))
            #expect(actions["gated.1"]?["state"] as? String == "skipped")
            #expect(actions["rehearsal.0"]?["state"] as? String == "dry_run")
            #expect(
                (actions["rehearsal.0"]?["result"] as? String)?.contains("would suspend the incident's agent") == true
            )
            #expect(actions.keys.allSatisfy { !$0.hasPrefix("default-cost_spike") }, "disabled")
            #expect(try await keel.post("/admin/v1/incidents/\(id)/actions/gated.9/approve", json: "").status == 404)
            #expect(try await keel.send(.DELETE, "/admin/v1/playbooks/default-cost_spike").status == 200)
            #expect(try await keel.send(.DELETE, "/admin/v1/playbooks/default-cost_spike").status == 404)
            #expect(
                try await keel.send(.GET, "/admin/v1/playbooks/default-cost_spike").json?["source"] as? String
                    == "built_in"
            )
        }
    }
}
