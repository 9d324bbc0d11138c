import KeelCore
import KeelProviders
import NIOCore

extension KeelApp {
    /// The adapter for one configured upstream.
    static func makeProvider(_ provider: KeelConfiguration.Provider, group: any EventLoopGroup) throws -> any ModelProvider {
        func connection(defaultBaseURL: String) -> UpstreamConnection {
            UpstreamConnection(
                baseURL: provider.baseURL ?? defaultBaseURL,
                headers: provider.headers,
                timeouts: provider.timeouts,
                maxConnections: provider.maxConnections,
                caFile: provider.tlsCAFile
            )
        }
        switch provider.kind {
        case .openai, .simulator:
            return try OpenAIProvider(
                configuration: .init(name: provider.name, apiKey: provider.apiKey, connection: connection(defaultBaseURL: "https://api.openai.com/v1")),
                eventLoopGroup: group
            )
        case .anthropic:
            return try AnthropicProvider(
                configuration: .init(
                    name: provider.name,
                    apiKey: provider.apiKey,
                    anthropicVersion: provider.anthropicVersion ?? "2023-06-01",
                    connection: connection(defaultBaseURL: "https://api.anthropic.com")
                ),
                eventLoopGroup: group
            )
        case .azure:
            // Configuration validation requires `base_url` for Azure.
            return try AzureOpenAIProvider(
                configuration: .init(
                    name: provider.name,
                    apiVersion: provider.apiVersion ?? "2024-10-21",
                    apiKey: provider.apiKey,
                    entraToken: provider.entraToken,
                    connection: connection(defaultBaseURL: "")
                ),
                eventLoopGroup: group
            )
        case .gemini:
            return try GeminiProvider(
                configuration: .init(
                    name: provider.name,
                    apiKey: provider.apiKey,
                    connection: connection(defaultBaseURL: "https://generativelanguage.googleapis.com")
                ),
                eventLoopGroup: group
            )
        case .bedrock:
            let region = provider.region ?? "us-east-1"
            return try BedrockProvider(
                configuration: .init(
                    name: provider.name,
                    region: region,
                    accessKeyID: provider.awsAccessKeyID ?? "",
                    secretAccessKey: provider.awsSecretAccessKey ?? Secret(""),
                    sessionToken: provider.awsSessionToken,
                    connection: connection(defaultBaseURL: BedrockProvider.Configuration.defaultEndpoint(region: region))
                ),
                eventLoopGroup: group
            )
        }
    }

    /// The adapter that talks to a built-in simulator on `port` in `simulator.dialect`, with the
    /// credentials that dialect's simulator expects to see.
    static func makeSimulatorClient(_ provider: KeelConfiguration.Provider, port: Int, group: any EventLoopGroup) throws -> any ModelProvider {
        var client = provider
        client.baseURL = "http://127.0.0.1:\(port)"
        switch provider.simulatorDialect {
        case .openAI:
            client.kind = .openai
            client.baseURL = "http://127.0.0.1:\(port)/v1"
        case .anthropic:
            client.kind = .anthropic
        case .gemini:
            client.kind = .gemini
        case .bedrock:
            client.kind = .bedrock
            client.region = "us-east-1"
            client.awsAccessKeyID = "KEELSIMULATOR"
            client.awsSecretAccessKey = Secret("keel-simulator")
        }
        return try Self.makeProvider(client, group: group)
    }
}
