import AsyncHTTPClient
public import KeelCore
public import NIOCore
import NIOHTTP1

/// The adapter for OpenAI and every OpenAI-compatible server (vLLM, Ollama, Groq, Mistral,
/// Together, DeepSeek, OpenRouter, the Keel simulator), addressed by `base_url`.
///
/// Bodies pass through as given; the adapter adds the provider's credentials and nothing else
/// from the client. One instance owns one connection pool and serves every request.
public final class OpenAIProvider: ModelProvider {
    /// Settings of one OpenAI-compatible upstream.
    public struct Configuration: Sendable {
        public var name: String
        /// The API root, e.g. `https://api.openai.com/v1`; paths such as `/chat/completions` are appended.
        public var baseURL: String
        public var apiKey: Secret<String>?
        /// Extra headers sent with every request (e.g. `OpenAI-Organization`).
        public var headers: [(name: String, value: String)]
        public var timeouts: UpstreamTimeouts
        /// Concurrent connections to the upstream host; long streams each hold one.
        public var maxConnections: Int

        public init(
            name: String,
            baseURL: String,
            apiKey: Secret<String>? = nil,
            headers: [(name: String, value: String)] = [],
            timeouts: UpstreamTimeouts = UpstreamTimeouts(),
            maxConnections: Int = 512
        ) {
            self.name = name
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.headers = headers
            self.timeouts = timeouts
            self.maxConnections = maxConnections
        }
    }

    public let name: String
    public let dialect = APIDialect.openAI
    public let capabilities: ProviderCapabilities = [
        .chat, .streaming, .toolCalls, .jsonMode, .imageInput, .embeddings, .streamUsage,
    ]
    public let timeouts: UpstreamTimeouts

    private let client: HTTPClient
    private let chatURL: String
    private let embeddingsURL: String
    private let baseHeaders: HTTPHeaders
    private let apiKey: Secret<String>?

    /// Headers of an upstream answer that are worth showing the client.
    static let forwardedHeaderNames: Set<String> = [
        "x-request-id", "x-ratelimit-limit-requests", "x-ratelimit-limit-tokens", "x-ratelimit-remaining-requests",
        "x-ratelimit-remaining-tokens", "x-ratelimit-reset-requests", "x-ratelimit-reset-tokens", "openai-processing-ms",
    ]

    public init(configuration: Configuration, eventLoopGroup: any EventLoopGroup) {
        self.name = configuration.name
        self.timeouts = configuration.timeouts
        self.apiKey = configuration.apiKey
        var base = configuration.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.chatURL = base + "/chat/completions"
        self.embeddingsURL = base + "/embeddings"

        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        configuration.apiKey?.withExposedValue { key in
            if !key.isEmpty { headers.add(name: "authorization", value: "Bearer " + key) }
        }
        for header in configuration.headers { headers.add(name: header.name, value: header.value) }
        self.baseHeaders = headers

        var pool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.maxConnections
        )
        pool.retryConnectionEstablishment = false
        var clientConfiguration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(
                connect: .nanoseconds(configuration.timeouts.connect.nanoseconds),
                read: .nanoseconds(configuration.timeouts.idle.nanoseconds)
            ),
            connectionPool: pool,
            proxy: nil,
            ignoreUncleanSSLShutdown: false,
            decompression: .disabled
        )
        clientConfiguration.httpVersion = .automatic
        self.client = HTTPClient(eventLoopGroup: eventLoopGroup, configuration: clientConfiguration)
    }

    public func send(_ request: UpstreamRequest) async throws -> UpstreamResponse {
        var http = HTTPClientRequest(url: request.operation == .embeddings ? self.embeddingsURL : self.chatURL)
        http.method = .POST
        http.headers = self.baseHeaders
        if request.stream { http.headers.add(name: "accept", value: "text/event-stream") }
        http.body = .bytes(request.body)

        let response: HTTPClientResponse
        do {
            response = try await self.client.execute(http, deadline: .now() + .nanoseconds(self.timeouts.firstByte.nanoseconds))
        } catch {
            guard let classified = UpstreamTransportError.classify(error) else { throw CancellationError() }
            throw classified
        }

        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            let body = try? await response.body.collect(upTo: 64 << 10)
            throw OpenAIFailure.error(
                status: status,
                body: body,
                retryAfter: response.headers.first(name: "retry-after"),
                secret: self.apiKey
            )
        }
        var forwarded: [(name: String, value: String)] = []
        for header in response.headers where Self.forwardedHeaderNames.contains(header.name.lowercased()) {
            forwarded.append((header.name.lowercased(), header.value))
        }
        return UpstreamResponse(
            status: status,
            contentType: response.headers.first(name: "content-type"),
            forwardedHeaders: forwarded,
            body: UpstreamBody(.http(response.body))
        )
    }

    public func shutdown() async throws {
        try await self.client.shutdown()
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = self.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled + attoseconds / 1_000_000_000
    }
}
