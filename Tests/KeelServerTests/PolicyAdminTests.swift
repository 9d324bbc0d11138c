import Foundation
import KeelCore
import KeelServer
import KeelTesting
import NIOHTTP1
import Testing

/// `/admin/v1/policies`: policies made through the admin API apply at once, are checked as the
/// configuration's are, are audited, and the configuration's stay read-only.
@Suite("Policies through the admin API")
struct PolicyAdminTests {
    static let otherKey = PolicyRoutingTests.otherKey

    /// The `admin_change` entries of the audit log, as JSON objects.
    static func adminChanges(_ keel: TestGateway) async throws -> [[String: Any]] {
        let listed = try await keel.send(.GET, "/admin/v1/audit/entries?start=0&end=1000")
        let entries = try #require(listed.json?["entries"] as? [[String: Any]])
        return entries.compactMap { item -> [String: Any]? in
            guard let text = item["entry"] as? String, let data = Data(base64Encoded: text),
                let entry = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                entry["kind"] as? String == "admin_change"
            else { return nil }
            return entry
        }
    }

    @Test func aPolicyMadeThroughTheAPIAppliesAtOnceAndIsChangedAuditedAndDeleted() async throws {
        try await TestKeel.run(configure: PolicyRoutingTests.configure) { keel in
            #expect(try await keel.post("/v1/chat/completions", json: chatBody("hi"), key: Self.otherKey).status == 200)

            let created = try await keel.post(
                "/admin/v1/policies",
                json:
                    #"{"id":"other-no-chat","name":"No chat for other","scope":{"team":"other"},"models":{"deny":["keel-sim-chat"]}}"#
            )
            #expect(created.status == 201, "\(created.body)")
            #expect(created.json?["source"] as? String == "api")
            #expect(created.json?["object"] as? String == "policy")
            #expect((created.json?["models"] as? [String: Any])?["deny"] as? [String] == ["keel-sim-chat"])
            let refused = try await keel.post("/v1/chat/completions", json: chatBody("hi"), key: Self.otherKey)
            #expect(refused.status == 403, "\(refused.body)")
            #expect(refused.body.contains("other-no-chat"))

            // PATCH changes the keys it names; the rest stays.
            let patched = try await keel.send(
                .PATCH,
                "/admin/v1/policies/other-no-chat",
                body: #"{"models":{"deny":["keel-sim-embed"]}}"#
            )
            #expect(patched.status == 200, "\(patched.body)")
            #expect(patched.json?["name"] as? String == "No chat for other")
            #expect(try await keel.post("/v1/chat/completions", json: chatBody("hi"), key: Self.otherKey).status == 200)

            // PUT replaces the rules: now e-mail addresses are blocked, and the name is gone.
            let replaced = try await keel.send(
                .PUT,
                "/admin/v1/policies/other-no-chat",
                body: #"{"scope":{"team":"other"},"pii":{"action":"block","types":["email"]}}"#
            )
            #expect(replaced.status == 200, "\(replaced.body)")
            #expect(replaced.json?["name"] == nil && replaced.json?["models"] == nil)
            let blocked = try await keel.post(
                "/v1/chat/completions",
                json: chatBody("write to ann@example.com"),
                key: Self.otherKey
            )
            #expect(blocked.status == 400, "\(blocked.body)")
            #expect(blocked.body.contains("content_policy_violation"))

            // The list: the configuration's first, read-only.
            let listed = try #require(try await keel.send(.GET, "/admin/v1/policies").json?["data"] as? [[String: Any]])
            #expect(listed.map { $0["id"] as? String } == ["phi", "eu-only", "other-no-chat"])
            #expect(listed.map { $0["source"] as? String } == ["config", "config", "api"])
            #expect(try await keel.send(.GET, "/admin/v1/policies?source=api").json?["data"] as? [[String: Any]] != nil)
            #expect(
                (try await keel.send(.GET, "/admin/v1/policies?team=health").json?["data"] as? [[String: Any]])?.count
                    == 1
            )
            #expect(try await keel.send(.DELETE, "/admin/v1/policies/phi").status == 409)
            #expect(try await keel.send(.PUT, "/admin/v1/policies/phi", body: #"{"baa_required":true}"#).status == 409)
            #expect(try await keel.post("/admin/v1/policies", json: #"{"id":"phi","baa_required":true}"#).status == 409)
            #expect(
                try await keel.post("/admin/v1/policies", json: #"{"id":"other-no-chat","baa_required":true}"#).status
                    == 409
            )
            #expect(try await keel.send(.GET, "/admin/v1/policies/nope").status == 404)

            let deleted = try await keel.send(.DELETE, "/admin/v1/policies/other-no-chat")
            #expect(deleted.status == 200)
            #expect(deleted.json?["deleted"] as? Bool == true)
            #expect(try await keel.send(.GET, "/admin/v1/policies/other-no-chat").status == 404)
            #expect(
                try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody("write to ann@example.com"),
                    key: Self.otherKey
                ).status == 200
            )

            // Every change is an admin_change entry holding its body.
            var changes: [[String: Any]] = []
            for _ in 0..<100 {
                changes = try await Self.adminChanges(keel).filter {
                    ($0["action"] as? String)?.hasPrefix("policies.") == true
                }
                if changes.count >= 4 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(
                changes.map { $0["action"] as? String } == [
                    "policies.create", "policies.update", "policies.update", "policies.delete",
                ]
            )
            #expect(
                changes.allSatisfy { change in
                    let target = change["target"] as? [String: Any]
                    return target?["id"] as? String == "other-no-chat" && target?["type"] as? String == "policy"
                }
            )
            #expect(
                ((changes[2]["summary"] as? [String: Any])?["pii"] as? [String: Any])?["action"] as? String == "block"
            )
        }
    }

    @Test func aBadPolicyIsRefusedWithEveryProblemByKeyPath() async throws {
        try await TestKeel.run(configure: PolicyRoutingTests.configure) { keel in
            func refusal(_ body: String) async throws -> String {
                let response = try await keel.post("/admin/v1/policies", json: body)
                #expect(response.status == 400, "\(body) → \(response.status) \(response.body)")
                return ((response.json?["error"] as? [String: Any])?["message"] as? String) ?? ""
            }
            #expect(
                try await refusal(#"{"pii":{"action":"shred"}}"#).contains(
                    "pii.action: must be one of block, redact, log"
                )
            )
            #expect(
                try await refusal(#"{"providers":{"allow":["nowhere-*"]}}"#).contains(
                    "providers: 'nowhere-*' matches no configured provider"
                )
            )
            #expect(try await refusal(#"{"name":"nothing"}"#).contains("sets no rule"))
            let two = try await refusal(
                #"{"secrets":{"action":"redact","types":["email"]},"injection":{"action":"block","roles":["robot"]},"colour":1}"#
            )
            #expect(two.contains("secrets.types: 'email' is not a credential type"))
            #expect(two.contains("injection.roles: 'robot' is not a role"))
            #expect(two.contains("colour: unknown key"))
            #expect(try await refusal(#"["baa_required"]"#).contains("JSON object"))
            #expect(try await refusal("baa_required: true").contains("JSON object"))
            #expect(try await refusal(#"{"id":"bad id","baa_required":true}"#).contains("Invalid 'id'"))

            // Text from a client is never read as a `${…}` expression of the environment.
            let literal = try await keel.post(
                "/admin/v1/policies",
                json: #"{"name":"${HOME} and ${PATH:-x}","baa_required":true}"#
            )
            #expect(literal.status == 201, "\(literal.body)")
            #expect(literal.json?["name"] as? String == "${HOME} and ${PATH:-x}")
            #expect((literal.json?["id"] as? String)?.hasPrefix("pol_") == true)
        }
    }

    @Test func onlyAdminsChangePoliciesAndReadersSeeTheirScope() async throws {
        try await TestKeel.run(configure: PolicyRoutingTests.configure) { keel in
            #expect(try await keel.post("/admin/v1/orgs", json: #"{"id":"acme","name":"Acme"}"#).status == 201)
            #expect(
                try await keel.post("/admin/v1/teams", json: #"{"id":"search","org":"acme","name":"Search"}"#).status
                    == 201
            )
            func key(_ body: String) async throws -> String {
                let created = try await keel.post("/admin/v1/keys", json: body)
                #expect(created.status == 201, "\(created.body)")
                return try #require(created.json?["key"] as? String)
            }
            let teamAdmin = try await key(#"{"team":"search","role":"team_admin"}"#)
            let viewer = try await key(#"{"team":"search","role":"viewer"}"#)
            let auditor = try await key(#"{"role":"auditor"}"#)
            #expect(
                try await keel.post(
                    "/admin/v1/policies",
                    json: #"{"id":"search-eu","scope":{"team":"search"},"regions":["eu-west-1"]}"#
                ).status == 201
            )

            let body = #"{"scope":{"team":"search"},"baa_required":true}"#
            for caller in [teamAdmin, viewer, auditor] {
                #expect(try await keel.post("/admin/v1/policies", json: body, key: caller).status == 403)
                #expect(try await keel.send(.DELETE, "/admin/v1/policies/search-eu", key: caller).status == 403)
                #expect(
                    try await keel.send(.PATCH, "/admin/v1/policies/search-eu", body: #"{"regions":null}"#, key: caller)
                        .status == 403
                )
            }
            func ids(_ caller: String) async throws -> [String] {
                let listed = try await keel.send(.GET, "/admin/v1/policies", key: caller)
                return (listed.json?["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            }
            #expect(try await ids(auditor) == ["phi", "eu-only", "search-eu"])
            #expect(try await ids(viewer) == ["search-eu"])
            #expect(try await ids(teamAdmin) == ["search-eu"])
            #expect(try await keel.send(.GET, "/admin/v1/policies/phi", key: viewer).status == 403)
            #expect(try await keel.send(.GET, "/admin/v1/policies/search-eu", key: viewer).status == 200)
        }
    }
}

@Suite("Policies shared by two instances", .enabled(if: TestKeel.postgresURL != nil))
struct TwoInstancePolicyTests {
    @Test func aPolicyMadeOnOneInstanceAppliesOnTheOtherAndTheEvidencePackListsItWithItsProbes() async throws {
        let url = try #require(TestKeel.postgresURL)
        let schema = TestKeel.uniquePostgresSchema()
        let configure: @Sendable (inout KeelConfiguration) -> Void = { configuration in
            PolicyRoutingTests.configure(&configuration)
            configuration.storage = .init(url: url, schema: schema, maxConnections: 4)
            configuration.compliance.policySyncIntervalMs = 100
        }
        try await TestKeel.run(configure: configure) { first in
            try await TestKeel.run(configure: configure) { second in
                #expect(
                    try await second.post("/v1/chat/completions", json: chatBody("hi"), key: PolicyAdminTests.otherKey)
                        .status == 200
                )
                let created = try await first.post(
                    "/admin/v1/policies",
                    json: #"{"id":"shared","scope":{"team":"other"},"models":{"deny":["keel-sim-chat"]}}"#
                )
                #expect(created.status == 201, "\(created.body)")
                var status = 0
                let deadline = ContinuousClock.now + .seconds(10)
                while ContinuousClock.now < deadline {
                    status = try await second.post(
                        "/v1/chat/completions",
                        json: chatBody("hi"),
                        key: PolicyAdminTests.otherKey
                    ).status
                    if status == 403 { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(status == 403, "the other instance reloads the stored policies")
                #expect(try await second.post("/admin/v1/compliance/probes/run", json: "").status == 200)
                #expect(try await first.post("/admin/v1/compliance/probes/run", json: "").status == 200)
                await second.shutdown()
            }
            await first.shutdown()
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
            let pack = try await EvidencePack(framework: "soc2", from: now - 3_600_000_000, to: now + 60_000_000)
                .build(first.app.configuration, logger: AuditLogTests.logger)
            let policies = String(decoding: try #require(pack.files["policies/policies.json"]), as: UTF8.self)
            #expect(
                policies.contains(#"{"id":"shared","scope":{"team":"other"},"models":{"deny":["keel-sim-chat"]}}"#),
                "\(policies)"
            )
            #expect(policies.contains(#""id":"phi""#))
            let probes = String(decoding: try #require(pack.files["policies/probes.jsonl"]), as: UTF8.self)
                .split(separator: "\n").compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }
            #expect(
                Set(probes.compactMap { $0["instance_id"] as? String }).count == 2,
                "each instance probes its own engine"
            )
            #expect(
                probes.contains {
                    $0["policy_id"] as? String == "shared" && $0["probe"] as? String == "models.deny"
                        && $0["passed"] as? Bool == true
                }
            )
            let changes = String(decoding: try #require(pack.files["policies/changes.jsonl"]), as: UTF8.self)
            #expect(changes.contains(#""action":"policies.create""#))
            let controls = String(decoding: try #require(pack.files["controls.json"]), as: UTF8.self)
            #expect(controls.contains(#""check":"policy_probes","result":"pass""#), "\(controls)")
        }
    }
}
