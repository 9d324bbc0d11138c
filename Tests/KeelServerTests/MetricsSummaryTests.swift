import Foundation
import KeelCore
import KeelServer
import KeelTesting
import NIOHTTP1
import Testing

@Suite("Live metrics summary")
struct MetricsSummaryTests {
    @Test func summaryGroupsTheLiveWindowByModelAndIsForAdminsAndAuditorsOnly() async throws {
        try await TestKeel.run { keel in
            for content in ["one", "two", "three", "four"] {
                #expect(try await keel.post("/v1/chat/completions", json: chatBody(content, extra: #""stream":true"#)).status == 200)
            }
            #expect(try await keel.post("/v1/chat/completions", json: chatBody("x", model: "via-gemini")).status == 200)
            #expect(try await keel.post("/v1/chat/completions", json: chatBody("[sim status=400]")).status == 400)

            var groups: [[String: Any]] = []
            let deadline = ContinuousClock.now + .seconds(5)
            repeat {
                try await Task.sleep(for: .milliseconds(50))
                let response = try await keel.send(.GET, "/admin/v1/metrics/summary?by=model&window=1m")
                #expect(response.status == 200)
                #expect(response.json?["by"] as? String == "model" && response.json?["window"] as? String == "1m")
                groups = response.json?["groups"] as? [[String: Any]] ?? []
            } while groups.reduce(0, { $0 + ($1["requests"] as? Int ?? 0) }) < 6 && ContinuousClock.now < deadline

            let chat = try #require(groups.first { $0["model"] as? String == "keel-sim-chat" })
            #expect(chat["requests"] as? Int == 5)
            #expect(chat["errors"] as? Int == 1)
            #expect((chat["error_rate"] as? Double).map { abs($0 - 0.2) < 1e-9 } == true)
            #expect((chat["error_rate_by_class"] as? [String: Any])?["client"] != nil)
            let ttft = try #require(chat["ttft_ms"] as? [String: Any])
            #expect((ttft["p50"] as? Double ?? -1) >= 0 && (ttft["count"] as? Int ?? 0) == 4)
            #expect((chat["cost_per_request_nanos"] as? Int ?? 0) > 0)
            #expect(groups.contains { $0["model"] as? String == "keel-sim-chat" && $0["requests"] as? Int == 5 })

            let byProvider = try await keel.send(.GET, "/admin/v1/metrics/summary?by=provider&window=5m")
            let providers = (byProvider.json?["groups"] as? [[String: Any]] ?? []).compactMap { $0["provider"] as? String }
            #expect(Set(providers).isSuperset(of: ["sim", "sim-gemini"]))

            #expect(try await keel.send(.GET, "/admin/v1/metrics/summary?window=2h").status == 400)
            #expect(try await keel.send(.GET, "/admin/v1/metrics/summary?by=colour").status == 400)
            #expect(try await keel.send(.GET, "/admin/v1/metrics/summary", key: nil).status == 401)

            // A team viewer may not see every team's traffic; an auditor may.
            #expect(try await keel.post("/admin/v1/orgs", json: #"{"id":"acme","name":"Acme"}"#).status == 201)
            #expect(try await keel.post("/admin/v1/teams", json: #"{"id":"search","org":"acme","name":"Search"}"#).status == 201)
            let viewer = try #require(try await keel.post("/admin/v1/keys", json: #"{"team":"search","role":"viewer"}"#).json?["key"] as? String)
            let auditor = try #require(try await keel.post("/admin/v1/keys", json: #"{"org":"acme","role":"auditor"}"#).json?["key"] as? String)
            #expect(try await keel.send(.GET, "/admin/v1/metrics/summary", key: viewer).status == 403)
            #expect(try await keel.send(.GET, "/admin/v1/metrics/summary", key: auditor).status == 200)
        }
    }
}
