public import KeelCore
public import NIOCore
import NIOHTTP1

/// The adapter for Google's Gemini API (`generativelanguage.googleapis.com`), authenticated by
/// the `x-goog-api-key` header.
///
/// Bodies arrive already in Gemini's dialect (``GeminiChatDialect/encodeRequest(_:upstreamModel:)``);
/// the model goes in the URL: `POST {base}/{apiVersion}/models/{model}:generateContent`, or
/// `:streamGenerateContent?alt=sse` for a stream. Embeddings are not offered: Gemini's
/// `batchEmbedContents` has no translation contract in Keel yet, so an embeddings request is
/// refused rather than sent in OpenAI's shape (as is token counting). One instance owns one connection pool and serves
/// every request.
public final class GeminiProvider: ModelProvider {
    /// Settings of one Gemini upstream.
    public struct Configuration: Sendable {
        public var name: String
        /// The API host root, e.g. `https://generativelanguage.googleapis.com` (the default).
        public var baseURL: String
        public var apiKey: Secret<String>?
        /// The API version segment of the path; `v1beta` carries thinking, system instructions and
        /// JSON schemas.
        public var apiVersion: String
        /// Extra headers sent with every request.
        public var headers: [(name: String, value: String)]
        public var timeouts: UpstreamTimeouts
        /// Concurrent connections to the upstream host; long streams each hold one.
        public var maxConnections: Int
        /// A PEM file of extra certificate authorities to trust for this upstream.
        public var caFile: String?

        public init(
            name: String,
            baseURL: String = "https://generativelanguage.googleapis.com",
            apiKey: Secret<String>? = nil,
            apiVersion: String = "v1beta",
            headers: [(name: String, value: String)] = [],
            timeouts: UpstreamTimeouts = UpstreamTimeouts(),
            maxConnections: Int = 512,
            caFile: String? = nil
        ) {
            self.name = name
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.apiVersion = apiVersion
            self.headers = headers
            self.timeouts = timeouts
            self.maxConnections = maxConnections
            self.caFile = caFile
        }
    }

    public let name: String
    public let dialect = APIDialect.gemini
    public let capabilities: ProviderCapabilities = [.chat, .streaming, .toolCalls, .jsonMode, .imageInput, .streamUsage, .embeddings]
    public let timeouts: UpstreamTimeouts

    private let client: HTTP1UpstreamClient
    private let pathPrefix: String
    private let apiVersion: String
    private let baseHeaders: HTTPHeaders
    private let apiKey: Secret<String>?

    /// - Throws: `KeelError.invalidRequest` when `baseURL` is not an `http(s)://host[:port][/path]` URL.
    public init(configuration: Configuration, eventLoopGroup: any EventLoopGroup) throws {
        self.name = configuration.name
        self.timeouts = configuration.timeouts
        self.apiKey = configuration.apiKey
        self.apiVersion = configuration.apiVersion
        guard let url = BaseURL(configuration.baseURL) else {
            throw KeelError.invalidRequest("Invalid base URL for provider '\(configuration.name)'.")
        }
        self.pathPrefix = url.path

        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "user-agent", value: "keel")
        configuration.apiKey?.withExposedValue { key in
            if !key.isEmpty { headers.add(name: "x-goog-api-key", value: key) }
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

    /// The request path for `model` (exposed for tests).
    func path(model: String, stream: Bool) -> String {
        GeminiWire.methodPath(prefix: self.pathPrefix, apiVersion: self.apiVersion, model: model, stream: stream)
    }

    public func send(_ request: UpstreamRequest) async throws -> UpstreamResponse {
        let path: String
        switch request.operation {
        case .chatCompletions:
            path = self.path(model: request.model, stream: request.stream)
        case .embeddings:
            // The body is a `batchEmbedContents` request (``GeminiEmbeddings``).
            path = GeminiWire.methodPath(prefix: self.pathPrefix, apiVersion: self.apiVersion, model: request.model, method: ":batchEmbedContents")
        case .countTokens:
            throw KeelError.invalidRequest("The provider '\(self.name)' (Gemini) does not serve \(request.operation.rawValue) through Keel.")
        }
        var headers = self.baseHeaders
        if request.stream { headers.add(name: "accept", value: "text/event-stream") }
        let (head, body) = try await self.client.send(path: path, headers: headers, body: request.body, stream: request.stream)
        let status = Int(head.status.code)
        guard (200..<300).contains(status) else {
            throw GeminiFailure.error(
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
