import Foundation
import KeelCore
import KeelServer
import KeelTesting
import Testing

/// Compliance policies on the request path: models allowed or denied, providers by name, region
/// and business associate agreement, fallbacks included, refused in the client's dialect.
@Suite("Policies on the request path")
struct PolicyRoutingTests {
    static let healthKey = "sk-health-0123456789abcdef"
    static let euKey = "sk-eu-0123456789abcdef"
    static let otherKey = "sk-other-0123456789abcdef"

    static func configure(_ configuration: inout KeelConfiguration) {
        configuration.router.maxRetries = 0
        for index in configuration.providers.indices {
            switch configuration.providers[index].name {
            case "sim": configuration.providers[index].region = "us-east-1"
            case "sim-anthropic":
                configuration.providers[index].region = "eu-west-1"
                configuration.providers[index].baa = true
            case "sim-gemini": configuration.providers[index].region = "eu-central-1"
            default: break
            }
        }
        // The BAA deployment first; the fallback's only provider has no BAA.
        configuration.models.append(.init(name: "phi-chat", routes: [.init(provider: "sim-anthropic", model: "keel-sim-reasoning")], fallbacks: ["keel-sim-chat"]))
        configuration.models.append(
            .init(name: "eu-chat", routes: [.init(provider: "sim", model: "keel-sim-chat"), .init(provider: "sim-gemini", model: "keel-sim-chat")]))
        configuration.keys = [
            .init(key: Secret(Self.healthKey), team: "health"),
            .init(key: Secret(Self.euKey), team: "eu"),
            .init(key: Secret(Self.otherKey), team: "other"),
        ]
        configuration.policies = [
            Policy(id: "phi", scope: .init(team: "health"), models: .init(deny: ["keel-sim-embed*"]), baaRequired: true),
            Policy(id: "eu-only", scope: .init(team: "eu"), regions: ["eu-west-1", "eu-central-1"]),
        ]
    }

    static func records(_ keel: TestGateway, team: String) async throws -> [RequestRecord] {
        try await keel.records().filter { $0.teamID == TeamID(team) }
    }

    @Test func aBAATenantIsNeverSentToAProviderWithoutABAAEvenWhenItsOwnFails() async throws {
        try await TestKeel.run(configure: Self.configure) { keel in
            let script = try await keel.postDirect("/_simulator/script", json: #"{"model":"keel-sim-reasoning","count":100,"directives":"status=503"}"#)
            #expect(script.status == 200 || script.status == 204, "\(script.body)")

            let refused = try await keel.post("/v1/chat/completions", json: chatBody("hi", model: "phi-chat"), key: Self.healthKey)
            #expect(refused.status == 502, "the BAA deployment's failure, not an answer from elsewhere: \(refused.body)")
            // Without the policy, the same request falls back to the provider without a BAA.
            let other = try await keel.post("/v1/chat/completions", json: chatBody("hi", model: "phi-chat"), key: Self.otherKey)
            #expect(other.status == 200, "\(other.body)")

            await keel.shutdown()
            let health = try await Self.records(keel, team: "health")
            #expect(health.count == 1)
            #expect(health.allSatisfy { record in record.attemptLog.allSatisfy { $0.provider != "sim" } && record.provider != "sim" })
            #expect(try await Self.records(keel, team: "other").first?.provider == "sim")
        }
    }

    @Test func aModelOnlyProvidersWithoutABAAServeIsRefusedInTheClientsDialect() async throws {
        try await TestKeel.run(configure: Self.configure) { keel in
            let openAI = try await keel.post("/v1/chat/completions", json: chatBody("hi", model: "keel-sim-chat"), key: Self.healthKey)
            #expect(openAI.status == 403)
            let error = try #require(openAI.json?["error"] as? [String: Any])
            #expect(error["code"] as? String == "policy_violation")
            #expect(error["type"] as? String == "permission_error")
            #expect((error["message"] as? String)?.contains("policy 'phi'") == true)
            #expect((error["message"] as? String)?.contains("business associate agreement") == true)

            let anthropic = try await keel.post(
                "/v1/messages", json: #"{"model":"keel-sim-chat","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}"#, key: Self.healthKey,
                headers: [("anthropic-version", "2023-06-01")])
            #expect(anthropic.status == 403)
            #expect(anthropic.json?["type"] as? String == "error")
            #expect((anthropic.json?["error"] as? [String: Any])?["type"] as? String == "permission_error")

            // A denied model is refused at admission, and recorded.
            let embed = try await keel.post("/v1/embeddings", json: #"{"model":"keel-sim-embed","input":"hi"}"#, key: Self.healthKey)
            #expect(embed.status == 403)
            #expect(((embed.json?["error"] as? [String: Any])?["message"] as? String)?.contains("does not allow the model 'keel-sim-embed'") == true)

            // Other teams are not bound by the policy.
            #expect(try await keel.post("/v1/chat/completions", json: chatBody("hi", model: "keel-sim-chat"), key: Self.otherKey).status == 200)
            await keel.shutdown()
            let records = try await Self.records(keel, team: "health")
            #expect(records.count == 3)
            #expect(records.allSatisfy { $0.status == 403 && $0.errorClass == "policy_violation" && $0.attempts == 0 })
        }
    }

    @Test func aRegionPolicySkipsDeploymentsOutsideItsRegions() async throws {
        try await TestKeel.run(configure: Self.configure) { keel in
            for _ in 0..<3 {
                let eu = try await keel.post("/v1/chat/completions", json: chatBody("hi", model: "eu-chat"), key: Self.euKey)
                let other = try await keel.post("/v1/chat/completions", json: chatBody("hi", model: "eu-chat"), key: Self.otherKey)
                #expect(eu.status == 200 && other.status == 200)
            }
            await keel.shutdown()
            let eu = try await Self.records(keel, team: "eu").map(\.provider)
            let other = try await Self.records(keel, team: "other").map(\.provider)
            #expect(eu == ["sim-gemini", "sim-gemini", "sim-gemini"])
            #expect(other == ["sim", "sim", "sim"])
        }
    }

    @Test func policiesAreReadFromYAMLAndMistakesNamed() throws {
        let yaml = """
            providers:
              - { name: openai, kind: openai, base_url: "https://api.openai.com/v1", region: us, baa: true }
            models:
              - { name: gpt, routes: [ { provider: openai, model: gpt-4o } ] }
            policies:
              - { id: phi, scope: { org: acme, model: "gpt*" }, baa_required: true, providers: { allow: [openai] }, regions: [us] }
              - { id: typo, providers: { deny: [opnai] } }
              - { scope: { team: t } }
            """
        let error = try #require(throws: ConfigurationError.self) { try KeelConfiguration.parse(yaml: yaml, environment: [:]) }
        #expect(Set(error.issues.map(\.key)) == ["policies[1].providers", "policies[2]"], "\(error)")

        let valid = try KeelConfiguration.parse(yaml: yaml.components(separatedBy: "\n").dropLast(2).joined(separator: "\n"), environment: [:])
        #expect(valid.providers.first?.baa == true && valid.providers.first?.region == "us")
        #expect(
            valid.policies == [
                Policy(id: "phi", scope: .init(org: "acme", model: "gpt*"), providers: .init(allow: ["openai"]), regions: ["us"], baaRequired: true)
            ])
    }

    @Test(arguments: [
        ("gpt-4o*", "gpt-4o-mini", true), ("gpt-4o*", "gpt-4", false), ("*-preview", "o1-preview", true), ("*", "", true),
        ("claude-*-sonnet-*", "claude-3-5-sonnet-20241022", true), ("a*b*c", "aXbYbZ", false), ("a*b*c", "abbbc", true), ("", "x", false),
    ])
    func namePatterns(pattern: String, name: String, matches: Bool) {
        #expect(NamePattern.matches(pattern, name) == matches)
    }
}
