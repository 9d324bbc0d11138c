import KeelCore
import KeelProviders
import NIOCore

extension KeelApp {
    /// The adapter for one configured upstream.
    static func makeProvider(_ provider: KeelConfiguration.Provider, group: any EventLoopGroup) throws -> any ModelProvider {
        switch provider.kind {
        case .openai, .simulator:
            return try OpenAIProvider(
                configuration: .init(
                    name: provider.name,
                    baseURL: provider.baseURL ?? "https://api.openai.com/v1",
                    apiKey: provider.apiKey,
                    headers: provider.headers,
                    timeouts: provider.timeouts,
                    maxConnections: provider.maxConnections,
                    caFile: provider.tlsCAFile
                ),
                eventLoopGroup: group
            )
        case .anthropic:
            return try AnthropicProvider(
                configuration: .init(
                    name: provider.name,
                    baseURL: provider.baseURL ?? "https://api.anthropic.com",
                    apiKey: provider.apiKey,
                    anthropicVersion: provider.anthropicVersion ?? "2023-06-01",
                    headers: provider.headers,
                    timeouts: provider.timeouts,
                    maxConnections: provider.maxConnections,
                    caFile: provider.tlsCAFile
                ),
                eventLoopGroup: group
            )
        case .azure:
            return try AzureOpenAIProvider(
                configuration: .init(
                    name: provider.name,
                    baseURL: provider.baseURL ?? "",
                    apiVersion: provider.apiVersion ?? "2024-10-21",
                    apiKey: provider.apiKey,
                    entraToken: provider.entraToken,
                    headers: provider.headers,
                    timeouts: provider.timeouts,
                    maxConnections: provider.maxConnections,
                    caFile: provider.tlsCAFile
                ),
                eventLoopGroup: group
            )
        case .gemini:
            return try GeminiProvider(
                configuration: .init(
                    name: provider.name,
                    baseURL: provider.baseURL ?? "https://generativelanguage.googleapis.com",
                    apiKey: provider.apiKey,
                    headers: provider.headers,
                    timeouts: provider.timeouts,
                    maxConnections: provider.maxConnections,
                    caFile: provider.tlsCAFile
                ),
                eventLoopGroup: group
            )
        case .bedrock:
            return try BedrockProvider(
                configuration: .init(
                    name: provider.name,
                    region: provider.region ?? "us-east-1",
                    accessKeyID: provider.awsAccessKeyID ?? "",
                    secretAccessKey: provider.awsSecretAccessKey ?? Secret(""),
                    sessionToken: provider.awsSessionToken,
                    baseURL: provider.baseURL,
                    timeouts: provider.timeouts,
                    maxConnections: provider.maxConnections,
                    caFile: provider.tlsCAFile
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
