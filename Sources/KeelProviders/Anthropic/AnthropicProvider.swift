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
        /// Sent as `x-api-key`.
        public var apiKey: Secret<String>?
        /// Sent when the client did not send its own.
        public var anthropicVersion: String
        /// The API root (e.g. `https://api.anthropic.com`; `/v1/messages` is appended), extra
        /// headers, timeouts, pool size, extra CA.
        public var connection: UpstreamConnection

        public init(
            name: String,
            apiKey: Secret<String>? = nil,
            anthropicVersion: String = "2023-06-01",
            connection: UpstreamConnection = UpstreamConnection(baseURL: "https://api.anthropic.com")
        ) {
            self.name = name
            self.apiKey = apiKey
            self.anthropicVersion = anthropicVersion
            self.connection = connection
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

    /// - Throws: `KeelError.invalidRequest` when the base URL is not an `http(s)://host[:port][/path]` URL.
    public init(configuration: Configuration, eventLoopGroup: any EventLoopGroup) throws {
        self.name = configuration.name
        self.timeouts = configuration.connection.timeouts
        self.apiKey = configuration.apiKey
        self.anthropicVersion = configuration.anthropicVersion
        let (url, client) = try configuration.connection.open(provider: configuration.name, eventLoopGroup: eventLoopGroup)
        self.client = client
        // `https://api.anthropic.com` and `https://api.anthropic.com/v1` both work.
        let root = url.path.hasSuffix("/v1") ? url.path : url.path + "/v1"
        self.messagesPath = root + "/messages"
        self.countTokensPath = root + "/messages/count_tokens"
        let key = configuration.apiKey?.withExposedValue { $0 } ?? ""
        self.baseHeaders = configuration.connection.baseHeaders(credentials: key.isEmpty ? [] : [("x-api-key", key)])
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
