import Foundation
import KeelCore
import KeelServer
import KeelStorage
import KeelTesting
import NIOHTTP1
import Testing

/// Success rates per agent and version, with their intervals, and the alert on a drop against the
/// agent's own baseline.
@Suite("Agent statistics")
struct AgentStatsTests {
    @Test func statsCompareVersionsAndADropAgainstTheBaselineFiresAnAlert() async throws {
        let configure: @Sendable (inout KeelConfiguration) -> Void = { configuration in
            configuration.agents.syncIntervalMs = 100
            configuration.agents.statsIntervalMs = 1_000
            configuration.agents.metricsMaxAgents = 1
        }
        try await TestKeel.run(configure: configure) { keel in
            _ = try await AgentRegistryTests.register(keel, #"{"id":"solver","name":"Solver","version":"1.0"}"#)
            let key = try await AgentRegistryTests.agentKey(keel, agent: "solver")
            // Version 1.0: three tasks, two succeed.
            func run(_ task: String, calls: Int, outcome: String) async throws {
                for index in 0..<calls {
                    let last = index == calls - 1
                    var headers = [("x-keel-task", task)]
                    if last { headers.append(("x-keel-task-outcome", outcome)) }
                    let response = try await keel.post(
                        "/v1/chat/completions",
                        json: chatBody("step \(index)"),
                        key: key,
                        headers: headers
                    )
                    #expect(response.status == 200, "\(response.body)")
                }
            }
            try await run("v1-a", calls: 2, outcome: "success")
            try await run("v1-b", calls: 1, outcome: "success")
            try await run("v1-c", calls: 3, outcome: "failure")
            try await AgentTaskQueueTests.waitUntilStored(keel, ["v1-a", "v1-b", "v1-c"])
            #expect(try await keel.send(.PATCH, "/admin/v1/agents/solver", body: #"{"version":"2.0"}"#).status == 200)
            try await Task.sleep(for: .milliseconds(300))
            try await run("v2-a", calls: 1, outcome: "success")
            try await AgentTaskQueueTests.waitUntilStored(keel, ["v2-a"])

            var stats: [String: Any] = [:]
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                stats = try await keel.send(.GET, "/admin/v1/agents/solver/stats").json ?? [:]
                if ((stats["overall"] as? [String: Any])?["steps_per_task"] as? Double) == 7.0 / 4 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let overall = try #require(stats["overall"] as? [String: Any], "\(stats)")
            #expect(
                overall["tasks"] as? Int == 4 && overall["succeeded"] as? Int == 3 && overall["failed"] as? Int == 1
            )
            #expect(overall["success_rate"] as? Double == 0.75)
            let interval = try #require(overall["success_rate_ci95"] as? [Double])
            let reference = try #require(SuccessRate.wilson(successes: 3, trials: 4))
            #expect(abs(interval[0] - reference.lower) < 1e-5 && abs(interval[1] - reference.upper) < 1e-5)
            #expect(overall["steps_per_task"] as? Double == 1.75, "\(overall)")
            #expect(overall["needed_human"] as? Double == 0, "no task asked a human: \(overall)")
            #expect((overall["seconds_per_task"] as? Double).map { $0 >= 0 && $0 < 60 } == true, "\(overall)")
            let versions = try #require(stats["versions"] as? [[String: Any]])
            #expect(versions.map { $0["version"] as? String } == ["1.0", "2.0"])
            #expect(versions.map { $0["tasks"] as? Int } == [3, 1])
            #expect((versions.first?["success_rate"] as? Double).map { abs($0 - 2.0 / 3) < 1e-5 } == true)
            #expect(versions.last?["success_rate"] as? Double == 1)
            #expect(
                (versions.first?["cost_per_success_usd"] as? String).flatMap(Double.init).map { $0 > 0 } == true,
                "\(versions)"
            )
            #expect((stats["drop"] as? [String: Any])?["significant"] as? Bool == false)

            // A week of 95 % and a last hour of 25 %: the drop is significant and alerts.
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
            try await keel.withStores { stores in
                for index in 0..<100 {
                    let ended = now - 2 * 86_400_000_000 - Int64(index) * 60_000_000
                    _ = try await stores.agentTasks.end(
                        AgentTaskEnd(
                            taskID: "past-\(index)",
                            agentID: "solver",
                            outcome: index < 95 ? .success : .failure,
                            endedAt: ended
                        )
                    )
                }
                for index in 0..<12 {
                    _ = try await stores.agentTasks.end(
                        AgentTaskEnd(
                            taskID: "now-\(index)",
                            agentID: "solver",
                            outcome: index < 3 ? .success : .failure,
                            endedAt: now - 1_000_000
                        )
                    )
                }
            }
            var firing: [[String: Any]] = []
            let alertDeadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < alertDeadline {
                firing = try await keel.send(.GET, "/admin/v1/alerts").json?["firing"] as? [[String: Any]] ?? []
                if firing.contains(where: { $0["rule"] as? String == "agent_success_drop" }) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let alert = try #require(firing.first { $0["rule"] as? String == "agent_success_drop" }, "\(firing)")
            #expect((alert["labels"] as? [String: Any])?["agent"] as? String == "solver")
            let metrics = try await keel.send(.GET, "/metrics", key: nil)
            #expect(
                metrics.body.contains(#"keel_agent_tasks_ended{agent="solver",outcome="failed"}"#),
                "\(metrics.body.suffix(600))"
            )
            #expect(metrics.body.contains(#"keel_agent_task_success_ratio{agent="solver"}"#))
            // The drop is an agent-misbehaviour incident too.
            let incidents = try await IncidentResponseTests.incidents(keel, "category=agent_misbehaviour")
            let incident = try #require(incidents.first)
            #expect((incident["scope"] as? [String: String])?["agent"] == "solver", "\(incident)")
            let detail = try await keel.send(.GET, "/admin/v1/incidents/\(incident["id"] as? String ?? "")")
            let detectors = (detail.json?["detection_list"] as? [[String: Any]])?.compactMap {
                $0["detector"] as? String
            }
            #expect(detectors?.contains("alert:agent_success_drop") == true, "\(detectors ?? [])")
            // Past `agents.metrics_max_agents` registered agents, no per-agent series.
            _ = try await AgentRegistryTests.register(keel, #"{"id":"helper","name":"Helper"}"#)
            let bounded = try await eventually {
                let text = try await keel.send(.GET, "/metrics", key: nil).body
                return !text.contains("keel_agent_task_success_ratio{")
            }
            #expect(bounded, "two agents, at most one configured")
        }
    }
}
