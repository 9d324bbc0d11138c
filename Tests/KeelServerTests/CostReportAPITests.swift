import Foundation
import KeelCore
import KeelServer
import KeelTesting
import NIOHTTP1
import Testing

@Suite("GET /admin/v1/costs")
struct CostReportAPITests {
    @Test func reportsSumTheRecordsAndStayInTheCallersScope() async throws {
        try await TestKeel.run { keel in
            #expect(try await keel.post("/admin/v1/orgs", json: #"{"id":"acme","name":"Acme"}"#).status == 201)
            #expect(
                try await keel.post("/admin/v1/teams", json: #"{"id":"search","org":"acme","name":"Search"}"#).status
                    == 201
            )
            #expect(
                try await keel.post("/admin/v1/teams", json: #"{"id":"ads","org":"acme","name":"Ads"}"#).status == 201
            )
            func key(_ json: String) async throws -> String {
                let created = try await keel.post("/admin/v1/keys", json: json)
                #expect(created.status == 201, "\(created.body)")
                return try #require(created.json?["key"] as? String)
            }
            let search = try await key(#"{"team":"search","tags":{"env":"prod"}}"#)
            let ads = try await key(#"{"team":"ads"}"#)
            let viewer = try await key(#"{"team":"search","role":"viewer"}"#)
            for (plain, tags) in [(search, ""), (search, "env=dev"), (ads, "env=prod"), (ads, "")] {
                let response = try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody("hello"),
                    key: plain,
                    headers: tags.isEmpty ? [] : [("x-keel-tags", tags)]
                )
                #expect(response.status == 200)
            }
            try await keel.waitForRecords(4)

            let report = try await keel.send(.GET, "/admin/v1/costs?group_by=team,model&interval=none")
            #expect(report.status == 200, "\(report.body)")
            let rows = try #require(report.json?["data"] as? [[String: Any]])
            #expect(rows.map { $0["team"] as? String } == ["ads", "search"])
            #expect(rows.map { $0["requests"] as? Int } == [2, 2])
            #expect(rows.allSatisfy { $0["model"] as? String == "keel-sim-chat" && $0["bucket"] == nil })
            let records = try await keel.records()
            let total = try #require(report.json?["total"] as? [String: Any])
            #expect(total["cost_nanos"] as? Int64 == records.reduce(0) { $0 + $1.cost.rawValue })
            #expect(total["input_tokens"] as? Int64 == records.reduce(0) { $0 + $1.usage.inputTokens })

            let daily = try await keel.send(.GET, "/admin/v1/costs?group_by=tag:env&interval=day&org=acme")
            let tagRows = try #require(daily.json?["data"] as? [[String: Any]])
            #expect(tagRows.map { $0["tag:env"] as? String } == ["dev", "prod"])
            #expect(tagRows.map { $0["requests"] as? Int } == [1, 2])
            #expect(tagRows.allSatisfy { ($0["bucket"] as? Int64 ?? 1) % 86_400 == 0 })
            let prod = try await keel.send(.GET, "/admin/v1/costs?group_by=team&interval=none&tag=env:prod")
            #expect((prod.json?["data"] as? [[String: Any]])?.map { $0["team"] as? String } == ["ads", "search"])

            // A team's viewer sees its team only, whatever it asks for.
            let scoped = try await keel.send(.GET, "/admin/v1/costs?group_by=team&interval=none", key: viewer)
            #expect((scoped.json?["data"] as? [[String: Any]])?.map { $0["team"] as? String } == ["search"])
            let other = try await keel.send(.GET, "/admin/v1/costs?team=ads&interval=none", key: viewer)
            #expect((other.json?["data"] as? [Any])?.isEmpty == true)
            #expect(try await keel.send(.GET, "/admin/v1/costs", key: search).status == 403)
            #expect(try await keel.send(.GET, "/admin/v1/costs", key: nil).status == 401)
        }
    }

    @Test func datesAndUnixSecondsAreAcceptedAndBadParametersAreNamed() async throws {
        try await TestKeel.run { keel in
            let dated = try await keel.send(
                .GET,
                "/admin/v1/costs?from=2026-11-01&to=2026-12-01T00:00:00Z&interval=day"
            )
            #expect(dated.status == 200, "\(dated.body)")
            #expect(dated.json?["from"] as? Int64 == 1_793_491_200)
            #expect(dated.json?["to"] as? Int64 == 1_796_083_200)
            let seconds = try await keel.send(.GET, "/admin/v1/costs?from=1793491200&to=1793577600&interval=hour")
            #expect(seconds.status == 200 && seconds.json?["interval"] as? String == "hour")
            for (query, parameter) in [
                ("group_by=colour", "group_by"), ("interval=week", "interval"), ("from=yesterday", "from"),
                ("to=2026-13-01", "to"), ("from=100&to=50", "to"), ("tag=env", "tag"),
                ("group_by=tag:env,provider", "group_by"), ("group_by=tag:a&tag=b:c", "tag"),
                ("from=0&to=864000&interval=minute", "interval"), ("group_by=team,team", "group_by"),
            ] {
                let refused = try await keel.send(.GET, "/admin/v1/costs?" + query)
                #expect(refused.status == 400, "\(query): \(refused.body)")
                #expect(refused.body.contains(#""param":"\#(parameter)""#), "\(query): \(refused.body)")
            }
        }
    }
}
