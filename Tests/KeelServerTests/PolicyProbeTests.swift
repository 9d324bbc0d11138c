import Foundation
import KeelCore
import KeelStorage
import KeelTesting
import NIOHTTP1
import Testing

@testable import KeelServer

/// Policy probes: synthetic requests per policy through the live policy engine, results kept as
/// evidence, a failing probe alerted.
@Suite("Policy probes")
struct PolicyProbeTests {
    @Test func everySampleIsFoundAsItsTypeAndTheJailbreakIsFlagged() {
        let scanner = ContentScanner()
        for type in GuardFindingType.allCases {
            let sample = PolicyProbeSamples.sample(type)
            #expect(sample.sentence.contains(sample.value))
            let scan = scanner.scan(sample.sentence)
            let findings = (scan.pii + scan.secrets).filter { $0.type == type }
            #expect(
                findings.contains {
                    $0.text.contains(sample.value) || sample.value.contains($0.text) && !$0.text.isEmpty
                },
                "\(type): \(scan.pii + scan.secrets)"
            )
        }
        let injection = scanner.scan(PolicyProbeSamples.injection).injection
        #expect(injection.flagged, "score \(injection.score)")
    }

    /// The routing configuration of ``PolicyRoutingTests`` with a content policy for the team
    /// `other`: every kind of rule is probed.
    static func configure(_ configuration: inout KeelConfiguration) {
        PolicyRoutingTests.configure(&configuration)
        configuration.policies += [
            Policy(
                id: "other-content",
                scope: .init(team: "other"),
                models: .init(allow: ["keel-sim-*"]),
                pii: ContentRule(action: .redact, types: .personalData),
                secrets: ContentRule(action: .block, types: .secrets),
                injection: InjectionRule(action: .block, roles: [.user, .tool]),
                keepBodies: true
            ),
            Policy(
                id: "other-log",
                scope: .init(team: "other", model: "keel-sim-chat"),
                pii: ContentRule(action: .log, types: GuardTypeSet(types: [.email, .iban])),
                injection: InjectionRule(action: .flag, roles: [.system])
            ),
        ]
    }

    @Test func everyRuleOfEveryPolicyIsProbedAndPassesAndTheResultsAreEvidence() async throws {
        try await TestKeel.run(configure: Self.configure) { keel in
            let run = try await keel.post("/admin/v1/compliance/probes/run", json: "")
            #expect(run.status == 200, "\(run.body)")
            let results = try #require(run.json?["data"] as? [[String: Any]])
            let failed = results.filter { $0["passed"] as? Bool != true }
            #expect(failed.isEmpty, "\(failed)")
            let names = Set(results.map { "\($0["policy_id"] as? String ?? "")/\($0["probe"] as? String ?? "")" })
            let expected: Set<String> = [
                "phi/models.deny", "phi/routing", "eu-only/routing",
                "other-content/models.allow", "other-content/pii.redact", "other-content/pii.redact.answer",
                "other-content/secrets.block", "other-content/secrets.block.answer",
                "other-content/injection.block.user", "other-content/injection.block.tool",
                "other-log/pii.log", "other-log/injection.flag.system", "other-content/keep_bodies",
            ]
            #expect(names == expected)
            let byName = Dictionary(
                results.map { ("\($0["policy_id"] as? String ?? "")/\($0["probe"] as? String ?? "")", $0) },
                uniquingKeysWith: { a, _ in a }
            )
            // The BAA policy's fallback model is tried only on the provider with a BAA; the model
            // whose only provider has none is refused.
            let phi = try #require(byName["phi/routing"]?["observed"] as? String)
            #expect(phi.contains("phi-chat: may try [sim-anthropic/keel-sim-reasoning]"), "\(phi)")
            #expect(!phi.contains("FORBIDDEN"))
            #expect(phi.contains("keel-sim-chat: may try [], refused (policy_violation)"), "\(phi)")
            #expect(
                (byName["eu-only/routing"]?["observed"] as? String)?.contains(
                    "eu-chat: may try [sim-gemini/keel-sim-chat]"
                ) == true
            )
            #expect((byName["phi/models.deny"]?["observed"] as? String)?.contains("refused (policy_violation)") == true)

            let latest = try await keel.send(.GET, "/admin/v1/compliance/probes")
            #expect((latest.json?["summary"] as? [String: Any])?["passed"] as? Int == results.count)
            let now = Int(Date().timeIntervalSince1970)
            let period = try await keel.send(.GET, "/admin/v1/compliance/probes?from=\(now - 600)&to=\(now + 600)")
            // The run at start and the one asked for.
            #expect((period.json?["data"] as? [Any])?.count == 2 * results.count)
            #expect(try await keel.send(.GET, "/admin/v1/compliance/probes?from=10&to=5").status == 400)

            let status = try await keel.send(.GET, "/admin/v1/compliance/status?framework=soc2")
            let controls = try #require(status.json?["controls"] as? [[String: Any]])
            let probes = try #require(controls.first { $0["check"] as? String == "policy_probes" })
            #expect(probes["status"] as? String == "pass", "\(probes)")
            #expect(probes["reference"] as? String == "CC4.1")

            #expect((byName["other-content/keep_bodies"]?["observed"] as? String)?.contains("opened again") == true)
            // The probes reached no provider and left no request record, nor kept body.
            #expect(try await keel.records().isEmpty)
            #expect(
                try await keel.withStores { try await $0.database.rows("SELECT request_id FROM request_body").count }
                    == 0
            )
        }
    }

    @Test func aRuleThatNoLongerWorksFailsItsProbeRaisesAnAlertAndResolvesWhenGone() async throws {
        let key = "sk-probe-0123456789abcdef"
        try await TestKeel.run(configure: { configuration in
            configuration.keys = [.init(key: Secret(key), team: "probe")]
            // A threshold no score reaches: the injection rule can never block anything.
            configuration.contentGuard.injectionThreshold = 1.0
        }) { keel in
            let created = try await keel.post(
                "/admin/v1/policies",
                json: #"{"id":"jailbreaks","scope":{"team":"probe"},"injection":{"action":"block","roles":["user"]}}"#
            )
            #expect(created.status == 201, "\(created.body)")
            #expect(
                try await keel.post(
                    "/admin/v1/policies",
                    json: #"{"id":"deny-embed","models":{"deny":["keel-sim-embed"]}}"#
                ).status == 201
            )
            let run = try await keel.post("/admin/v1/compliance/probes/run", json: "")
            let results = try #require(run.json?["data"] as? [[String: Any]])
            let failing = results.filter { $0["passed"] as? Bool == false }
            #expect(failing.map { $0["probe"] as? String } == ["injection.block.user"])
            #expect((failing.first?["observed"] as? String)?.hasPrefix("forwarded") == true)
            #expect(results.contains { $0["policy_id"] as? String == "deny-embed" && $0["passed"] as? Bool == true })

            let alerts = try await keel.send(.GET, "/admin/v1/alerts")
            let firing = try #require(alerts.json?["firing"] as? [[String: Any]])
            #expect(firing.count == 1)
            #expect(firing.first?["rule"] as? String == "policy_probe_failed")
            #expect((firing.first?["labels"] as? [String: Any])?["policy"] as? String == "jailbreaks")
            let status = try await keel.send(.GET, "/admin/v1/compliance/status?framework=hipaa")
            let probes = (status.json?["controls"] as? [[String: Any]])?.first {
                $0["check"] as? String == "policy_probes"
            }
            #expect(probes?["status"] as? String == "fail")
            #expect((probes?["reason"] as? String)?.contains("jailbreaks injection.block.user") == true)

            // A second failing run alerts no more; once the policy is gone, the alert resolves.
            _ = try await keel.post("/admin/v1/compliance/probes/run", json: "")
            #expect(((try await keel.send(.GET, "/admin/v1/alerts")).json?["recent"] as? [Any])?.count == 1)
            #expect(try await keel.send(.DELETE, "/admin/v1/policies/jailbreaks").status == 200)
            let again = try await keel.post("/admin/v1/compliance/probes/run", json: "")
            #expect((again.json?["summary"] as? [String: Any])?["failed"] as? Int == 0)
            let after = try await keel.send(.GET, "/admin/v1/alerts")
            #expect((after.json?["firing"] as? [Any])?.isEmpty == true)
            // Newest first.
            #expect(((after.json?["recent"] as? [[String: Any]])?.first)?["status"] as? String == "resolved")

            // Only admins and auditors run probes.
            #expect(try await keel.post("/admin/v1/orgs", json: #"{"id":"acme","name":"Acme"}"#).status == 201)
            let viewer = try await keel.post("/admin/v1/keys", json: #"{"org":"acme","role":"viewer"}"#)
            let viewerKey = try #require(viewer.json?["key"] as? String, "\(viewer.body)")
            #expect(try await keel.post("/admin/v1/compliance/probes/run", json: "", key: viewerKey).status == 403)
            #expect(try await keel.send(.GET, "/admin/v1/compliance/probes", key: viewerKey).status == 403)
        }
    }
}
