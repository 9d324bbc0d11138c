public import KeelCore
public import NIOCore
import NIOHTTP1

/// The adapter for Google's Gemini API (`generativelanguage.googleapis.com`), authenticated by
/// the `x-goog-api-key` header.
///
/// Bodies arrive already in Gemini's dialect (``GeminiChatDialect/encodeRequest(_:upstreamModel:)``);
/// the model goes in the URL: `POST {base}/{apiVersion}/models/{model}:generateContent`, or
/// `:streamGenerateContent?alt=sse` for a stream; embeddings go to `:batchEmbedContents`
/// (``GeminiEmbeddings``). Token counting is not offered. One instance owns one connection pool
/// and serves every request.
public final class GeminiProvider: ModelProvider {
    /// Settings of one Gemini upstream.
    public struct Configuration: Sendable {
        public var name: String
        /// Sent as `x-goog-api-key`.
        public var apiKey: Secret<String>?
        /// The API version segment of the path; `v1beta` carries thinking, system instructions and
        /// JSON schemas.
        public var apiVersion: String
        /// The API host root (e.g. `https://generativelanguage.googleapis.com`), extra headers,
        /// timeouts, pool size, extra CA.
        public var connection: UpstreamConnection

        public init(
            name: String,
            apiKey: Secret<String>? = nil,
            apiVersion: String = "v1beta",
            connection: UpstreamConnection = UpstreamConnection(baseURL: "https://generativelanguage.googleapis.com")
        ) {
            self.name = name
            self.apiKey = apiKey
            self.apiVersion = apiVersion
            self.connection = connection
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

    /// - Throws: `KeelError.invalidRequest` when the base URL is not an `http(s)://host[:port][/path]` URL.
    public init(configuration: Configuration, eventLoopGroup: any EventLoopGroup) throws {
        self.name = configuration.name
        self.timeouts = configuration.connection.timeouts
        self.apiKey = configuration.apiKey
        self.apiVersion = configuration.apiVersion
        let (url, client) = try configuration.connection.open(provider: configuration.name, eventLoopGroup: eventLoopGroup)
        self.client = client
        self.pathPrefix = url.path
        let key = configuration.apiKey?.withExposedValue { $0 } ?? ""
        self.baseHeaders = configuration.connection.baseHeaders(credentials: key.isEmpty ? [] : [("x-goog-api-key", key)])
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
