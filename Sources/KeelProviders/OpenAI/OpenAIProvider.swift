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
        /// A PEM file of extra certificate authorities to trust for this upstream.
        public var caFile: String?

        public init(
            name: String,
            baseURL: String,
            apiKey: Secret<String>? = nil,
            headers: [(name: String, value: String)] = [],
            timeouts: UpstreamTimeouts = UpstreamTimeouts(),
            maxConnections: Int = 512,
            caFile: String? = nil
        ) {
            self.name = name
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.headers = headers
            self.timeouts = timeouts
            self.maxConnections = maxConnections
            self.caFile = caFile
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

    /// - Throws: `KeelError.invalidRequest` when `baseURL` is not an `http(s)://host[:port][/path]` URL.
    public init(configuration: Configuration, eventLoopGroup: any EventLoopGroup) throws {
        self.name = configuration.name
        self.timeouts = configuration.timeouts
        self.apiKey = configuration.apiKey
        guard let url = BaseURL(configuration.baseURL) else {
            throw KeelError.invalidRequest("Invalid base URL for provider '\(configuration.name)'.")
        }
        self.chatPath = url.path + "/chat/completions"
        self.embeddingsPath = url.path + "/embeddings"

        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "user-agent", value: "keel")
        configuration.apiKey?.withExposedValue { key in
            if !key.isEmpty { headers.add(name: "authorization", value: "Bearer " + key) }
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
