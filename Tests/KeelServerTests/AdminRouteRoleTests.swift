import Foundation
import KeelTesting
import NIOHTTP1
import Testing

/// Every admin route, called with each kind of key: no key is 401; a data-plane key is 403
/// everywhere; an auditor reads everything and changes nothing; a viewer changes nothing; a team
/// admin cannot create organisations or teams, nor change budgets on its own team.
@Suite("Admin routes × roles")
struct AdminRouteRoleTests {
    struct Route: Sendable, CustomTestStringConvertible {
        let method: HTTPMethod
        let path: String
        var body: String?
        var isRead: Bool { self.method == .GET }
        var testDescription: String { "\(self.method) \(self.path)" }
    }

    /// Every route under `/admin/v1`, with a body a permitted caller could send.
    static let routes: [Route] = [
        Route(method: .POST, path: "/admin/v1/orgs", body: #"{"name":"Other"}"#),
        Route(method: .GET, path: "/admin/v1/orgs"),
        Route(method: .GET, path: "/admin/v1/orgs/acme"),
        Route(method: .PATCH, path: "/admin/v1/orgs/acme", body: #"{"name":"Acme 2"}"#),
        Route(method: .DELETE, path: "/admin/v1/orgs/acme"),
        Route(method: .POST, path: "/admin/v1/teams", body: #"{"org":"acme","name":"Other"}"#),
        Route(method: .GET, path: "/admin/v1/teams"),
        Route(method: .GET, path: "/admin/v1/teams/search"),
        Route(method: .PATCH, path: "/admin/v1/teams/search", body: #"{"name":"Search 2"}"#),
        Route(method: .DELETE, path: "/admin/v1/teams/search"),
        Route(method: .POST, path: "/admin/v1/projects", body: #"{"team":"search","name":"P2"}"#),
        Route(method: .GET, path: "/admin/v1/projects"),
        Route(method: .GET, path: "/admin/v1/projects/ranking"),
        Route(method: .PATCH, path: "/admin/v1/projects/ranking", body: #"{"name":"R2"}"#),
        Route(method: .DELETE, path: "/admin/v1/projects/ranking"),
        Route(method: .POST, path: "/admin/v1/users", body: #"{"org":"acme","name":"U2"}"#),
        Route(method: .GET, path: "/admin/v1/users"),
        Route(method: .GET, path: "/admin/v1/users/ada"),
        Route(method: .PATCH, path: "/admin/v1/users/ada", body: #"{"name":"Ada 2"}"#),
        Route(method: .DELETE, path: "/admin/v1/users/ada"),
        Route(method: .POST, path: "/admin/v1/keys", body: #"{"team":"search"}"#),
        Route(method: .GET, path: "/admin/v1/keys"),
        Route(method: .GET, path: "/admin/v1/keys/unknown"),
        Route(method: .DELETE, path: "/admin/v1/keys/unknown"),
        Route(method: .POST, path: "/admin/v1/budgets", body: #"{"name":"b2","scope":"project","scope_id":"ranking","period":"daily","limit_usd":"1"}"#),
        Route(method: .GET, path: "/admin/v1/budgets"),
        Route(method: .GET, path: "/admin/v1/budgets/team-budget"),
        Route(method: .PATCH, path: "/admin/v1/budgets/team-budget", body: #"{"limit_usd":"20"}"#),
        Route(method: .DELETE, path: "/admin/v1/budgets/team-budget"),
        Route(method: .POST, path: "/admin/v1/rate-limits", body: #"{"team":"search","rpm":100}"#),
        Route(method: .GET, path: "/admin/v1/rate-limits"),
        Route(method: .GET, path: "/admin/v1/rate-limits/team-limit"),
        Route(method: .PATCH, path: "/admin/v1/rate-limits/team-limit", body: #"{"rpm":200}"#),
        Route(method: .DELETE, path: "/admin/v1/rate-limits/team-limit"),
        Route(method: .GET, path: "/admin/v1/requests"),
        Route(method: .GET, path: "/admin/v1/costs"),
        Route(method: .GET, path: "/admin/v1/costs/recommendations"),
        Route(method: .GET, path: "/admin/v1/metrics/summary"),
        Route(method: .GET, path: "/admin/v1/deployments"),
        Route(method: .GET, path: "/admin/v1/alerts"),
    ]

    /// Acme with team `search`, project `ranking`, user `ada`, a team budget and a team rate
    /// limit, and one key per role; returns the keys by role.
    static func setUp(_ keel: TestGateway) async throws -> [String: String] {
        let setup = [
            ("/admin/v1/orgs", #"{"id":"acme","name":"Acme"}"#),
            ("/admin/v1/teams", #"{"id":"search","org":"acme","name":"Search"}"#),
            ("/admin/v1/projects", #"{"id":"ranking","team":"search","name":"Ranking"}"#),
            ("/admin/v1/users", #"{"id":"ada","org":"acme","name":"Ada"}"#),
            ("/admin/v1/budgets", #"{"id":"team-budget","name":"t","scope":"team","scope_id":"search","period":"monthly","limit_usd":"10"}"#),
            ("/admin/v1/rate-limits", #"{"id":"team-limit","team":"search","rpm":1000}"#),
        ]
        for (path, body) in setup {
            let response = try await keel.post(path, json: body)
            #expect(response.status == 201, "\(path): \(response.body)")
        }
        var keys: [String: String] = [:]
        for role in ["none", "viewer", "auditor", "team_admin"] {
            let scope = role == "auditor" ? "" : #","team":"search""#
            let created = try await keel.post("/admin/v1/keys", json: #"{"role":"\#(role)"\#(scope)}"#)
            keys[role] = try #require(created.json?["key"] as? String, "\(created.body)")
        }
        return keys
    }

    @Test func everyAdminRouteRefusesCallersItsRolesDoNotAllow() async throws {
        try await TestKeel.run { keel in
            let keys = try await Self.setUp(keel)
            for route in Self.routes {
                let anonymous = try await keel.send(route.method, route.path, body: route.body, key: nil)
                #expect(anonymous.status == 401, "\(route.testDescription) without a key")
                let dataPlane = try await keel.send(route.method, route.path, body: route.body, key: keys["none"])
                #expect(dataPlane.status == 403, "\(route.testDescription) with a data-plane key: \(dataPlane.status)")
                if route.isRead {
                    let audited = try await keel.send(route.method, route.path, key: keys["auditor"])
                    // Reads of an unknown key id answer 404, not 403: the auditor may read.
                    #expect(audited.status == 200 || (audited.status == 404 && route.path.hasSuffix("unknown")),
                            "\(route.testDescription) as auditor: \(audited.status) \(audited.body)")
                } else {
                    for role in ["auditor", "viewer"] {
                        let refused = try await keel.send(route.method, route.path, body: route.body, key: keys[role])
                        #expect(refused.status == 403, "\(route.testDescription) as \(role): \(refused.status)")
                    }
                }
            }
            // A team admin creates no organisation or team and changes no budget on its own team.
            for (method, path, body) in [
                (HTTPMethod.POST, "/admin/v1/orgs", #"{"name":"Mine"}"#),
                (.POST, "/admin/v1/teams", #"{"org":"acme","name":"Mine"}"#),
                (.PATCH, "/admin/v1/budgets/team-budget", #"{"limit_usd":"1000"}"#),
                (.DELETE, "/admin/v1/budgets/team-budget", ""),
            ] {
                let refused = try await keel.send(method, path, body: body.isEmpty ? nil : body, key: keys["team_admin"])
                #expect(refused.status == 403, "\(method) \(path) as team_admin: \(refused.status)")
            }
            // Everything above was refused: the objects are all still there.
            for path in ["/admin/v1/orgs/acme", "/admin/v1/teams/search", "/admin/v1/budgets/team-budget", "/admin/v1/rate-limits/team-limit"] {
                #expect(try await keel.send(.GET, path).status == 200, "\(path)")
            }
        }
    }
}
