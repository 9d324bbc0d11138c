public import KeelCore
public import NIOCore
import NIOHTTP1

/// The adapter for the Anthropic Messages API (`POST /v1/messages`, `/v1/messages/count_tokens`)
/// and servers that speak it, addressed by `base_url`.
///
/// Bodies arrive already in the Anthropic dialect: passed through from an Anthropic client, or
/// translated by ``AnthropicChatDialect``. The adapter adds the credentials (`x-api-key`) and the
/// `anthropic-version` header, unless the client sent its own `anthropic-version` (forwarded
/// with `anthropic-beta` when client and upstream both speak Anthropic).
public final class AnthropicProvider: ModelProvider {
    /// Settings of one Anthropic upstream.
    public struct Configuration: Sendable {
        public var name: String
        /// The API root, e.g. `https://api.anthropic.com`; `/v1/messages` is appended.
        public var baseURL: String
        public var apiKey: Secret<String>?
        /// Sent when the client did not send its own.
        public var anthropicVersion: String
        /// Extra headers sent with every request.
        public var headers: [(name: String, value: String)]
        public var timeouts: UpstreamTimeouts
        public var maxConnections: Int
        public var caFile: String?

        public init(
            name: String,
            baseURL: String = "https://api.anthropic.com",
            apiKey: Secret<String>? = nil,
            anthropicVersion: String = "2023-06-01",
            headers: [(name: String, value: String)] = [],
            timeouts: UpstreamTimeouts = UpstreamTimeouts(),
            maxConnections: Int = 512,
            caFile: String? = nil
        ) {
            self.name = name
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.anthropicVersion = anthropicVersion
            self.headers = headers
            self.timeouts = timeouts
            self.maxConnections = maxConnections
            self.caFile = caFile
        }
    }

    public let name: String
    public let dialect = APIDialect.anthropic
    public let capabilities: ProviderCapabilities = [.chat, .streaming, .toolCalls, .imageInput, .streamUsage, .countTokens]
    public let timeouts: UpstreamTimeouts

    private let client: HTTP1UpstreamClient
    private let messagesPath: String
    private let countTokensPath: String
    private let baseHeaders: HTTPHeaders
    private let anthropicVersion: String
    private let apiKey: Secret<String>?

    /// - Throws: `KeelError.invalidRequest` when `baseURL` is not an `http(s)://host[:port][/path]` URL.
    public init(configuration: Configuration, eventLoopGroup: any EventLoopGroup) throws {
        self.name = configuration.name
        self.timeouts = configuration.timeouts
        self.apiKey = configuration.apiKey
        self.anthropicVersion = configuration.anthropicVersion
        guard let url = BaseURL(configuration.baseURL) else {
            throw KeelError.invalidRequest("Invalid base URL for provider '\(configuration.name)'.")
        }
        // `https://api.anthropic.com` and `https://api.anthropic.com/v1` both work.
        let root = url.path.hasSuffix("/v1") ? url.path : url.path + "/v1"
        self.messagesPath = root + "/messages"
        self.countTokensPath = root + "/messages/count_tokens"

        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "user-agent", value: "keel")
        configuration.apiKey?.withExposedValue { key in
            if !key.isEmpty { headers.add(name: "x-api-key", value: key) }
        }
        for header in configuration.headers { headers.add(name: header.name, value: header.value) }
        self.baseHeaders = headers
        self.client = try HTTP1UpstreamClient(
            target: .init(host: url.host, port: url.port, tls: url.tls, additionalTrustRootsFile: configuration.caFile),
            timeouts: configuration.timeouts,
            maxConnections: configuration.maxConnections,
            eventLoopGroup: eventLoopGroup
        )
    }

    public func send(_ request: UpstreamRequest) async throws -> UpstreamResponse {
        let path: String
        switch request.operation {
        case .chatCompletions: path = self.messagesPath
        case .countTokens: path = self.countTokensPath
        case .embeddings: throw KeelError.invalidRequest("The Anthropic API has no embeddings endpoint.")
        }
        var headers = self.baseHeaders
        var version = self.anthropicVersion
        for header in request.forwardedHeaders {
            if header.name == "anthropic-version" {
                version = header.value
            } else {
                headers.add(name: header.name, value: header.value)
            }
        }
        headers.add(name: "anthropic-version", value: version)
        if request.stream { headers.add(name: "accept", value: "text/event-stream") }
        let (head, body) = try await self.client.send(path: path, headers: headers, body: request.body, stream: request.stream)
        let status = Int(head.status.code)
        guard (200..<300).contains(status) else {
            throw AnthropicFailure.error(
                status: status,
                body: await body.errorBody(),
                retryAfter: head.headers.first(name: "retry-after"),
                secret: self.apiKey
            )
        }
        return UpstreamResponse(status: status, contentType: head.headers.first(name: "content-type"), body: body)
    }

    public func shutdown() async throws {
        await self.client.shutdown()
    }
}
