import Foundation
import KeelCore
import KeelServer
import KeelTesting
import NIOHTTP1
import Testing

/// `/admin/v1/rate-limits`: rules made through the admin API apply at once, the configuration's
/// are read-only, and roles decide who sees and changes what.
@Suite("Rate limits through the admin API")
struct RateLimitAdminTests {
    @Test func aRuleMadeThroughTheAPIAppliesAtOnceAndCanBeChangedAndDeleted() async throws {
        try await RateLimitTests.awayFromWindowEdge(3_600)
        let configured = [RateLimitRule(id: "from-file", model: "keel-sim-embed", requestsPerWindow: 5)]
        try await TestKeel.run(configure: RateLimitTests.configure(configured)) { keel in
            let created = try await keel.post(
                "/admin/v1/rate-limits", json: #"{"id":"search-rpm","team":"search","rpm":2,"window_seconds":3600}"#)
            #expect(created.status == 201, "\(created.body)")
            #expect(created.json?["source"] as? String == "api")
            #expect(created.json?["rpm"] as? Int == 2)
            for _ in 0..<2 {
                #expect(try await keel.post("/v1/chat/completions", json: chatBody("hi"), key: RateLimitTests.searchKey).status == 200)
            }
            #expect(try await keel.post("/v1/chat/completions", json: chatBody("hi"), key: RateLimitTests.searchKey).status == 429)

            let patched = try await keel.send(.PATCH, "/admin/v1/rate-limits/search-rpm", body: #"{"rpm":3}"#)
            #expect(patched.status == 200)
            #expect(patched.json?["rpm"] as? Int == 3)
            #expect(try await keel.post("/v1/chat/completions", json: chatBody("hi"), key: RateLimitTests.searchKey).status == 200)
            #expect(try await keel.post("/v1/chat/completions", json: chatBody("hi"), key: RateLimitTests.searchKey).status == 429)

            let listed = try await keel.send(.GET, "/admin/v1/rate-limits")
            let rows = try #require(listed.json?["data"] as? [[String: Any]])
            #expect(rows.map { $0["id"] as? String } == ["from-file", "search-rpm"])
            #expect(rows.first?["source"] as? String == "config")
            #expect(try await keel.send(.GET, "/admin/v1/rate-limits?team=search").json?["data"] as? [[String: Any]] != nil)
            #expect((try await keel.send(.GET, "/admin/v1/rate-limits/search-rpm")).json?["team"] as? String == "search")

            // The file's rules are read-only; a taken id is a conflict; bad input is a 400.
            #expect(try await keel.send(.DELETE, "/admin/v1/rate-limits/from-file").status == 409)
            #expect(try await keel.post("/admin/v1/rate-limits", json: #"{"id":"from-file","team":"x","rpm":1}"#).status == 409)
            #expect(try await keel.post("/admin/v1/rate-limits", json: #"{"id":"search-rpm","team":"x","rpm":1}"#).status == 409)
            #expect(try await keel.post("/admin/v1/rate-limits", json: #"{"team":"search"}"#).status == 400)
            #expect(try await keel.post("/admin/v1/rate-limits", json: #"{"rpm":5}"#).status == 400)
            #expect(try await keel.post("/admin/v1/rate-limits", json: #"{"model":"nope","rpm":5}"#).status == 400)
            #expect(try await keel.post("/admin/v1/rate-limits", json: #"{"key":"key_missing","rpm":5}"#).status == 400)
            #expect(try await keel.post("/admin/v1/rate-limits", json: #"{"team":"search","rpm":0}"#).status == 400)

            let deleted = try await keel.send(.DELETE, "/admin/v1/rate-limits/search-rpm")
            #expect(deleted.status == 200)
            #expect(deleted.json?["deleted"] as? Bool == true)
            #expect(try await keel.send(.GET, "/admin/v1/rate-limits/search-rpm").status == 404)
            let free = try await keel.post("/v1/chat/completions", json: chatBody("hi"), key: RateLimitTests.searchKey)
            #expect(free.status == 200)
            #expect(free.headers["x-ratelimit-limit-requests"] == nil)
        }
    }

    @Test func rolesDecideWhoSeesAndChangesWhichRules() async throws {
        try await TestKeel.run { keel in
            #expect(try await keel.post("/admin/v1/orgs", json: #"{"id":"acme","name":"Acme"}"#).status == 201)
            for team in ["search", "ads"] {
                #expect(try await keel.post("/admin/v1/teams", json: #"{"id":"\#(team)","org":"acme","name":"\#(team)"}"#).status == 201)
            }
            func key(_ body: String) async throws -> (id: String, key: String) {
                let created = try await keel.post("/admin/v1/keys", json: body)
                #expect(created.status == 201, "\(created.body)")
                return (try #require(created.json?["id"] as? String), try #require(created.json?["key"] as? String))
            }
            let teamAdmin = try await key(#"{"team":"search","role":"team_admin"}"#).key
            let viewer = try await key(#"{"team":"search","role":"viewer"}"#).key
            let auditor = try await key(#"{"role":"auditor"}"#).key
            let searchApp = try await key(#"{"team":"search"}"#).id
            let adsApp = try await key(#"{"team":"ads"}"#).id

            // Admin: a team's rule and a model's rule.
            #expect(try await keel.post("/admin/v1/rate-limits", json: #"{"id":"t-search","team":"search","rpm":100}"#).status == 201)
            #expect(try await keel.post("/admin/v1/rate-limits", json: #"{"id":"t-ads","team":"ads","rpm":100}"#).status == 201)
            #expect(try await keel.post("/admin/v1/rate-limits", json: #"{"id":"m-chat","model":"keel-sim-chat","tpm":100000}"#).status == 201)

            // Team admin: its team's keys' rules, nothing else.
            let own = try await keel.post(
                "/admin/v1/rate-limits", json: #"{"id":"k-search","key":"\#(searchApp)","model":"keel-sim-chat","rpm":10}"#, key: teamAdmin)
            #expect(own.status == 201, "\(own.body)")
            #expect(try await keel.post("/admin/v1/rate-limits", json: #"{"key":"\#(adsApp)","rpm":10}"#, key: teamAdmin).status == 403)
            #expect(try await keel.post("/admin/v1/rate-limits", json: #"{"team":"search","rpm":1000}"#, key: teamAdmin).status == 403)
            #expect(try await keel.send(.PATCH, "/admin/v1/rate-limits/t-search", body: #"{"rpm":1000}"#, key: teamAdmin).status == 403)
            #expect(try await keel.send(.DELETE, "/admin/v1/rate-limits/t-search", key: teamAdmin).status == 403)
            #expect(try await keel.send(.PATCH, "/admin/v1/rate-limits/k-search", body: #"{"rpm":20}"#, key: teamAdmin).status == 200)

            func ids(_ key: String) async throws -> [String] {
                let listed = try await keel.send(.GET, "/admin/v1/rate-limits", key: key)
                #expect(listed.status == 200)
                return (listed.json?["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            }
            // Viewer and team admin read their scope; the auditor and the admin read everything.
            #expect(try await ids(viewer) == ["t-search", "k-search"])
            #expect(try await ids(teamAdmin) == ["t-search", "k-search"])
            #expect(try await ids(auditor) == ["t-search", "t-ads", "m-chat", "k-search"])
            #expect(try await ids(TestKeel.adminKey) == ["t-search", "t-ads", "m-chat", "k-search"])
            #expect(try await keel.send(.GET, "/admin/v1/rate-limits/t-ads", key: viewer).status == 403)
            #expect(try await keel.send(.GET, "/admin/v1/rate-limits/m-chat", key: auditor).status == 200)

            // Readers change nothing.
            #expect(try await keel.post("/admin/v1/rate-limits", json: #"{"key":"\#(searchApp)","rpm":1}"#, key: viewer).status == 403)
            #expect(try await keel.post("/admin/v1/rate-limits", json: #"{"team":"ads","rpm":1}"#, key: auditor).status == 403)
            #expect(try await keel.send(.DELETE, "/admin/v1/rate-limits/k-search", key: auditor).status == 403)
            #expect(try await keel.send(.DELETE, "/admin/v1/rate-limits/k-search", key: teamAdmin).status == 200)
        }
    }

    @Test func theConfigurationFileIsCheckedForRateLimits() throws {
        let valid = try KeelConfiguration.parse(
            yaml: """
                models: [ { name: m, routes: [ { provider: p, model: m } ] } ]
                providers: [ { name: p, kind: simulator } ]
                rate_limits:
                  - { team: search, rpm: 60, tpm: 100000, max_concurrent: 4 }
                  - { id: per-key, key: key_1, model: m, rpm: 5, window_seconds: 10 }
                rate_limiting: { slice_fraction: 0.25, sync_interval_ms: 500, lease_ttl_ms: 5000 }
                """,
            environment: [:]
        )
        #expect(valid.rateLimits.map(\.id) == ["config-0", "per-key"])
        #expect(valid.rateLimits[1] == RateLimitRule(id: "per-key", keyID: "key_1", model: "m", requestsPerWindow: 5, windowSeconds: 10))
        #expect(valid.rateLimiting == .init(sliceFraction: 0.25, syncInterval: .milliseconds(500), leaseTTL: .seconds(5)))

        do {
            _ = try KeelConfiguration.parse(
                yaml: """
                    rate_limits:
                      - { team: search }
                      - { rpm: 5 }
                      - { model: nope, rpm: 5 }
                      - { id: a, team: t, rpm: 0 }
                      - { id: b, team: t, rpm: 1, colour: red }
                      - { id: b, team: t, rpm: 1 }
                    rate_limiting: { slice_fraction: 2, sync_interval_ms: 1000, lease_ttl_ms: 1000 }
                    """,
                environment: [:]
            )
            Issue.record("an invalid configuration was accepted")
        } catch let error as ConfigurationError {
            let text = "\(error)"
            for fragment in [
                "rate_limits[0]", "sets no limit", "rate_limits[1]", "names no scope", "rate_limits[2].model",
                "rate_limits[3].rpm", "rate_limits[4].colour", "rate_limits[5].id", "rate_limiting.slice_fraction",
                "rate_limiting.lease_ttl_ms",
            ] {
                #expect(text.contains(fragment), "\(fragment) missing from: \(text)")
            }
        }
    }
}
