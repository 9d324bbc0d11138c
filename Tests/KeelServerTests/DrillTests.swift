import Foundation
import KeelCore
import KeelTesting
import NIOHTTP1
import Testing

@testable import KeelServer

/// The seven incident drills, each against its own gateway and simulator: the fault goes through
/// the gateway, the incident opens, its playbook contains it (held steps approved by the drill),
/// the drill resolves it (temporary actions undone) and removes what it made. One at a time: seven
/// gateways with their simulators at once weigh on the rest of the suite.
@Suite("Incident drills", .serialized)
struct DrillTests {
    /// A drill model on the simulator with a fallback on another provider (failover moves it
    /// there), budgets and incidents checked often.
    static func configure(_ configuration: inout KeelConfiguration) {
        configuration.models.append(
            .init(
                name: "drill-target",
                routes: [.init(provider: "sim", model: "keel-sim-chat")],
                fallbacks: ["drill-backup"],
                maxRetries: 0
            )
        )
        configuration.models.append(
            .init(name: "drill-backup", routes: [.init(provider: "sim-anthropic", model: "keel-sim-claude")])
        )
        configuration.incidents.drillModel = "drill-target"
        configuration.incidents.tickIntervalMs = 100
        configuration.budgets.alertInterval = .milliseconds(200)
        configuration.recorder.flushIntervalMs = 5
    }

    /// Runs a drill of `category` through the API and waits for its report.
    static func drill(_ keel: TestGateway, _ category: String) async throws -> [String: Any] {
        let started = try await keel.post("/admin/v1/incidents/drills", json: #"{"category":"\#(category)"}"#)
        #expect(started.status == 202, "\(started.body)")
        let id = try #require(started.json?["id"] as? String)
        #expect(started.json?["state"] as? String == "running")
        var report: [String: Any] = [:]
        let ended = try await eventually(within: .seconds(200)) {
            report = try await keel.send(.GET, "/admin/v1/incidents/drills/\(id)").json ?? [:]
            return report["state"] as? String != "running"
        }
        #expect(ended, "\(report)")
        return report
    }

    @Test(arguments: IncidentCategory.allCases)
    func aDrillDetectsContainsAndCleansUp(category: IncidentCategory) async throws {
        try await TestKeel.run(configure: { Self.configure(&$0) }) { keel in
            let report = try await Self.drill(keel, category.rawValue)
            #expect(report["state"] as? String == "passed", "\(report)")
            let detected = try #require(report["detected_after_ms"] as? Int, "\(report)")
            let contained = try #require(report["contained_after_ms"] as? Int, "\(report)")
            let steps = report["steps"] as? [[String: Any]] ?? []
            #expect(!steps.isEmpty)
            #expect(steps.allSatisfy { $0["state"] as? String != "failed" }, "\(steps)")
            // A temporary action is undone when the drill resolves the incident.
            #expect(
                steps.contains { ["undone", "skipped"].contains($0["state"] as? String) },
                "\(steps)"
            )
            print(
                "drill \(category.rawValue): detected after \(detected) ms (\(report["detector"] ?? "")), contained after \(contained) ms, steps: "
                    + steps.map { "\($0["action"] ?? "")=\($0["state"] ?? "")@\($0["after_ms"] ?? "")" }.joined(
                        separator: ", "
                    )
            )

            // The incident is resolved and carries the drill's note.
            let incidentID = try #require(report["incident"] as? String)
            let incident = try await keel.send(.GET, "/admin/v1/incidents/\(incidentID)").json ?? [:]
            #expect(incident["state"] as? String == "resolved", "\(incident)")
            #expect(incident["category"] as? String == category.rawValue)
            let timeline = (incident["timeline"] as? [[String: Any]])?.compactMap { $0["text"] as? String } ?? []
            #expect(timeline.contains { $0.contains("opened by a \(category.rawValue) drill") }, "\(timeline)")

            // What the drill made is gone, and routing is back as it was.
            let id = try #require(report["id"] as? String)
            #expect((report["notes"] as? [String])?.isEmpty == true, "\(report)")
            let keys = try await keel.send(.GET, "/admin/v1/keys").json?["data"] as? [[String: Any]] ?? []
            let drillKeys = keys.filter { $0["name"] as? String == "drill-\(id)" }
            #expect(drillKeys.allSatisfy { $0["revoked_at"] is NSNumber }, "\(drillKeys)")
            let policies = try await keel.send(.GET, "/admin/v1/policies").body
            #expect(!policies.contains("drill-\(id)"))
            #expect(try await keel.send(.GET, "/admin/v1/agents/drill-\(id)").status == 404)
            #expect(try await keel.send(.GET, "/admin/v1/budgets/drill-\(id)").status == 404)
            let routed = try await keel.post(
                "/v1/chat/completions",
                json: chatBody("after the drill", model: "drill-target")
            )
            if category != .providerOutage {
                // The outage leaves the provider's breaker open for its cool-down, as a real one.
                #expect(routed.status == 200)
                #expect(routed.headers["x-keel-provider"] == "sim", "the drill model is served by its own route again")
            }
            let listed = try await keel.send(.GET, "/admin/v1/incidents/drills").json?["data"] as? [[String: Any]]
            #expect(listed?.first?["id"] as? String == id)
        }
    }

    @Test func drillsAreRefusedWithoutASimulatedModelOrWhileOneRuns() async throws {
        // The test gateway's providers are OpenAI-compatible servers (the simulator behind them):
        // no built-in simulator, no drill model named.
        try await TestKeel.run { keel in
            let refused = try await keel.post("/admin/v1/incidents/drills", json: #"{"category":"cost_spike"}"#)
            #expect(refused.status == 409, "\(refused.body)")
            #expect(refused.body.contains("simulator"))
        }
        try await TestKeel.run(configure: { Self.configure(&$0) }) { keel in
            let bad = try await keel.post("/admin/v1/incidents/drills", json: #"{"category":"meteor"}"#)
            #expect(bad.status == 400)
            #expect(bad.body.contains("supply_chain"))
            #expect(try await keel.post("/admin/v1/orgs", json: #"{"id":"acme","name":"Acme"}"#).status == 201)
            #expect(
                try await keel.post("/admin/v1/teams", json: #"{"id":"t","org":"acme","name":"t"}"#).status == 201
            )
            let created = try await keel.post("/admin/v1/keys", json: #"{"role":"team_admin","team":"t"}"#)
            let teamAdmin = try #require(created.json?["key"] as? String, "\(created.body)")
            let denied = try await keel.post(
                "/admin/v1/incidents/drills",
                json: #"{"category":"supply_chain"}"#,
                key: teamAdmin
            )
            #expect(denied.status == 403, "a drill acts as the admin: \(denied.body)")
            let first = try await keel.post("/admin/v1/incidents/drills", json: #"{"category":"model_degradation"}"#)
            #expect(first.status == 202)
            let second = try await keel.post("/admin/v1/incidents/drills", json: #"{"category":"supply_chain"}"#)
            #expect(second.status == 409, "one drill at a time: \(second.body)")
            #expect(try await keel.send(.GET, "/admin/v1/incidents/drills/drl_nothing").status == 404)
        }
    }
}
