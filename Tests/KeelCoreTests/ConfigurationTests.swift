import KeelCore
import KeelProviders
import KeelServer
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    static let valid = """
        server: { host: 127.0.0.1, port: 8081, max_body_bytes: 65536 }
        storage: { url: "sqlite://tmp/keel.sqlite" }
        admin_key: ${ADMIN}
        providers:
          - { name: openai, kind: openai, base_url: "https://api.openai.com/v1", api_key: ${OPENAI_API_KEY} }
          - { name: local, kind: openai, base_url: "http://127.0.0.1:11434/v1", timeouts: { connect_ms: 500, idle_ms: 2000 } }
          - { name: sim, kind: simulator }
        models:
          - name: gpt-4o-mini
            routes: [ { provider: openai, model: gpt-4o-mini } ]
            fallbacks: [ llama ]
          - name: llama
            routes: [ { provider: local, model: "llama3.1:8b" } ]
            max_retries: 0
        keys:
          - { key: "${APP_KEY:-sk-app-default-1}", team: search, project: ranking, models: [gpt-4o-mini] }
        prices:
          "llama3.1:8b": { input: "0.05", output: "0.10" }
        """

    @Test func aValidFileIsReadWithInterpolationAndDefaults() throws {
        let configuration = try KeelConfiguration.parse(
            yaml: Self.valid,
            environment: ["ADMIN": "admin-key-0123456789abcdef", "OPENAI_API_KEY": "sk-openai"]
        )
        #expect(configuration.server.port == 8081)
        #expect(configuration.server.maxBodyBytes == 65_536)
        #expect(configuration.providers.count == 3)
        #expect(configuration.providers[1].timeouts.connect == .milliseconds(500))
        #expect(configuration.providers[0].apiKey?.withExposedValue { $0 } == "sk-openai")
        #expect(configuration.models[0].fallbacks == ["llama"])
        #expect(configuration.models[1].maxRetries == 0)
        #expect(configuration.keys[0].key.withExposedValue { $0 } == "sk-app-default-1")
        #expect(configuration.keys[0].team == "search")
        #expect(configuration.prices["llama3.1:8b"] == ModelPrice(usd: "0.05", "0.10"))
        #expect(!"\(configuration.providers[0].apiKey!)".contains("sk-openai"))
    }

    @Test func everyProblemIsReportedWithItsKey() throws {
        let yaml = """
            server: { port: 99999, colour: blue }
            providers:
              - { name: a, kind: openai }
              - { name: a, kind: carrier-pigeon }
            models:
              - { name: m, routes: [ { provider: nobody, model: x } ], fallbacks: [ ghost ] }
            keys:
              - { key: "${MISSING}" }
            """
        do {
            _ = try KeelConfiguration.parse(yaml: yaml, environment: [:])
            Issue.record("expected a ConfigurationError")
        } catch let error as ConfigurationError {
            let keys = Set(error.issues.map(\.key))
            #expect(keys.contains("server.port"))
            #expect(keys.contains("server.colour"))
            #expect(keys.contains("providers[0].base_url"))
            #expect(keys.contains("providers[1].kind"))
            #expect(keys.contains("models[0].routes[0].provider"))
            #expect(keys.contains("models[0].fallbacks"))
            #expect(keys.contains("keys[0].key"))
            #expect(error.issues.first { $0.key == "keys[0].key" }?.reason.contains("MISSING") == true)
        }
    }

    @Test func mcpServersAreReadWithTheirCredentialsAndCheckedByName() throws {
        let configuration = try KeelConfiguration.parse(
            yaml: """
                mcp:
                  servers:
                    - { name: github, url: "https://api.example.com/mcp/", headers: { Authorization: "Bearer ${GH}" } }
                    - { name: local.fs, url: "http://127.0.0.1:3001/mcp", timeout_ms: 5000 }
                """,
            environment: ["GH": "ghp_secret"]
        )
        let servers = configuration.mcp.servers
        #expect(servers.map(\.name) == ["github", "local.fs"])
        #expect(servers[0].headers["authorization"]?.withExposedValue { $0 } == "Bearer ghp_secret")
        #expect("\(servers[0].headers)".contains("ghp_secret") == false, "credentials print redacted")
        #expect(servers[0].timeoutMs == 300_000 && servers[1].timeoutMs == 5_000)
        do {
            _ = try KeelConfiguration.parse(
                yaml: """
                    mcp:
                      servers:
                        - { name: "bad/name", url: "https://x" }
                        - { name: ok, url: "ftp://x" }
                        - { name: twice, url: "http://a" }
                        - { name: twice, url: "http://b", port: 1 }
                    """,
                environment: [:]
            )
            Issue.record("expected a ConfigurationError")
        } catch let error as ConfigurationError {
            let keys = Set(error.issues.map(\.key))
            #expect(
                keys.isSuperset(of: [
                    "mcp.servers[0].name", "mcp.servers[1].url", "mcp.servers[3].name", "mcp.servers[3].port",
                ]),
                "\(keys)"
            )
        }
    }

    @Test func theBuiltInDefaultServesTheSimulatorAndOpenAIWhenItsKeyIsSet() throws {
        let bare = try KeelConfiguration.builtInDefault(environment: [:])
        #expect(bare.models.map(\.name).contains("keel-sim-chat"))
        #expect(bare.models.map(\.name).contains("keel-sim-embed"))
        #expect(bare.validationIssues().isEmpty)
        let withOpenAI = try KeelConfiguration.builtInDefault(environment: ["OPENAI_API_KEY": "sk-x"])
        #expect(withOpenAI.providers.contains { $0.name == "openai" })
        #expect(withOpenAI.models.contains { $0.name == "gpt-4o-mini" })
    }

    @Test func theBuiltInDefaultServesClaudeAndGeminiStyleModelsInTheirOwnDialects() throws {
        let bare = try KeelConfiguration.builtInDefault(environment: [:])
        let claude = bare.models.first { $0.name == "keel-sim-claude" }?.routes.first?.provider
        let gemini = bare.models.first { $0.name == "keel-sim-gemini" }?.routes.first?.provider
        #expect(bare.providers.first { $0.name == claude }?.simulatorDialect == .anthropic)
        #expect(bare.providers.first { $0.name == gemini }?.simulatorDialect == .gemini)
        let keyed = try KeelConfiguration.builtInDefault(environment: [
            "ANTHROPIC_API_KEY": "sk-ant-x", "GEMINI_API_KEY": "g-x",
        ])
        #expect(keyed.providers.first { $0.name == "anthropic" }?.kind == .anthropic)
        #expect(keyed.providers.first { $0.name == "gemini" }?.kind == .gemini)
        #expect(keyed.models.contains { $0.name == "claude-sonnet-4-5" && $0.routes.first?.provider == "anthropic" })
        #expect(keyed.models.contains { $0.name == "gemini-2.5-flash" && $0.routes.first?.provider == "gemini" })
        #expect(keyed.validationIssues().isEmpty)
    }

    @Test func everyProviderKindReadsItsOwnKeysAndReportsWhatItLacks() throws {
        let yaml = """
            providers:
              - { name: claude, kind: anthropic, api_key: k, anthropic_version: "2023-06-01" }
              - { name: az, kind: azure, base_url: "https://r.openai.azure.com", api_version: "2024-10-21", entra_token: t }
              - { name: g, kind: gemini, api_key: k }
              - { name: aws, kind: bedrock, region: eu-west-1, aws_access_key_id: AKID, aws_secret_access_key: s }
              - { name: sim, kind: simulator, simulator: { dialect: gemini } }
            models:
              - { name: m, routes: [ { provider: claude, model: claude-haiku-4-5 } ] }
            """
        let configuration = try KeelConfiguration.parse(yaml: yaml, environment: [:])
        #expect(configuration.providers.map(\.kind) == [.anthropic, .azure, .gemini, .bedrock, .simulator])
        #expect(configuration.providers[1].apiVersion == "2024-10-21")
        #expect(configuration.providers[3].region == "eu-west-1")
        #expect(configuration.providers[4].simulatorDialect == .gemini)

        let missing = """
            providers:
              - { name: az, kind: azure }
              - { name: aws, kind: bedrock }
              - { name: sim, kind: simulator, simulator: { dialect: klingon } }
            """
        do {
            _ = try KeelConfiguration.parse(yaml: missing, environment: [:])
            Issue.record("expected a ConfigurationError")
        } catch let error as ConfigurationError {
            let keys = Set(error.issues.map(\.key))
            #expect(
                keys.isSuperset(of: [
                    "providers[0].base_url", "providers[1].region", "providers[1].aws_access_key_id",
                    "providers[1].aws_secret_access_key", "providers[2].simulator.dialect",
                ])
            )
        }
    }
}
