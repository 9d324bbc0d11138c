import Foundation
import KeelCore
import KeelServer
import KeelTesting
import NIOHTTP1
import Testing

@Suite("Virtual keys and the admin API")
struct AdminTests {
    @Test func aCreatedKeyWorksIsBoundToItsTeamAndStopsAtOnceWhenRevoked() async throws {
        try await TestKeel.run { keel in
            // Bindings set through the API name existing rows.
            #expect(try await keel.post("/admin/v1/keys", json: #"{"team":"search"}"#).status == 400)
            #expect(try await keel.post("/admin/v1/orgs", json: #"{"id":"acme","name":"Acme"}"#).status == 201)
            #expect(
                try await keel.post("/admin/v1/teams", json: #"{"id":"search","org":"acme","name":"Search"}"#).status
                    == 201
            )
            #expect(
                try await keel.post("/admin/v1/projects", json: #"{"id":"ranking","team":"search","name":"Ranking"}"#)
                    .status == 201
            )
            let created = try await keel.post(
                "/admin/v1/keys",
                json: #"{"team":"search","project":"ranking","models":["keel-sim-chat"],"expires_in":"30d"}"#
            )
            #expect(created.status == 201)
            let key = try #require(created.json?["key"] as? String)
            let id = try #require(created.json?["id"] as? String)
            #expect(key.hasPrefix("sk-keel-"))

            let listed = try await keel.send(.GET, "/admin/v1/keys")
            #expect(!listed.body.contains(key))
            #expect(listed.body.contains(id))

            let ok = try await keel.post("/v1/chat/completions", json: chatBody("as a team key"), key: key)
            #expect(ok.status == 200)
            let notAllowed = try await keel.post(
                "/v1/embeddings",
                json: #"{"model":"keel-sim-embed","input":"x"}"#,
                key: key
            )
            #expect(notAllowed.status == 404)
            let models = try await keel.send(.GET, "/v1/models", key: key)
            #expect((models.json?["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["keel-sim-chat"])
            #expect(try await keel.send(.GET, "/v1/models/keel-sim-embed", key: key).status == 404)
            #expect(try await keel.send(.GET, "/v1/models/keel-sim-chat", key: key).status == 200)
            let forbidden = try await keel.send(.GET, "/admin/v1/keys", key: key)
            #expect(forbidden.status == 403)

            let revoked = try await keel.send(.DELETE, "/admin/v1/keys/\(id)")
            #expect(revoked.status == 200)
            let refused = try await keel.post("/v1/chat/completions", json: chatBody("after revoke"), key: key)
            #expect(refused.status == 401)
            #expect(try await keel.send(.DELETE, "/admin/v1/keys/key_unknown").status == 404)

            let page = try await keel.send(.GET, "/admin/v1/requests?team=search")
            let rows = try #require(page.json?["data"] as? [[String: Any]])
            #expect(rows.count == 2)
            #expect(
                rows.allSatisfy { $0["team_id"] as? String == "search" && $0["project_id"] as? String == "ranking" }
            )
        }
    }

    @Test func theRequestLogPagesWithACursorAndFilters() async throws {
        try await TestKeel.run { keel in
            for index in 0..<7 {
                _ = try await keel.post("/v1/chat/completions", json: chatBody("page \(index)"))
            }
            _ = try await keel.post("/v1/chat/completions", json: chatBody("x", model: "nope"))
            // Records are written off the request path; wait until they are stored.
            try await keel.waitForRecords(8)
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await keel.send(
                    .GET,
                    "/admin/v1/requests?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                )
                #expect(page.status == 200)
                seen += (page.json?["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = page.json?["next_cursor"] as? String
            } while cursor != nil
            #expect(seen.count == 8)
            #expect(Set(seen).count == 8)
            let failures = try await keel.send(.GET, "/admin/v1/requests?outcome=error")
            #expect((failures.json?["data"] as? [Any])?.count == 1)
            #expect(try await keel.send(.GET, "/admin/v1/requests?outcome=bogus").status == 400)
            #expect(try await keel.send(.GET, "/admin/v1/requests", key: nil).status == 401)
        }
    }
}
