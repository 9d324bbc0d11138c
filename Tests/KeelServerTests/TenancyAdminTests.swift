import Foundation
import KeelCore
import KeelServer
import KeelTesting
import NIOHTTP1
import Testing

/// The tenancy tree and role-scoped keys over the admin API of a running gateway.
@Suite("Tenancy and roles over the admin API")
struct TenancyAdminTests {
    /// Two organisations: acme (teams search and ads) and globex (team labs), with projects,
    /// users, and one key per role. Returns the plain keys by role name, and key ids by name.
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
        _ = try await created("/admin/v1/projects", #"{"id":"lab","team":"labs","name":"Lab"}"#)
        _ = try await created("/admin/v1/users", #"{"id":"ada","org":"acme","name":"Ada","default_team":"search"}"#)
        _ = try await created("/admin/v1/users", #"{"id":"cy","org":"acme","name":"Cy"}"#)
        _ = try await created("/admin/v1/users", #"{"id":"dee","org":"globex","name":"Dee","default_team":"labs"}"#)

        var world = World()
        world.keys["admin"] = TestKeel.adminKey
        let keys: [(String, String)] = [
            ("auditor", #"{"role":"auditor"}"#),
            ("team_admin", #"{"team":"search","role":"team_admin"}"#),
            ("team_viewer", #"{"team":"search","role":"viewer"}"#),
            ("org_viewer", #"{"org":"acme","role":"viewer"}"#),
            ("none", #"{"team":"search"}"#),
            // Data-plane keys the matrix reads or deletes around.
            ("ranking", #"{"project":"ranking"}"#),
            ("lab", #"{"project":"lab"}"#),
            ("ads", #"{"team":"ads"}"#),
            ("acme_only", #"{"org":"acme"}"#),
        ]
        for (name, body) in keys {
            let key = try await created("/admin/v1/keys", body)
            world.keys[name] = try #require(key["key"] as? String)
            world.keyIDs[name] = try #require(key["id"] as? String)
        }
        return world
    }

    /// The callers of the matrix, in the order of each row's statuses.
    static let callers = ["admin", "auditor", "team_admin", "team_viewer", "org_viewer", "none"]

    struct Call: Sendable, CustomTestStringConvertible {
        let method: HTTPMethod
        let path: String
        let body: String?
        /// Expected status per caller of ``callers``.
        let statuses: [Int]
        var testDescription: String { "\(self.method) \(self.path)" }
    }

    /// Role × endpoint × in/out of scope → status. `{caller}` in a body is replaced by the
    /// caller's name, so creations never collide; `{key:NAME}` by a key id.
    static let matrix: [Call] = [
        //                                                                        admin aud  ta   tv   ov   none
        Call(method: .GET, path: "/admin/v1/orgs/acme", body: nil, statuses: [200, 200, 403, 403, 200, 403]),
        Call(method: .GET, path: "/admin/v1/orgs/globex", body: nil, statuses: [200, 200, 403, 403, 403, 403]),
        Call(
            method: .POST,
            path: "/admin/v1/orgs",
            body: #"{"name":"New {caller}"}"#,
            statuses: [201, 403, 403, 403, 403, 403]
        ),
        Call(
            method: .PATCH,
            path: "/admin/v1/orgs/globex",
            body: #"{"name":"Globex"}"#,
            statuses: [200, 403, 403, 403, 403, 403]
        ),
        Call(method: .DELETE, path: "/admin/v1/orgs/acme", body: nil, statuses: [409, 403, 403, 403, 403, 403]),
        Call(method: .GET, path: "/admin/v1/teams/search", body: nil, statuses: [200, 200, 200, 200, 200, 403]),
        Call(method: .GET, path: "/admin/v1/teams/ads", body: nil, statuses: [200, 200, 403, 403, 200, 403]),
        Call(method: .GET, path: "/admin/v1/teams/labs", body: nil, statuses: [200, 200, 403, 403, 403, 403]),
        Call(
            method: .POST,
            path: "/admin/v1/teams",
            body: #"{"org":"acme","name":"T {caller}"}"#,
            statuses: [201, 403, 403, 403, 403, 403]
        ),
        Call(
            method: .PATCH,
            path: "/admin/v1/teams/search",
            body: #"{"name":"Search"}"#,
            statuses: [200, 403, 403, 403, 403, 403]
        ),
        Call(method: .DELETE, path: "/admin/v1/teams/labs", body: nil, statuses: [409, 403, 403, 403, 403, 403]),
        Call(method: .GET, path: "/admin/v1/projects/ranking", body: nil, statuses: [200, 200, 200, 200, 200, 403]),
        Call(method: .GET, path: "/admin/v1/projects/lab", body: nil, statuses: [200, 200, 403, 403, 403, 403]),
        Call(
            method: .POST,
            path: "/admin/v1/projects",
            body: #"{"team":"search","name":"P {caller}"}"#,
            statuses: [201, 403, 201, 403, 403, 403]
        ),
        Call(
            method: .POST,
            path: "/admin/v1/projects",
            body: #"{"team":"ads","name":"P {caller}"}"#,
            statuses: [201, 403, 403, 403, 403, 403]
        ),
        Call(
            method: .PATCH,
            path: "/admin/v1/projects/ranking",
            body: #"{"name":"Ranking"}"#,
            statuses: [200, 403, 200, 403, 403, 403]
        ),
        Call(
            method: .PATCH,
            path: "/admin/v1/projects/lab",
            body: #"{"name":"Lab"}"#,
            statuses: [200, 403, 403, 403, 403, 403]
        ),
        // Both projects have an unrevoked key: whoever may delete them gets 409.
        Call(method: .DELETE, path: "/admin/v1/projects/ranking", body: nil, statuses: [409, 403, 409, 403, 403, 403]),
        Call(method: .DELETE, path: "/admin/v1/projects/lab", body: nil, statuses: [409, 403, 403, 403, 403, 403]),
        Call(method: .GET, path: "/admin/v1/users/ada", body: nil, statuses: [200, 200, 200, 200, 200, 403]),
        Call(method: .GET, path: "/admin/v1/users/cy", body: nil, statuses: [200, 200, 403, 403, 200, 403]),
        Call(method: .GET, path: "/admin/v1/users/dee", body: nil, statuses: [200, 200, 403, 403, 403, 403]),
        Call(
            method: .POST,
            path: "/admin/v1/users",
            body: #"{"org":"acme","name":"U {caller}"}"#,
            statuses: [201, 403, 403, 403, 403, 403]
        ),
        Call(
            method: .PATCH,
            path: "/admin/v1/users/dee",
            body: #"{"default_team":"labs"}"#,
            statuses: [200, 403, 403, 403, 403, 403]
        ),
        Call(
            method: .PATCH,
            path: "/admin/v1/users/ada",
            body: #"{"name":"Ada"}"#,
            statuses: [200, 403, 403, 403, 403, 403]
        ),
        Call(
            method: .PATCH,
            path: "/admin/v1/users/ada",
            body: #"{"default_team":"search"}"#,
            statuses: [200, 403, 200, 403, 403, 403]
        ),
        Call(method: .DELETE, path: "/admin/v1/users/dee", body: nil, statuses: [200, 403, 403, 403, 403, 403]),
        Call(
            method: .POST,
            path: "/admin/v1/keys",
            body: #"{"team":"search","role":"viewer","name":"{caller}"}"#,
            statuses: [201, 403, 201, 403, 403, 403]
        ),
        Call(
            method: .POST,
            path: "/admin/v1/keys",
            body: #"{"team":"search","role":"admin"}"#,
            statuses: [201, 403, 403, 403, 403, 403]
        ),
        Call(
            method: .POST,
            path: "/admin/v1/keys",
            body: #"{"team":"ads"}"#,
            statuses: [201, 403, 403, 403, 403, 403]
        ),
        Call(
            method: .POST,
            path: "/admin/v1/keys",
            body: #"{"org":"acme"}"#,
            statuses: [201, 403, 403, 403, 403, 403]
        ),
        Call(method: .GET, path: "/admin/v1/keys/{key:ranking}", body: nil, statuses: [200, 200, 200, 200, 200, 403]),
        Call(method: .GET, path: "/admin/v1/keys/{key:lab}", body: nil, statuses: [200, 200, 403, 403, 403, 403]),
        Call(
            method: .GET,
            path: "/admin/v1/keys/{key:acme_only}",
            body: nil,
            statuses: [200, 200, 403, 403, 200, 403]
        ),
        Call(method: .DELETE, path: "/admin/v1/keys/{key:ads}", body: nil, statuses: [200, 403, 403, 403, 403, 403]),
        Call(method: .GET, path: "/admin/v1/keys", body: nil, statuses: [200, 200, 200, 200, 200, 403]),
        Call(method: .GET, path: "/admin/v1/orgs", body: nil, statuses: [200, 200, 200, 200, 200, 403]),
        Call(method: .GET, path: "/admin/v1/teams", body: nil, statuses: [200, 200, 200, 200, 200, 403]),
        Call(method: .GET, path: "/admin/v1/requests", body: nil, statuses: [200, 200, 200, 200, 200, 403]),
    ]

    @Test func everyRoleGetsTheExpectedStatusOnEveryEndpointInAndOutOfItsScope() async throws {
        try await TestKeel.run { keel in
            let world = try await Self.build(keel)
            var failures: [String] = []
            for call in Self.matrix {
                var path = call.path
                for (name, id) in world.keyIDs { path = path.replacingOccurrences(of: "{key:\(name)}", with: id) }
                // Without a key, or with an unknown one: 401 everywhere.
                for key in [nil, "sk-keel-unknown-0000000000"] as [String?] {
                    let response = try await keel.send(call.method, path, body: call.body, key: key)
                    if response.status != 401 {
                        failures.append("\(call.method) \(path) key \(key ?? "-"): \(response.status)")
                    }
                }
                for (index, caller) in Self.callers.enumerated() {
                    let body = call.body?.replacingOccurrences(of: "{caller}", with: caller)
                    let response = try await keel.send(call.method, path, body: body, key: world.keys[caller])
                    if response.status != call.statuses[index] {
                        failures.append(
                            "\(caller) \(call.method) \(path): \(response.status), expected \(call.statuses[index]) — \(response.body)"
                        )
                    } else if response.status >= 400 {
                        // Errors keep the OpenAI shape.
                        let error = response.json?["error"] as? [String: Any]
                        if error?["message"] == nil || error?["type"] == nil {
                            failures.append(
                                "\(caller) \(call.method) \(path): not an OpenAI error body: \(response.body)"
                            )
                        }
                    }
                }
            }
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        }
    }

    @Test func listsShowOnlyWhatTheCallerMayRead() async throws {
        try await TestKeel.run { keel in
            let world = try await Self.build(keel)
            func ids(_ path: String, as caller: String) async throws -> [String] {
                let response = try await keel.send(.GET, path, key: world.keys[caller])
                #expect(response.status == 200, "\(path) as \(caller): \(response.body)")
                return (response.json?["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            }
            #expect(try await ids("/admin/v1/orgs", as: "auditor") == ["acme", "globex"])
            #expect(try await ids("/admin/v1/orgs", as: "org_viewer") == ["acme"])
            #expect(try await ids("/admin/v1/orgs", as: "team_viewer") == [])
            #expect(try await ids("/admin/v1/teams", as: "org_viewer") == ["ads", "search"])
            #expect(try await ids("/admin/v1/teams", as: "team_admin") == ["search"])
            #expect(try await ids("/admin/v1/teams?org=globex", as: "org_viewer") == [])
            #expect(try await ids("/admin/v1/teams?org=globex", as: "admin") == ["labs"])
            #expect(try await ids("/admin/v1/projects", as: "team_viewer") == ["ranking"])
            #expect(try await ids("/admin/v1/projects?org=acme", as: "admin") == ["bidding", "ranking"])
            #expect(try await ids("/admin/v1/projects?team=ads", as: "team_viewer") == [])
            #expect(try await ids("/admin/v1/users", as: "org_viewer") == ["ada", "cy"])
            #expect(try await ids("/admin/v1/users", as: "team_viewer") == ["ada"])
            #expect(try await ids("/admin/v1/users?team=labs", as: "auditor") == ["dee"])

            let teamKeys = Set(try await ids("/admin/v1/keys", as: "team_viewer"))
            #expect(teamKeys == Set(["team_admin", "team_viewer", "none", "ranking"].compactMap { world.keyIDs[$0] }))
            let orgKeys = Set(try await ids("/admin/v1/keys", as: "org_viewer"))
            #expect(
                orgKeys
                    == Set(
                        ["team_admin", "team_viewer", "org_viewer", "none", "ranking", "ads", "acme_only"].compactMap {
                            world.keyIDs[$0]
                        }
                    )
            )
            #expect(try await ids("/admin/v1/keys?role=viewer", as: "auditor").count == 2)

            // Pages follow the cursor.
            var seen: [String] = []
            var cursor: String?
            repeat {
                let response = try await keel.send(
                    .GET,
                    "/admin/v1/teams?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                )
                seen += (response.json?["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = response.json?["next_cursor"] as? String
            } while cursor != nil
            #expect(seen == ["ads", "labs", "search"])
            #expect(try await keel.send(.GET, "/admin/v1/teams?limit=0").status == 400)
        }
    }

    @Test func theRequestLogIsFilteredToTheCallersScope() async throws {
        try await TestKeel.run { keel in
            let world = try await Self.build(keel)
            for name in ["ranking", "ranking", "ads", "lab", "acme_only"] {
                let answer = try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody("from \(name)"),
                    key: world.keys[name]
                )
                #expect(answer.status == 200)
            }
            try await keel.waitForRecords(5)
            func keyIDs(as caller: String, query: String = "") async throws -> [String] {
                let response = try await keel.send(.GET, "/admin/v1/requests" + query, key: world.keys[caller])
                #expect(response.status == 200)
                return (response.json?["data"] as? [[String: Any]] ?? []).compactMap { $0["key_id"] as? String }
            }
            let id = { (name: String) in world.keyIDs[name] ?? "?" }
            #expect(try await keyIDs(as: "auditor").count == 5)
            #expect(try await keyIDs(as: "team_viewer") == [id("ranking"), id("ranking")])
            #expect(try await keyIDs(as: "team_admin") == [id("ranking"), id("ranking")])
            #expect(Set(try await keyIDs(as: "org_viewer")) == [id("ranking"), id("ads"), id("acme_only")])
            #expect(try await keyIDs(as: "org_viewer").count == 4)
            // A filter cannot widen the scope.
            #expect(try await keyIDs(as: "team_viewer", query: "?team=labs") == [])
            #expect(try await keyIDs(as: "admin", query: "?team=labs") == [id("lab")])
        }
    }

    @Test func organisationsTeamsProjectsAndUsersGoThroughTheirWholeLife() async throws {
        try await TestKeel.run { keel in
            let org = try await keel.post("/admin/v1/orgs", json: #"{"name":"  Initech  "}"#)
            #expect(org.status == 201)
            let orgID = try #require(org.json?["id"] as? String)
            #expect(orgID.hasPrefix("org_"))
            #expect(org.json?["name"] as? String == "Initech")
            #expect(try await keel.post("/admin/v1/orgs", json: #"{"name":"Initech"}"#).status == 409)
            #expect(try await keel.post("/admin/v1/orgs", json: #"{"id":"bad id!","name":"X"}"#).status == 400)
            #expect(try await keel.post("/admin/v1/orgs", json: #"{"name":""}"#).status == 400)
            #expect(try await keel.post("/admin/v1/orgs", json: "not json").status == 400)

            let patched = try await keel.send(.PATCH, "/admin/v1/orgs/\(orgID)", body: #"{"name":"Initech Inc"}"#)
            #expect(patched.status == 200 && patched.json?["name"] as? String == "Initech Inc")
            #expect(try await keel.send(.GET, "/admin/v1/orgs/\(orgID)").json?["name"] as? String == "Initech Inc")

            #expect(try await keel.post("/admin/v1/teams", json: #"{"org":"nope","name":"T"}"#).status == 400)
            #expect(try await keel.post("/admin/v1/teams", json: #"{"name":"T"}"#).status == 400)
            let team = try await keel.post(
                "/admin/v1/teams",
                json: #"{"id":"printers","org":"\#(orgID)","name":"Printers"}"#
            )
            #expect(team.status == 201 && team.json?["org"] as? String == orgID)
            #expect(
                try await keel.post("/admin/v1/teams", json: #"{"id":"printers","org":"\#(orgID)","name":"Other"}"#)
                    .status == 409
            )
            let project = try await keel.post("/admin/v1/projects", json: #"{"team":"printers","name":"TPS"}"#)
            #expect(project.status == 201)
            let projectID = try #require(project.json?["id"] as? String)
            let user = try await keel.post(
                "/admin/v1/users",
                json:
                    #"{"id":"milton","org":"\#(orgID)","name":"Milton","email":"milton@initech.test","default_team":"printers"}"#
            )
            #expect(user.status == 201 && user.json?["default_team"] as? String == "printers")
            #expect(
                try await keel.post("/admin/v1/users", json: #"{"org":"\#(orgID)","name":"X","email":"nope"}"#).status
                    == 400
            )

            // Refused while something still refers to it.
            #expect(try await keel.send(.DELETE, "/admin/v1/orgs/\(orgID)").status == 409)
            #expect(try await keel.send(.DELETE, "/admin/v1/teams/printers").status == 409)
            let cleared = try await keel.send(.PATCH, "/admin/v1/users/milton", body: #"{"default_team":null}"#)
            #expect(cleared.status == 200 && cleared.json?["default_team"] is NSNull)
            #expect(try await keel.send(.DELETE, "/admin/v1/projects/\(projectID)").status == 200)
            #expect(try await keel.send(.DELETE, "/admin/v1/teams/printers").status == 200)
            #expect(try await keel.send(.DELETE, "/admin/v1/users/milton").status == 200)
            let deleted = try await keel.send(.DELETE, "/admin/v1/orgs/\(orgID)")
            #expect(deleted.status == 200 && deleted.json?["deleted"] as? Bool == true)
            #expect(try await keel.send(.GET, "/admin/v1/orgs/\(orgID)").status == 404)
            #expect(try await keel.send(.DELETE, "/admin/v1/orgs/\(orgID)").status == 404)
            #expect(try await keel.send(.PATCH, "/admin/v1/teams/nope", body: #"{"name":"x"}"#).status == 404)
            #expect(try await keel.send(.GET, "/admin/v1/users/nope").status == 404)
        }
    }

    @Test func keysCarryOrgRoleAndTagsAndBindingsMustExist() async throws {
        try await TestKeel.run { keel in
            _ = try await Self.build(keel)
            let created = try await keel.post(
                "/admin/v1/keys",
                json: #"{"project":"ranking","user":"ada","role":"viewer","tags":{"env":"prod","cost-center":"42"}}"#
            )
            #expect(created.status == 201, "\(created.body)")
            #expect(created.json?["org"] as? String == "acme")
            #expect(created.json?["team"] as? String == "search")
            #expect(created.json?["role"] as? String == "viewer")
            #expect(created.json?["tags"] as? [String: String] == ["env": "prod", "cost-center": "42"])
            let plain = try #require(created.json?["key"] as? String)
            // The key still works on the data plane.
            #expect(try await keel.post("/v1/chat/completions", json: chatBody("tagged"), key: plain).status == 200)

            for body in [
                #"{"team":"nope"}"#, #"{"org":"nope"}"#, #"{"project":"nope"}"#, #"{"user":"nope"}"#,
                #"{"team":"labs","org":"acme"}"#, #"{"team":"ads","project":"ranking"}"#,
                #"{"user":"dee","team":"search"}"#,
                #"{"role":"root"}"#, #"{"role":"viewer"}"#, #"{"org":"acme","role":"team_admin"}"#,
                #"{"tags":{"bad key":"x"}}"#, #"{"tags":["x"]}"#,
            ] {
                let refused = try await keel.post("/admin/v1/keys", json: body)
                #expect(refused.status == 400, "\(body): \(refused.status) \(refused.body)")
            }
        }
    }

    @Test func aTeamAdminManagesItsTeamsMembershipAndKeysButNothingElse() async throws {
        try await TestKeel.run { keel in
            let world = try await Self.build(keel)
            let teamAdmin = world.keys["team_admin"]
            // cy has no team yet: a team admin of the same org may add cy to its team, then remove cy.
            let added = try await keel.send(
                .PATCH,
                "/admin/v1/users/cy",
                body: #"{"default_team":"search"}"#,
                key: teamAdmin
            )
            #expect(added.status == 200 && added.json?["default_team"] as? String == "search")
            #expect(
                try await keel.send(.PATCH, "/admin/v1/users/cy", body: #"{"default_team":"ads"}"#, key: teamAdmin)
                    .status == 403
            )
            #expect(
                try await keel.send(.PATCH, "/admin/v1/users/cy", body: #"{"default_team":null}"#, key: teamAdmin)
                    .status == 200
            )
            #expect(
                try await keel.send(.PATCH, "/admin/v1/users/dee", body: #"{"default_team":null}"#, key: teamAdmin)
                    .status == 403
            )
            #expect(
                try await keel.send(.PATCH, "/admin/v1/users/cy", body: #"{"name":"C"}"#, key: teamAdmin).status == 403
            )

            // Keys: created in its team, never admin or auditor, never elsewhere; revokes its team's keys.
            let viewer = try await keel.post(
                "/admin/v1/keys",
                json: #"{"team":"search","role":"viewer"}"#,
                key: teamAdmin
            )
            #expect(viewer.status == 201 && viewer.json?["org"] as? String == "acme")
            #expect(
                try await keel.post("/admin/v1/keys", json: #"{"team":"search","role":"auditor"}"#, key: teamAdmin)
                    .status == 403
            )
            #expect(try await keel.post("/admin/v1/keys", json: #"{"role":"admin"}"#, key: teamAdmin).status == 403)
            #expect(
                try await keel.post("/admin/v1/keys", json: #"{"project":"bidding"}"#, key: teamAdmin).status == 403
            )
            let viewerID = try #require(viewer.json?["id"] as? String)
            #expect(try await keel.send(.DELETE, "/admin/v1/keys/\(viewerID)", key: teamAdmin).status == 200)
            #expect(
                try await keel.send(.DELETE, "/admin/v1/keys/\(world.keyIDs["ads"] ?? "")", key: teamAdmin).status
                    == 403
            )

            // A revoked role key is refused at once.
            let viewerKey = try #require(viewer.json?["key"] as? String)
            #expect(try await keel.send(.GET, "/admin/v1/teams", key: viewerKey).status == 401)
        }
    }

    @Test func staticKeysFromTheConfigurationHaveNoAdminRoleAndMapTeamsByID() async throws {
        try await TestKeel.run(configure: { configuration in
            configuration.keys = [.init(key: Secret("sk-static-search-key"), team: "search")]
        }) { keel in
            _ = try await Self.build(keel)
            #expect(try await keel.send(.GET, "/admin/v1/teams", key: "sk-static-search-key").status == 403)
            #expect(
                try await keel.post("/v1/chat/completions", json: chatBody("static"), key: "sk-static-search-key")
                    .status == 200
            )
            try await keel.waitForRecords(1)
            // Its free-text team "search" is the id of the team created through the API, so the
            // team's viewers see its requests.
            let viewer = try await keel.post("/admin/v1/keys", json: #"{"team":"search","role":"viewer"}"#)
            let page = try await keel.send(
                .GET,
                "/admin/v1/requests",
                key: try #require(viewer.json?["key"] as? String)
            )
            #expect((page.json?["data"] as? [[String: Any]])?.count == 1)
        }
    }

    /// What the four collections share is written once; what each has of its own (fields,
    /// names in messages and answers, list filters) is checked here for every one of them.
    @Test func everyCollectionAnswersWithItsOwnFieldsNamesAndFilters() async throws {
        try await TestKeel.run { keel in
            _ = try await Self.build(keel)
            let fields: [(String, Set<String>)] = [
                ("/admin/v1/orgs/acme", ["id", "name", "created_at", "updated_at"]),
                ("/admin/v1/teams/search", ["id", "org", "name", "created_at", "updated_at"]),
                ("/admin/v1/projects/ranking", ["id", "team", "name", "created_at", "updated_at"]),
                ("/admin/v1/users/cy", ["id", "org", "name", "email", "default_team", "created_at", "updated_at"]),
            ]
            for (path, expected) in fields {
                let response = try await keel.send(.GET, path)
                #expect(response.status == 200)
                #expect(Set(response.json?.keys.map { $0 } ?? []) == expected, "\(path): \(response.body)")
                // Seconds since the epoch, not microseconds.
                let createdAt = try #require(response.json?["created_at"] as? Int)
                #expect(createdAt > 1_600_000_000 && createdAt < 10_000_000_000)
            }
            let cy = try await keel.send(.GET, "/admin/v1/users/cy")
            #expect(cy.json?["email"] is NSNull && cy.json?["default_team"] is NSNull)
            #expect(try await keel.send(.GET, "/admin/v1/teams/search").json?["org"] as? String == "acme")
            #expect(try await keel.send(.GET, "/admin/v1/projects/ranking").json?["team"] as? String == "search")

            func message(_ response: TestResponse) -> String? {
                (response.json?["error"] as? [String: Any])?["message"] as? String
            }
            for (collection, noun) in [("orgs", "org"), ("teams", "team"), ("projects", "project"), ("users", "user")] {
                for method in [.GET, .PATCH, .DELETE] as [HTTPMethod] {
                    let body = method == .PATCH ? #"{"name":"x"}"# : nil
                    let response = try await keel.send(method, "/admin/v1/\(collection)/nope", body: body)
                    #expect(response.status == 404)
                    #expect(message(response) == "No \(noun) with id 'nope'.", "\(method) \(collection)")
                }
            }
            let unknownOrg = try await keel.post("/admin/v1/teams", json: #"{"org":"nope","name":"T"}"#)
            #expect(unknownOrg.status == 400 && message(unknownOrg) == "Unknown org 'nope'.")
            let unknownTeam = try await keel.post("/admin/v1/projects", json: #"{"team":"nope","name":"P"}"#)
            #expect(unknownTeam.status == 400 && message(unknownTeam) == "Unknown team 'nope'.")
            let noTeam = try await keel.post("/admin/v1/projects", json: #"{"name":"P"}"#)
            #expect(noTeam.status == 400 && message(noTeam) == "'team' is required.")
            let otherOrg = try await keel.post(
                "/admin/v1/users",
                json: #"{"org":"acme","name":"U","default_team":"labs"}"#
            )
            #expect(otherOrg.status == 400 && message(otherOrg) == "Team 'labs' belongs to another org.")
            let malformed = try await keel.post("/admin/v1/users", json: "[]")
            #expect(
                malformed.status == 400
                    && message(malformed)
                        == "The body must be a JSON object with org, name and optional id, email, default_team."
            )

            // Filters a collection does not have are ignored, not applied.
            func ids(_ path: String) async throws -> [String] {
                (try await keel.send(.GET, path).json?["data"] as? [[String: Any]] ?? []).compactMap {
                    $0["id"] as? String
                }
            }
            #expect(try await ids("/admin/v1/orgs?org=globex&team=labs") == ["acme", "globex"])
            #expect(try await ids("/admin/v1/teams?team=labs") == ["ads", "labs", "search"])
            #expect(try await ids("/admin/v1/projects?team=labs") == ["lab"])
            #expect(try await ids("/admin/v1/users?org=globex") == ["dee"])

            // A DELETE names the object it deleted.
            _ = try await keel.post("/admin/v1/orgs", json: #"{"id":"tmp","name":"Tmp"}"#)
            _ = try await keel.post("/admin/v1/teams", json: #"{"id":"tmp","org":"tmp","name":"Tmp"}"#)
            _ = try await keel.post("/admin/v1/projects", json: #"{"id":"tmp","team":"tmp","name":"Tmp"}"#)
            _ = try await keel.post("/admin/v1/users", json: #"{"id":"tmp","org":"tmp","name":"Tmp"}"#)
            for (collection, object) in [
                ("projects", "project"), ("users", "user"), ("teams", "team"), ("orgs", "organization"),
            ] {
                let deleted = try await keel.send(.DELETE, "/admin/v1/\(collection)/tmp")
                #expect(deleted.status == 200)
                #expect(deleted.json?["object"] as? String == object && deleted.json?["id"] as? String == "tmp")
            }
        }
    }
}
