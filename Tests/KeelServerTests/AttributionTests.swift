import Foundation
import KeelCore
import KeelServer
import KeelTesting
import NIOHTTP1
import Testing

@Suite("Request attribution: org and tags")
struct AttributionTests {
    @Test func recordsCarryTheKeysOrgAndTagsOverlaidByTheHeader() async throws {
        try await TestKeel.run { keel in
            #expect(try await keel.post("/admin/v1/orgs", json: #"{"id":"acme","name":"Acme"}"#).status == 201)
            #expect(
                try await keel.post("/admin/v1/teams", json: #"{"id":"search","org":"acme","name":"Search"}"#).status
                    == 201
            )
            let created = try await keel.post(
                "/admin/v1/keys",
                json: #"{"team":"search","tags":{"env":"prod","feature":"chat"}}"#
            )
            #expect(created.status == 201, "\(created.body)")
            let key = try #require(created.json?["key"] as? String)

            #expect(try await keel.post("/v1/chat/completions", json: chatBody("plain"), key: key).status == 200)
            let tagged = try await keel.post(
                "/v1/chat/completions",
                json: chatBody("tagged"),
                key: key,
                headers: [("x-keel-tags", "feature=search, cohort=a.b:c/d-e")]
            )
            #expect(tagged.status == 200, "\(tagged.body)")
            await keel.shutdown()

            let records = try await keel.records()
            #expect(records.count == 2)
            #expect(records.allSatisfy { $0.orgID == "acme" && $0.teamID == "search" })
            #expect(records.first?.tags == ["env": "prod", "feature": "search", "cohort": "a.b:c/d-e"])
            #expect(records.last?.tags == ["env": "prod", "feature": "chat"])
        }
    }

    @Test func theRequestLogShowsAndFiltersByOrgAndTag() async throws {
        try await TestKeel.run { keel in
            #expect(try await keel.post("/admin/v1/orgs", json: #"{"id":"acme","name":"Acme"}"#).status == 201)
            let created = try await keel.post("/admin/v1/keys", json: #"{"org":"acme"}"#)
            let key = try #require(created.json?["key"] as? String)
            for env in ["prod", "dev", "prod"] {
                let response = try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody(env),
                    key: key,
                    headers: [("x-keel-tags", "env=\(env)")]
                )
                #expect(response.status == 200)
            }
            // Records are written off the request path; wait until they are stored.
            try await keel.waitForRecords(3)
            let prod = try await keel.send(.GET, "/admin/v1/requests?org=acme&tag=env:prod")
            let rows = try #require(prod.json?["data"] as? [[String: Any]])
            #expect(rows.count == 2)
            #expect(
                rows.allSatisfy {
                    $0["org_id"] as? String == "acme" && ($0["tags"] as? [String: String])?["env"] == "prod"
                }
            )
            #expect(try await keel.send(.GET, "/admin/v1/requests?org=other").json?["data"] as? [Any] != nil)
            let bad = try await keel.send(.GET, "/admin/v1/requests?tag=nocolon")
            #expect(bad.status == 400 && bad.body.contains("tag"))
        }
    }

    @Test(arguments: [
        "novalue", "a=", "=b", "bad key=x", "k=v!", String(repeating: "k", count: 65) + "=v",
        (0..<17).map { "k\($0)=v" }.joined(separator: ","),
    ])
    func malformedTagsAreRefusedWith400InTheClientsDialect(header: String) async throws {
        try await TestKeel.run { keel in
            let openAI = try await keel.post(
                "/v1/chat/completions",
                json: chatBody("x"),
                headers: [("x-keel-tags", header)]
            )
            #expect(openAI.status == 400, "\(openAI.body)")
            #expect(openAI.body.contains(#""param":"x-keel-tags""#))
            let anthropic = try await keel.post(
                "/v1/messages",
                json: #"{"model":"keel-sim-chat","max_tokens":8,"messages":[{"role":"user","content":"x"}]}"#,
                headers: [("x-keel-tags", header), ("anthropic-version", "2023-06-01")]
            )
            #expect(anthropic.status == 400)
            #expect(anthropic.body.contains(#""type":"invalid_request_error""#), "\(anthropic.body)")
            // Both were admitted (the key authenticated): each leaves its one record.
            await keel.shutdown()
            let records = try await keel.records()
            #expect(records.count == 2)
            #expect(records.allSatisfy { $0.status == 400 && $0.errorClass == "invalid_request" })
        }
    }
}
