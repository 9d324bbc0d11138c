import KeelCore
import KeelProviders
import NIOCore

extension KeelApp {
    /// The adapter for one configured upstream. With `propagatesTraceContext` (tracing on), its
    /// requests carry the W3C trace context of the attempt that sends them.
    static func makeProvider(
        _ provider: KeelConfiguration.Provider,
        group: any EventLoopGroup,
        propagatesTraceContext: Bool = false
    ) throws -> any ModelProvider {
        func connection(defaultBaseURL: String) -> UpstreamConnection {
            UpstreamConnection(
                baseURL: provider.baseURL ?? defaultBaseURL,
                headers: provider.headers,
                timeouts: provider.timeouts,
                maxConnections: provider.maxConnections,
                caFile: provider.tlsCAFile,
                propagatesTraceContext: propagatesTraceContext
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
    static func makeSimulatorClient(
        _ provider: KeelConfiguration.Provider,
        port: Int,
        group: any EventLoopGroup,
        propagatesTraceContext: Bool = false
    ) throws -> any ModelProvider {
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
        return try Self.makeProvider(client, group: group, propagatesTraceContext: propagatesTraceContext)
    }

    /// `server.address` and `server.port` of a provider's configured `base_url` (`nil` for a
    /// provider using its kind's default, or an unreadable URL), for attempt spans.
    static func upstreamAddress(baseURL: String) -> GatewayTracing.UpstreamAddress? {
        let tls = baseURL.hasPrefix("https://")
        guard tls || baseURL.hasPrefix("http://") else { return nil }
        let authority = baseURL.dropFirst(tls ? 8 : 7).prefix { $0 != "/" }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            let host = String(authority[authority.index(after: authority.startIndex)..<close])
            let port = Int(authority[authority.index(after: close)...].dropFirst()) ?? (tls ? 443 : 80)
            return .init(host: host, port: port)
        }
        let parts = authority.split(separator: ":", maxSplits: 1)
        guard let host = parts.first, !host.isEmpty else { return nil }
        return .init(host: String(host), port: parts.count > 1 ? Int(parts[1]) ?? (tls ? 443 : 80) : (tls ? 443 : 80))
    }
}
