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
        /// Sent as `Authorization: Bearer`.
        public var apiKey: Secret<String>?
        /// The API root (e.g. `https://api.openai.com/v1`; `/chat/completions` is appended),
        /// extra headers, timeouts, pool size, extra CA.
        public var connection: UpstreamConnection

        public init(name: String, apiKey: Secret<String>? = nil, connection: UpstreamConnection) {
            self.name = name
            self.apiKey = apiKey
            self.connection = connection
        }
    }

    public let name: String
    public let dialect = APIDialect.openAI
    public let capabilities: ProviderCapabilities = [
        .chat, .streaming, .toolCalls, .jsonMode, .imageInput, .embeddings, .streamUsage,
    ]
    public let timeouts: UpstreamTimeouts

    private let client: HTTP1UpstreamClient
    private let chatPath: String
    private let embeddingsPath: String
    private let baseHeaders: HTTPHeaders
    private let apiKey: Secret<String>?

    /// - Throws: `KeelError.invalidRequest` when the base URL is not an `http(s)://host[:port][/path]` URL.
    public init(configuration: Configuration, eventLoopGroup: any EventLoopGroup) throws {
        self.name = configuration.name
        self.timeouts = configuration.connection.timeouts
        self.apiKey = configuration.apiKey
        let (url, client) = try configuration.connection.open(provider: configuration.name, eventLoopGroup: eventLoopGroup)
        self.client = client
        self.chatPath = url.path + "/chat/completions"
        self.embeddingsPath = url.path + "/embeddings"
        let key = configuration.apiKey?.withExposedValue { $0 } ?? ""
        self.baseHeaders = configuration.connection.baseHeaders(credentials: key.isEmpty ? [] : [("authorization", "Bearer " + key)])
    }

    public func send(_ request: UpstreamRequest) async throws -> UpstreamResponse {
        var headers = self.baseHeaders
        if request.stream { headers.add(name: "accept", value: "text/event-stream") }
        let (head, responseBody) = try await self.client.send(
            path: request.operation == .embeddings ? self.embeddingsPath : self.chatPath,
            headers: headers,
            body: request.body,
            stream: request.stream
        )
        let status = Int(head.status.code)
        guard (200..<300).contains(status) else {
            throw OpenAIFailure.error(
                status: status,
                body: await responseBody.errorBody(),
                retryAfter: head.headers.first(name: "retry-after"),
                secret: self.apiKey
            )
        }
        return UpstreamResponse(
            status: status,
            contentType: head.headers.first(name: "content-type"),
            body: responseBody
        )
    }

    public func shutdown() async throws {
        await self.client.shutdown()
    }
}

/// The parts of a provider's `base_url`.
struct BaseURL: Equatable {
    var tls: Bool
    var host: String
    var port: Int
    /// Path prefix without a trailing slash (`/v1`, or empty).
    var path: String

    init?(_ text: String) {
        let rest: Substring
        if text.hasPrefix("https://") {
            self.tls = true
            rest = text.dropFirst(8)
        } else if text.hasPrefix("http://") {
            self.tls = false
            rest = text.dropFirst(7)
        } else {
            return nil
        }
        let authority = rest.prefix { $0 != "/" }
        var path = String(rest.dropFirst(authority.count))
        while path.hasSuffix("/") { path.removeLast() }
        self.path = path
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            self.host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.isEmpty {
                self.port = self.tls ? 443 : 80
            } else {
                guard after.hasPrefix(":"), let port = Int(after.dropFirst()) else { return nil }
                self.port = port
            }
        } else if let colon = authority.lastIndex(of: ":") {
            self.host = String(authority[..<colon])
            guard let port = Int(authority[authority.index(after: colon)...]) else { return nil }
            self.port = port
        } else {
            self.host = String(authority)
            self.port = self.tls ? 443 : 80
        }
        guard !self.host.isEmpty, (1...65_535).contains(self.port) else { return nil }
    }
}
