import Foundation
import KeelCore
import KeelServer
import KeelTesting
import NIOHTTP1
import Testing

@Suite("GET /admin/v1/costs/recommendations")
struct CostRecommendationsAPITests {
    static let system = String(
        repeating: "You answer questions about the product catalog, briefly and politely. ",
        count: 120
    )

    @Test func shortPromptsGetACheaperModelAndRepeatedPromptsPromptCachingInTheCallersScope() async throws {
        try await TestKeel.run(configure: { configuration in
            // A cheaper model of the simulator's family, at well under half keel-sim-chat's price.
            configuration.prices["keel-sim-mini"] = ModelPrice(usd: "0.10", "0.40")
        }) { keel in
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
            let search = try await key(#"{"team":"search"}"#)
            let ads = try await key(#"{"team":"ads"}"#)
            let viewer = try await key(#"{"team":"search","role":"viewer"}"#)
            let auditor = try await key(#"{"role":"auditor"}"#)

            // Search: short questions, no tools.
            for index in 0..<20 {
                let response = try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody("What is item \(index)?"),
                    key: search
                )
                #expect(response.status == 200)
            }
            // Ads: the same long system prompt and tools every time, never read from a cache.
            let tools = #""tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object"}}}]"#
            for index in 0..<12 {
                let body =
                    #"{"model":"keel-sim-chat",\#(tools),"messages":[{"role":"system","content":"\#(Self.system)"},"#
                    + #"{"role":"user","content":"Write an ad for item \#(index)."}]}"#
                let response = try await keel.post("/v1/chat/completions", json: body, key: ads)
                #expect(response.status == 200, "\(response.body)")
            }
            try await keel.waitForRecords(32)

            let answer = try await keel.send(.GET, "/admin/v1/costs/recommendations")
            #expect(answer.status == 200, "\(answer.body)")
            let data = try #require(answer.json?["data"] as? [[String: Any]])
            #expect(
                Set(data.map { "\($0["kind"] ?? "")@\($0["scope"] ?? "")" }) == [
                    "cheaper_model@search", "prompt_caching@ads",
                ]
            )

            let records = try await keel.records()
            #expect(
                records.filter { $0.teamID == "ads" }.allSatisfy { $0.features == .tools && $0.promptPrefixHash != nil }
            )
            #expect(
                records.filter { $0.teamID == "search" }.allSatisfy { $0.features == [] && $0.promptPrefixHash == nil }
            )

            // The cheaper model: the window's real tokens at keel-sim-chat's price and at keel-sim-mini's
            // (the default window is 30 days, so the month is the window).
            let cheaper = try #require(data.first { $0["kind"] as? String == "cheaper_model" })
            var searchUsage = TokenUsage()
            var searchCost: Int64 = 0
            for record in records where record.teamID == "search" {
                searchUsage.inputTokens += record.usage.inputTokens
                searchUsage.outputTokens += record.usage.outputTokens
                searchCost += record.cost.rawValue
            }
            let saving =
                ModelPrice(usd: "1.00", "2.00").cost(of: searchUsage)
                - ModelPrice(usd: "0.10", "0.40").cost(of: searchUsage)
            #expect(cheaper["current_model"] as? String == "keel-sim-chat")
            #expect(cheaper["suggested_model"] as? String == "keel-sim-mini")
            #expect(cheaper["team"] as? String == "search")
            #expect(cheaper["projected_monthly_saving_nanos"] as? Int64 == saving.rawValue)
            let evidence = try #require(cheaper["evidence"] as? [String: Any])
            #expect(evidence["requests"] as? Int == 20)
            #expect(evidence["avg_input_tokens"] as? Int64 == searchUsage.inputTokens / 20)
            #expect(evidence["current_monthly_cost_nanos"] as? Int64 == searchCost)

            // Prompt caching: 12 requests over one prefix: 11 would read it from the cache.
            let caching = try #require(data.first { $0["kind"] as? String == "prompt_caching" })
            let adsInput = records.filter { $0.teamID == "ads" }.reduce(0) { $0 + $1.usage.inputTokens }
            let prefixTokens = min(1_024, adsInput / 12)
            let cachingSaving =
                TokenRate(1_000_000).cost(of: 11 * prefixTokens) - TokenRate(100_000).cost(of: 11 * prefixTokens)
            #expect(caching["projected_monthly_saving_nanos"] as? Int64 == cachingSaving.rawValue)
            #expect((caching["evidence"] as? [String: Any])?["repeated_prefix_requests"] as? Int == 12)
            #expect(
                answer.json?["projected_monthly_saving_nanos"] as? Int64 == saving.rawValue + cachingSaving.rawValue
            )

            // Roles: a team's viewer sees its team's suggestion only; an auditor sees all; a data
            // key may not ask; a window without traffic has none.
            let scoped = try await keel.send(.GET, "/admin/v1/costs/recommendations", key: viewer)
            #expect((scoped.json?["data"] as? [[String: Any]])?.map { $0["scope"] as? String } == ["search"])
            let audited = try await keel.send(.GET, "/admin/v1/costs/recommendations", key: auditor)
            #expect((audited.json?["data"] as? [Any])?.count == 2)
            #expect(try await keel.send(.GET, "/admin/v1/costs/recommendations", key: search).status == 403)
            #expect(try await keel.send(.GET, "/admin/v1/costs/recommendations", key: nil).status == 401)
            let past = try await keel.send(.GET, "/admin/v1/costs/recommendations?from=2020-01-01&to=2020-02-01")
            #expect(past.status == 200 && (past.json?["data"] as? [Any])?.isEmpty == true)
            let backwards = try await keel.send(.GET, "/admin/v1/costs/recommendations?from=2020-02-01&to=2020-01-01")
            #expect(backwards.status == 400 && backwards.body.contains(#""param":"to""#))
        }
    }
}
