import Foundation
import KeelCore
import KeelServer
import KeelTesting
import NIOHTTP1
import Testing

@Suite("Agent tasks: attribution headers, outcomes and success rate")
struct AgentTaskTests {
    /// Waits until the recorder has written `count` records (they are written off the request path).
    static func waitForRecords(_ keel: TestGateway, _ count: Int) async throws {
        #expect(
            try await keel.waitForRecords(count),
            "only \(keel.app.recordsWritten) of \(count) records were written"
        )
    }

    @Test func agentAndTaskHeadersAreRecordedShownAndFilterable() async throws {
        try await TestKeel.run { keel in
            let headers = { (agent: String, task: String) in [("x-keel-agent", agent), ("x-keel-task", task)] }
            for (agent, task) in [("planner", "task 1/a"), ("planner", "task 1/a"), ("coder", "t-2")] {
                let response = try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody(task),
                    headers: headers(agent, task)
                )
                #expect(response.status == 200, "\(response.body)")
            }
            #expect(try await keel.post("/v1/chat/completions", json: chatBody("untracked")).status == 200)
            try await Self.waitForRecords(keel, 4)

            let byTask = try await keel.send(.GET, "/admin/v1/requests?task=task%201%2Fa")
            let rows = try #require(byTask.json?["data"] as? [[String: Any]], "\(byTask.body)")
            #expect(rows.count == 2)
            #expect(
                rows.allSatisfy { $0["agent_id"] as? String == "planner" && $0["task_id"] as? String == "task 1/a" }
            )
            let byAgent = try #require(
                try await keel.send(.GET, "/admin/v1/requests?agent=coder").json?["data"] as? [[String: Any]]
            )
            #expect(byAgent.map { $0["task_id"] as? String } == ["t-2"])
            let both = try #require(
                try await keel.send(.GET, "/admin/v1/requests?agent=coder&task=task%201%2Fa").json?["data"]
                    as? [[String: Any]]
            )
            #expect(both.isEmpty)
            let all = try #require(try await keel.send(.GET, "/admin/v1/requests").json?["data"] as? [[String: Any]])
            #expect(all.count == 4)
            #expect(all.filter { $0["agent_id"] is NSNull && $0["task_id"] is NSNull }.count == 1)
        }
    }

    struct InvalidHeaderCase: Sendable, CustomTestStringConvertible {
        var headers: [String]
        var param: String
        var testDescription: String { self.headers.joined(separator: " ") }

        static let all: [InvalidHeaderCase] = [
            .init(headers: ["x-keel-agent", String(repeating: "a", count: 129)], param: "x-keel-agent"),
            .init(headers: ["x-keel-task", "tâche"], param: "x-keel-task"),
            .init(headers: ["x-keel-task", "t-1", "x-keel-task-outcome", "done"], param: "x-keel-task-outcome"),
            .init(headers: ["x-keel-task-outcome", "success"], param: "x-keel-task-outcome"),
        ]

        var pairs: [(String, String)] {
            stride(from: 0, to: self.headers.count, by: 2).map { (self.headers[$0], self.headers[$0 + 1]) }
        }
    }

    @Test(arguments: InvalidHeaderCase.all)
    func invalidAgentHeadersAreRefusedWith400InTheClientsDialectAndRecorded(invalid: InvalidHeaderCase) async throws {
        try await TestKeel.run { keel in
            let openAI = try await keel.post("/v1/chat/completions", json: chatBody("x"), headers: invalid.pairs)
            #expect(openAI.status == 400, "\(openAI.body)")
            #expect(openAI.body.contains(#""param":"\#(invalid.param)""#), "\(openAI.body)")
            let anthropic = try await keel.post(
                "/v1/messages",
                json: #"{"model":"keel-sim-chat","max_tokens":8,"messages":[{"role":"user","content":"x"}]}"#,
                headers: invalid.pairs + [("anthropic-version", "2023-06-01")]
            )
            #expect(anthropic.status == 400)
            #expect(anthropic.body.contains(#""type":"invalid_request_error""#), "\(anthropic.body)")
            await keel.shutdown()
            let records = try await keel.records()
            #expect(records.count == 2)
            #expect(
                records.allSatisfy { $0.status == 400 && $0.errorClass == "invalid_request" && $0.taskOutcome == nil }
            )
        }
    }

    @Test func outcomesEndEachTaskOnceAndDriveTheSuccessRateAndItsAlert() async throws {
        try await AlertTests.Receiver.withRunning { receiverPort, receiver in
            let yaml = """
                providers: [ { name: sim, kind: simulator } ]
                models: [ { name: keel-sim-chat, routes: [ { provider: sim, model: keel-sim-chat } ] } ]
                monitoring:
                  alert_interval_ms: 100
                  webhooks: [ { url: "http://127.0.0.1:\(receiverPort)/hooks/json" } ]
                  alerts:
                    - { name: agents-failing, metric: agent_task_success_rate, window: 5m, below: 0.9, group_by: team }
                """
            let parsed = try KeelConfiguration.parse(yaml: yaml, environment: [:])
            try await TestKeel.run(configure: { configuration in
                configuration.monitoring = parsed.monitoring
                configuration.recorder.flushIntervalMs = 5
            }) { keel in
                #expect(try await keel.post("/admin/v1/orgs", json: #"{"id":"acme","name":"Acme"}"#).status == 201)
                #expect(
                    try await keel.post("/admin/v1/teams", json: #"{"id":"search","org":"acme","name":"Search"}"#)
                        .status == 201
                )
                let key = try #require(
                    try await keel.post("/admin/v1/keys", json: #"{"team":"search"}"#).json?["key"] as? String
                )
                func chat(_ task: String, outcome: String? = nil) async throws -> TestResponse {
                    var headers = [("x-keel-agent", "planner"), ("x-keel-task", task)]
                    if let outcome { headers.append(("x-keel-task-outcome", outcome)) }
                    return try await keel.post("/v1/chat/completions", json: chatBody(task), key: key, headers: headers)
                }

                // Task a ends on its last request's header.
                #expect(try await chat("a").status == 200)
                #expect(try await chat("a", outcome: "success").status == 200)
                // Tasks b and c end through the endpoint, once their records are stored.
                #expect(try await chat("b").status == 200)
                #expect(try await chat("c").status == 200)
                #expect(try await chat("c").status == 200)
                try await Self.waitForRecords(keel, 5)
                let b = try await keel.post(
                    "/v1/tasks/b/outcome",
                    json: #"{"outcome":"success","agent":"planner"}"#,
                    key: key
                )
                #expect(b.status == 200, "\(b.body)")
                #expect(b.json?["task_id"] as? String == "b" && b.json?["outcome"] as? String == "success")
                #expect(b.json?["requests"] as? Int == 1)
                let c = try await keel.send(
                    .POST,
                    "/v1/tasks/c/outcome",
                    body: #"{"outcome":"failure"}"#,
                    key: nil,
                    headers: [("x-api-key", key)]
                )
                #expect(c.status == 200, "\(c.body)")
                #expect(c.json?["requests"] as? Int == 2)
                let cost = try #require(c.json?["cost_usd"] as? String)
                #expect((Double(cost) ?? 0) > 0 && (c.json?["cost_nanos"] as? Int ?? 0) > 0)

                // A task ends once, whichever way it is reported again; neither report counts.
                let again = try await keel.post("/v1/tasks/b/outcome", json: #"{"outcome":"failure"}"#, key: key)
                #expect(again.status == 409, "\(again.body)")
                #expect(again.body.contains(#""code":"conflict""#))
                let viaHeader = try await chat("a", outcome: "failure")
                #expect(viaHeader.status == 409, "\(viaHeader.body)")
                #expect(try await chat("c", outcome: "success").status == 409)
                #expect(
                    try await keel.post("/v1/tasks/a/outcome", json: #"{"outcome":"failure"}"#, key: key).status == 409
                )

                #expect(
                    try await keel.post("/v1/tasks/d/outcome", json: #"{"outcome":"success"}"#, key: "sk-unknown")
                        .status == 401
                )
                #expect(
                    try await keel.post("/v1/tasks/d/outcome", json: #"{"outcome":"success"}"#, key: nil).status == 401
                )
                let badOutcome = try await keel.post("/v1/tasks/d/outcome", json: #"{"outcome":"done"}"#, key: key)
                #expect(
                    badOutcome.status == 400 && badOutcome.body.contains(#""param":"outcome""#),
                    "\(badOutcome.body)"
                )
                let badAgent = try await keel.post(
                    "/v1/tasks/d/outcome",
                    json: #"{"outcome":"success","agent":"\#(String(repeating: "x", count: 129))"}"#,
                    key: key
                )
                #expect(badAgent.status == 400 && badAgent.body.contains(#""param":"agent""#), "\(badAgent.body)")

                // Three tasks, two succeeded.
                var rate: Double?
                let deadline = ContinuousClock.now + .seconds(10)
                repeat {
                    let summary = try await keel.send(.GET, "/admin/v1/metrics/summary?by=team&window=5m")
                    let groups = summary.json?["groups"] as? [[String: Any]] ?? []
                    rate = groups.first { $0["team"] as? String == "search" }?["agent_task_success_rate"] as? Double
                    if let rate, abs(rate - 2.0 / 3.0) < 1e-9 { break }
                    try await Task.sleep(for: .milliseconds(50))
                } while ContinuousClock.now < deadline
                #expect(rate.map { abs($0 - 2.0 / 3.0) < 1e-9 } == true, "rate \(String(describing: rate))")

                let alertBy = ContinuousClock.now + .seconds(10)
                while receiver.bodies("/hooks/json").isEmpty && ContinuousClock.now < alertBy {
                    try await Task.sleep(for: .milliseconds(50))
                }
                let firing = try #require(
                    receiver.bodies("/hooks/json").first.flatMap {
                        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                    }
                )
                #expect(firing["status"] as? String == "firing")
                #expect(firing["rule"] as? String == "agents-failing")
                #expect((firing["labels"] as? [String: Any])?["team"] as? String == "search")
                #expect((firing["value"] as? Double).map { abs($0 - 2.0 / 3.0) < 1e-9 } == true, "\(firing)")

                // The request that ended task a carries its outcome; the refused repeats do not.
                await keel.shutdown()
                let records = try await keel.records()
                #expect(records.count == 7)
                #expect(
                    records.filter { $0.taskOutcome != nil }.map { [$0.taskID, $0.taskOutcome?.rawValue] } == [
                        ["a", "success"]
                    ]
                )
                #expect(records.filter { $0.status == 409 }.count == 2)
                #expect(records.allSatisfy { $0.agentID == "planner" && $0.teamID == "search" })
            }
        }
    }
}
