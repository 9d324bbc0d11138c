public import KeelCore
public import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The adapter for Amazon Bedrock's Converse API, signed with AWS Signature Version 4.
///
/// Bodies arrive already in Converse's dialect (``BedrockChatDialect/encodeRequest(_:upstreamModel:)``);
/// the model id goes in the URL, percent-encoded: `POST {base}/model/{modelId}/converse`, or
/// `/converse-stream` for an `application/vnd.amazon.eventstream` answer. Every request is signed
/// for service `bedrock` in the configured region, with `x-amz-content-sha256` and, for temporary
/// credentials, `x-amz-security-token`. Embeddings and token counting are not offered (Converse
/// has neither). One instance owns one connection pool and serves every request.
public final class BedrockProvider: ModelProvider {
    /// Settings of one Bedrock region and account.
    public struct Configuration: Sendable {
        public var name: String
        /// The AWS region, e.g. `us-east-1`; part of the default host and of the signature.
        public var region: String
        public var accessKeyID: String
        public var secretAccessKey: Secret<String>
        /// The session token of temporary (STS) credentials.
        public var sessionToken: Secret<String>?
        /// The runtime endpoint (by default ``defaultEndpoint(region:)``), extra headers (sent
        /// unsigned), timeouts, pool size, extra CA.
        public var connection: UpstreamConnection

        public init(
            name: String,
            region: String,
            accessKeyID: String,
            secretAccessKey: Secret<String>,
            sessionToken: Secret<String>? = nil,
            connection: UpstreamConnection? = nil
        ) {
            self.name = name
            self.region = region
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
            self.sessionToken = sessionToken
            self.connection = connection ?? UpstreamConnection(baseURL: Self.defaultEndpoint(region: region))
        }

        /// `https://bedrock-runtime.{region}.amazonaws.com`.
        public static func defaultEndpoint(region: String) -> String {
            "https://bedrock-runtime.\(region).amazonaws.com"
        }
    }

    /// Builds the path and signed headers of one call; pure apart from the clock it is given.
    struct RequestSigning: Sendable {
        let signer: SigV4Signer
        let pathPrefix: String
        /// The `host` value the transport sends, which the signature covers.
        let hostHeader: String

        /// - Throws: `KeelError.invalidRequest` when the endpoint is not an `http(s)://host[:port][/path]` URL.
        init(configuration: Configuration) throws(KeelError) {
            guard let url = BaseURL(configuration.connection.baseURL) else {
                throw KeelError.invalidRequest("Invalid base URL for provider '\(configuration.name)'.")
            }
            self.pathPrefix = url.path
            // `HTTP1UpstreamClient` sends exactly this `host` value.
            self.hostHeader = url.port == (url.tls ? 443 : 80) ? url.host : "\(url.host):\(url.port)"
            self.signer = SigV4Signer(
                credentials: .init(
                    accessKeyID: configuration.accessKeyID,
                    secretAccessKey: configuration.secretAccessKey,
                    sessionToken: configuration.sessionToken
                ),
                region: configuration.region,
                service: BedrockWire.signingService
            )
        }

        func request(
            model: String,
            stream: Bool,
            body: ByteBuffer,
            at time: SigV4Signer.Timestamp
        ) -> (path: String, headers: [(name: String, value: String)]) {
            let path = BedrockWire.path(prefix: self.pathPrefix, model: model, stream: stream)
            let signed: [(name: String, value: String)] = [("host", self.hostHeader), ("content-type", "application/json")]
            let added = body.withUnsafeReadableBytes { bytes in
                self.signer.signatureHeaders(method: "POST", path: path, headers: signed, payload: bytes, at: time, includeContentHash: true)
            }
            let unsigned: [(name: String, value: String)] = [
                ("accept", stream ? "application/vnd.amazon.eventstream" : "application/json"), ("user-agent", "keel"),
            ]
            return (path, signed + added + unsigned)
        }
    }

    public let name: String
    public let dialect = APIDialect.bedrock
    public let capabilities: ProviderCapabilities = [.chat, .streaming, .toolCalls, .imageInput, .streamUsage]
    public let timeouts: UpstreamTimeouts

    private let client: HTTP1UpstreamClient
    private let signing: RequestSigning

    private let extraHeaders: [(name: String, value: String)]

    /// - Throws: `KeelError.invalidRequest` when the base URL is not an `http(s)://host[:port][/path]` URL.
    public init(configuration: Configuration, eventLoopGroup: any EventLoopGroup) throws {
        self.name = configuration.name
        self.timeouts = configuration.connection.timeouts
        self.signing = try RequestSigning(configuration: configuration)
        self.client = try configuration.connection.open(provider: configuration.name, eventLoopGroup: eventLoopGroup).client
        self.extraHeaders = configuration.connection.headers
    }

    public func send(_ request: UpstreamRequest) async throws -> UpstreamResponse {
        guard request.operation == .chatCompletions else {
            throw KeelError.invalidRequest("The provider '\(self.name)' (Bedrock) does not serve \(request.operation.rawValue) through Keel.")
        }
        // Signatures are valid for 15 minutes around `x-amz-date`: sign right before sending.
        let now = SigV4Signer.Timestamp(secondsSince1970: Int64(time(nil)))
        let (path, signed) = self.signing.request(model: request.model, stream: request.stream, body: request.body, at: now)
        var headers = HTTPHeaders()
        for header in signed { headers.add(name: header.name, value: header.value) }
        for header in self.extraHeaders { headers.add(name: header.name, value: header.value) }
        let (head, body) = try await self.client.send(path: path, headers: headers, body: request.body, stream: request.stream)
        let status = Int(head.status.code)
        guard (200..<300).contains(status) else {
            throw BedrockFailure.error(
                status: status,
                errorType: head.headers.first(name: "x-amzn-errortype"),
                body: await body.errorBody(),
                retryAfter: head.headers.first(name: "retry-after")
            )
        }
        return UpstreamResponse(status: status, contentType: head.headers.first(name: "content-type"), body: body)
    }

    public func shutdown() async throws {
        await self.client.shutdown()
    }
}
