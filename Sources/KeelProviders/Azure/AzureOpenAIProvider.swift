public import KeelCore
public import NIOCore
import NIOHTTP1

/// The adapter for Azure OpenAI: the OpenAI dialect at deployment URLs,
/// `{base_url}/openai/deployments/{deployment}/chat/completions?api-version=…`, where the route's
/// model names the deployment.
///
/// Authenticates with the resource's `api-key`, or with a Microsoft Entra ID bearer token from
/// configuration. Bodies pass through as for ``OpenAIProvider`` (Azure ignores the `model`
/// member; the deployment decides).
public final class AzureOpenAIProvider: ModelProvider {
    public struct Configuration: Sendable {
        public var name: String
        /// The `api-version` query parameter.
        public var apiVersion: String
        /// The resource key, sent as `api-key`.
        public var apiKey: Secret<String>?
        /// A Microsoft Entra ID access token, sent as `Authorization: Bearer`; used when set.
        public var entraToken: Secret<String>?
        /// The resource endpoint (e.g. `https://my-resource.openai.azure.com`), extra headers,
        /// timeouts, pool size, extra CA.
        public var connection: UpstreamConnection

        public init(
            name: String,
            apiVersion: String = "2024-10-21",
            apiKey: Secret<String>? = nil,
            entraToken: Secret<String>? = nil,
            connection: UpstreamConnection
        ) {
            self.name = name
            self.apiVersion = apiVersion
            self.apiKey = apiKey
            self.entraToken = entraToken
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
    private let root: String
    private let apiVersionQuery: String
    private let baseHeaders: HTTPHeaders
    private let secret: Secret<String>?

    public init(configuration: Configuration, eventLoopGroup: any EventLoopGroup) throws {
        self.name = configuration.name
        self.timeouts = configuration.connection.timeouts
        let (url, client) = try configuration.connection.open(provider: configuration.name, eventLoopGroup: eventLoopGroup)
        self.client = client
        // Accept the resource endpoint with or without the `/openai` segment.
        self.root = (url.path.hasSuffix("/openai") ? url.path : url.path + "/openai") + "/deployments/"
        self.apiVersionQuery = "?api-version=" + Self.percentEncoded(configuration.apiVersion)
        if let token = configuration.entraToken {
            self.secret = token
            self.baseHeaders = configuration.connection.baseHeaders(credentials: [("authorization", "Bearer " + token.withExposedValue { $0 })])
        } else {
            self.secret = configuration.apiKey
            let key = configuration.apiKey?.withExposedValue { $0 } ?? ""
            self.baseHeaders = configuration.connection.baseHeaders(credentials: key.isEmpty ? [] : [("api-key", key)])
        }
    }

    /// The path of `operation` on `deployment`.
    func path(_ operation: UpstreamRequest.Operation, deployment: String) throws(KeelError) -> String {
        let suffix: String
        switch operation {
        case .chatCompletions: suffix = "/chat/completions"
        case .embeddings: suffix = "/embeddings"
        case .countTokens: throw .invalidRequest("Azure OpenAI has no token-counting endpoint.")
        }
        return self.root + Self.percentEncoded(deployment) + suffix + self.apiVersionQuery
    }

    public func send(_ request: UpstreamRequest) async throws -> UpstreamResponse {
        let path = try self.path(request.operation, deployment: request.model)
        var headers = self.baseHeaders
        if request.stream { headers.add(name: "accept", value: "text/event-stream") }
        let (head, body) = try await self.client.send(path: path, headers: headers, body: request.body, stream: request.stream)
        let status = Int(head.status.code)
        guard (200..<300).contains(status) else {
            throw OpenAIFailure.error(
                status: status,
                body: await body.errorBody(),
                retryAfter: head.headers.first(name: "retry-after"),
                secret: self.secret
            )
        }
        return UpstreamResponse(status: status, contentType: head.headers.first(name: "content-type"), body: body)
    }

    public func shutdown() async throws {
        await self.client.shutdown()
    }

    /// `text` with everything but unreserved characters percent-encoded (RFC 3986).
    static func percentEncoded(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                output += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return output
    }
}
