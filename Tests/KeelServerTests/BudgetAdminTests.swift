import Foundation
import KeelCore
import KeelServer
import KeelTesting
import NIOHTTP1
import Testing

/// `/admin/v1/budgets` over loopback on a running gateway: validation, status, changes, roles,
/// and the spend of real requests reaching the budget's status.
@Suite("Budgets over the admin API")
struct BudgetAdminTests {
    /// The gateway on `database`, with the ledger flushed every 50 ms.
    static func configure(_ database: TestDatabase) -> @Sendable (inout KeelConfiguration) -> Void {
        let url = TestKeel.postgresURL
        let schema = TestKeel.uniquePostgresSchema()
        return { configuration in
            configuration.budgets.flushInterval = .milliseconds(50)
            if database == .postgres, let url {
                configuration.storage = .init(url: url, schema: schema, maxConnections: 4)
            }
        }
    }

    struct World {
        var keys: [String: String] = [:]
        var keyIDs: [String: String] = [:]
    }

    static func build(_ keel: TestGateway) async throws -> World {
        func created(_ path: String, _ json: String) async throws -> [String: Any] {
            let response = try await keel.post(path, json: json)
            #expect(response.status == 201, "\(path) \(json): \(response.body)")
            return try #require(response.json)
        }
        _ = try await created("/admin/v1/orgs", #"{"id":"acme","name":"Acme"}"#)
        _ = try await created("/admin/v1/orgs", #"{"id":"globex","name":"Globex"}"#)
        _ = try await created("/admin/v1/teams", #"{"id":"search","org":"acme","name":"Search"}"#)
        _ = try await created("/admin/v1/teams", #"{"id":"ads","org":"acme","name":"Ads"}"#)
        _ = try await created("/admin/v1/teams", #"{"id":"labs","org":"globex","name":"Labs"}"#)
        _ = try await created("/admin/v1/projects", #"{"id":"ranking","team":"search","name":"Ranking"}"#)
        _ = try await created("/admin/v1/projects", #"{"id":"bidding","team":"ads","name":"Bidding"}"#)
        _ = try await created("/admin/v1/users", #"{"id":"ada","org":"acme","name":"Ada","default_team":"search"}"#)
        var world = World()
        for (name, body) in [
            ("ranking", #"{"project":"ranking"}"#),
            ("team_admin", #"{"team":"search","role":"team_admin"}"#),
            ("viewer", #"{"team":"search","role":"viewer"}"#),
            ("auditor", #"{"role":"auditor"}"#),
        ] {
            let key = try await created("/admin/v1/keys", body)
            world.keys[name] = try #require(key["key"] as? String)
            world.keyIDs[name] = try #require(key["id"] as? String)
        }
        return world
    }

    static func budgetBody(_ scope: String, _ scopeID: String, period: String = "monthly", limit: String = "10", extra: String = "") -> String {
        #"{"name":"\#(scope) budget","scope":"\#(scope)","scope_id":"\#(scopeID)","period":"\#(period)","limit_usd":"\#(limit)"\#(extra)}"#
    }

    /// A dollar amount of the API (decimal text) as a number.
    static func dollars(_ value: Any?) -> Double? { (value as? String).flatMap(Double.init) }

    @Test(arguments: TestDatabase.enabled)
    func budgetsAreCreatedValidatedReadChangedAndDeleted(database: TestDatabase) async throws {
        try await TestKeel.run(configure: Self.configure(database)) { keel in
            let world = try await Self.build(keel)
            let rankingKey = try #require(world.keyIDs["ranking"])

            // Each scope kind, placed in the organisation and team of its scope.
            let kinds: [(scope: String, id: String, period: String, extra: String, org: String?, team: String?)] = [
                ("org", "acme", "monthly", "", "acme", nil),
                ("team", "search", "daily", #","time_zone":"Europe/Berlin""#, "acme", "search"),
                ("project", "ranking", "weekly", "", "acme", "search"),
                ("user", "ada", "monthly", "", "acme", "search"),
                ("key", rankingKey, "monthly", "", "acme", "search"),
                ("tag", "feature=search", "monthly", #","team":"search""#, "acme", "search"),
                ("team", "ads", "fixed", #","starts_at":1700000000,"ends_at":4100000000,"soft_limit_usd":"8""#, "acme", "ads"),
            ]
            var ids: [String] = []
            for kind in kinds {
                let response = try await keel.post("/admin/v1/budgets", json: Self.budgetBody(kind.scope, kind.id, period: kind.period, extra: kind.extra))
                #expect(response.json?["period"] as? String == kind.period)
                #expect(response.status == 201, "\(kind.scope): \(response.body)")
                let json = try #require(response.json)
                #expect(json["scope"] as? String == kind.scope)
                #expect(json["scope_id"] as? String == kind.id)
                #expect(json["org"] as? String == kind.org, "\(kind.scope)")
                #expect(json["team"] as? String == kind.team, "\(kind.scope)")
                ids.append(try #require(json["id"] as? String))
            }

            // Bad input is a 400 naming the field.
            let bad: [(body: String, param: String)] = [
                (Self.budgetBody("org", "nope"), "scope_id"),
                (Self.budgetBody("team", "nope"), "scope_id"),
                (Self.budgetBody("project", "nope"), "scope_id"),
                (Self.budgetBody("user", "nope"), "scope_id"),
                (Self.budgetBody("key", "nope"), "scope_id"),
                (Self.budgetBody("tag", "feature"), "scope_id"),
                (Self.budgetBody("galaxy", "acme"), "scope"),
                (Self.budgetBody("team", "search", period: "hourly"), "period"),
                (Self.budgetBody("team", "search", extra: #","time_zone":"Mars/Olympus""#), "time_zone"),
                (Self.budgetBody("team", "search", extra: #","soft_limit_usd":"10.01""#), "soft_limit_usd"),
                (Self.budgetBody("team", "search", period: "fixed"), "starts_at"),
                (Self.budgetBody("team", "search", period: "fixed", extra: #","starts_at":1800000000,"ends_at":1700000000"#), "starts_at"),
                (Self.budgetBody("team", "search", limit: "ten"), "limit_usd"),
            ]
            for (body, param) in bad {
                let response = try await keel.post("/admin/v1/budgets", json: body)
                #expect(response.status == 400, "\(body): \(response.body)")
                let error = response.json?["error"] as? [String: Any]
                #expect(error?["param"] as? String == param, "\(body): \(response.body)")
            }

            // Read, with where each budget stands.
            let one = try await keel.send(.GET, "/admin/v1/budgets/\(ids[1])")
            #expect(one.status == 200)
            let status = try #require(one.json?["status"] as? [String: Any], "\(one.body)")
            #expect(status["spent_usd"] as? String != nil)
            #expect(status["remaining_usd"] as? String == one.json?["limit_usd"] as? String)
            #expect((status["period_start"] as? NSNumber) != nil, "\(one.body)")
            #expect(status["exhausted"] as? Bool == false)
            let list = try await keel.send(.GET, "/admin/v1/budgets")
            let listed = try #require(list.json?["data"] as? [[String: Any]], "\(list.body)")
            #expect(listed.compactMap { $0["id"] as? String }.sorted() == ids.sorted())
            #expect(listed.allSatisfy { $0["status"] is [String: Any] })
            let tagged = try await keel.send(.GET, "/admin/v1/budgets?scope=tag")
            #expect((tagged.json?["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [ids[5]])
            #expect(try await keel.send(.GET, "/admin/v1/budgets/bud_missing").status == 404)

            // Change the limit; the scope cannot change.
            let patched = try await keel.send(.PATCH, "/admin/v1/budgets/\(ids[1])", body: #"{"limit_usd":"25.5","soft_limit_usd":"20"}"#)
            #expect(patched.status == 200, "\(patched.body)")
            #expect(Self.dollars(patched.json?["limit_usd"]) == 25.5)
            let reread = try await keel.send(.GET, "/admin/v1/budgets/\(ids[1])")
            #expect(Self.dollars(reread.json?["limit_usd"]) == 25.5)
            #expect(Self.dollars(reread.json?["soft_limit_usd"]) == 20)
            #expect(try await keel.send(.PATCH, "/admin/v1/budgets/\(ids[1])", body: #"{"scope_id":"ads"}"#).status == 400)
            #expect(try await keel.send(.PATCH, "/admin/v1/budgets/\(ids[1])", body: #"{"soft_limit_usd":"30"}"#).status == 400)

            // Delete.
            #expect(try await keel.send(.DELETE, "/admin/v1/budgets/\(ids[3])").status == 200)
            #expect(try await keel.send(.GET, "/admin/v1/budgets/\(ids[3])").status == 404)
            #expect(try await keel.send(.DELETE, "/admin/v1/budgets/\(ids[3])").status == 404)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func teamAdminsManageBudgetsInsideTheirTeamAndViewersRead(database: TestDatabase) async throws {
        try await TestKeel.run(configure: Self.configure(database)) { keel in
            let world = try await Self.build(keel)
            let teamAdmin = try #require(world.keys["team_admin"])
            let viewer = try #require(world.keys["viewer"])
            let auditor = try #require(world.keys["auditor"])

            // A team admin: a project of its team yes; its own team, another team's project, no.
            let mine = try await keel.post("/admin/v1/budgets", json: Self.budgetBody("project", "ranking"), key: teamAdmin)
            #expect(mine.status == 201, "\(mine.body)")
            let mineID = try #require(mine.json?["id"] as? String)
            #expect(try await keel.post("/admin/v1/budgets", json: Self.budgetBody("team", "search"), key: teamAdmin).status == 403)
            #expect(try await keel.post("/admin/v1/budgets", json: Self.budgetBody("org", "acme"), key: teamAdmin).status == 403)
            #expect(try await keel.post("/admin/v1/budgets", json: Self.budgetBody("project", "bidding"), key: teamAdmin).status == 403)
            #expect(try await keel.send(.PATCH, "/admin/v1/budgets/\(mineID)", body: #"{"limit_usd":"12"}"#, key: teamAdmin).status == 200)

            // Budgets the admin made on the team and on another team.
            let onTeam = try #require(try await keel.post("/admin/v1/budgets", json: Self.budgetBody("team", "search")).json?["id"] as? String)
            let onAds = try #require(try await keel.post("/admin/v1/budgets", json: Self.budgetBody("project", "bidding")).json?["id"] as? String)
            #expect(try await keel.send(.PATCH, "/admin/v1/budgets/\(onTeam)", body: #"{"limit_usd":"1"}"#, key: teamAdmin).status == 403)
            #expect(try await keel.send(.DELETE, "/admin/v1/budgets/\(onTeam)", key: teamAdmin).status == 403)
            #expect(try await keel.send(.DELETE, "/admin/v1/budgets/\(onAds)", key: teamAdmin).status == 403)
            #expect(try await keel.send(.GET, "/admin/v1/budgets/\(onTeam)", key: teamAdmin).status == 200)
            #expect(try await keel.send(.GET, "/admin/v1/budgets/\(onAds)", key: teamAdmin).status == 403)

            // A viewer reads its team's budgets and changes none; an auditor reads all.
            #expect(try await keel.send(.GET, "/admin/v1/budgets/\(onTeam)", key: viewer).status == 200)
            #expect(try await keel.send(.GET, "/admin/v1/budgets/\(onAds)", key: viewer).status == 403)
            let seen = try await keel.send(.GET, "/admin/v1/budgets", key: viewer)
            #expect(seen.status == 200)
            #expect((seen.json?["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }.sorted() == [mineID, onTeam].sorted())
            #expect(try await keel.post("/admin/v1/budgets", json: Self.budgetBody("project", "ranking"), key: viewer).status == 403)
            #expect(try await keel.send(.PATCH, "/admin/v1/budgets/\(mineID)", body: #"{"limit_usd":"1"}"#, key: viewer).status == 403)
            #expect(try await keel.send(.DELETE, "/admin/v1/budgets/\(mineID)", key: viewer).status == 403)
            #expect(try await keel.send(.GET, "/admin/v1/budgets/\(onAds)", key: auditor).status == 200)
            #expect(try await keel.post("/admin/v1/budgets", json: Self.budgetBody("project", "ranking"), key: auditor).status == 403)

            #expect(try await keel.send(.DELETE, "/admin/v1/budgets/\(mineID)", key: teamAdmin).status == 200)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func theStatusShowsTheSpendOfRealRequestsAndAnExhaustedBudgetRefuses(database: TestDatabase) async throws {
        try await TestKeel.run(configure: Self.configure(database)) { keel in
            let world = try await Self.build(keel)
            let key = try #require(world.keys["ranking"])
            let created = try await keel.post("/admin/v1/budgets", json: Self.budgetBody("project", "ranking", period: "daily"))
            let id = try #require(created.json?["id"] as? String, "\(created.body)")
            for content in ["one", "two", "three"] {
                #expect(try await keel.post("/v1/chat/completions", json: chatBody(content), key: key).status == 200)
            }
            // The ledger is flushed every 50 ms; give a loaded machine ten seconds.
            var status: [String: Any] = [:]
            for _ in 0..<200 {
                status = try #require(try await keel.send(.GET, "/admin/v1/budgets/\(id)").json?["status"] as? [String: Any])
                if let spent = status["spent_usd"] as? String, let value = Double(spent), value > 0 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let spent = try #require((status["spent_usd"] as? String).flatMap(Double.init), "\(status)")
            #expect(spent > 0)
            let remaining = try #require((status["remaining_usd"] as? String).flatMap(Double.init))
            #expect(abs(spent + remaining - 10) < 1e-9)
            // Lowered to what was spent, the budget refuses the next request.
            let spentText = try #require(status["spent_usd"] as? String)
            let lowered = try await keel.send(.PATCH, "/admin/v1/budgets/\(id)", body: #"{"limit_usd":"\#(spentText)"}"#)
            #expect(lowered.status == 200, "\(lowered.body)")
            let refused = try await keel.post("/v1/chat/completions", json: chatBody("four"), key: key)
            #expect(refused.status == 429, "\(refused.body)")
            let error = refused.json?["error"] as? [String: Any]
            #expect(error?["code"] as? String == "budget_exceeded", "\(refused.body)")
            #expect((error?["message"] as? String)?.contains(id) == true)
            // Another project's requests are not covered.
            let other = try #require(try await keel.post("/admin/v1/keys", json: #"{"project":"bidding"}"#).json?["key"] as? String)
            #expect(try await keel.post("/v1/chat/completions", json: chatBody("five"), key: other).status == 200)
        }
    }
}
