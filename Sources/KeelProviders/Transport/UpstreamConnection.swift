import KeelCore
import NIOCore
import NIOHTTP1

/// Where and how an adapter reaches its upstream: the part of every provider's configuration
/// that is not about credentials or the dialect.
public struct UpstreamConnection: Sendable {
    /// The API root, e.g. `https://api.openai.com/v1`; the adapter appends its paths.
    public var baseURL: String
    /// Extra headers sent with every request (e.g. `OpenAI-Organization`).
    public var headers: [(name: String, value: String)]
    public var timeouts: UpstreamTimeouts
    /// Concurrent connections to the upstream host; long streams each hold one.
    public var maxConnections: Int
    /// A PEM file of extra certificate authorities to trust (self-hosted or private endpoints).
    public var caFile: String?
    /// Send the W3C trace context of the current attempt (``UpstreamTraceContext``) upstream.
    public var propagatesTraceContext: Bool

    public init(
        baseURL: String,
        headers: [(name: String, value: String)] = [],
        timeouts: UpstreamTimeouts = UpstreamTimeouts(),
        maxConnections: Int = 512,
        caFile: String? = nil,
        propagatesTraceContext: Bool = false
    ) {
        self.propagatesTraceContext = propagatesTraceContext
        self.baseURL = baseURL
        self.headers = headers
        self.timeouts = timeouts
        self.maxConnections = maxConnections
        self.caFile = caFile
    }

    /// The parsed base URL and a connection pool to its host.
    ///
    /// - Throws: `KeelError.invalidRequest` naming `provider` when `baseURL` is not an
    ///   `http(s)://host[:port][/path]` URL; NIOSSL's error when the CA file cannot be read.
    func open(provider: String, eventLoopGroup: any EventLoopGroup) throws -> (url: BaseURL, client: HTTP1UpstreamClient) {
        guard let url = BaseURL(self.baseURL) else {
            throw KeelError.invalidRequest("Invalid base URL for provider '\(provider)'.")
        }
        let client = try HTTP1UpstreamClient(
            target: .init(host: url.host, port: url.port, tls: url.tls, additionalTrustRootsFile: self.caFile),
            timeouts: self.timeouts,
            maxConnections: self.maxConnections,
            eventLoopGroup: eventLoopGroup,
            propagatesTraceContext: self.propagatesTraceContext
        )
        return (url, client)
    }

    /// The headers of every request: JSON content type, Keel's user agent, `credentials`, then
    /// the configured extra headers.
    func baseHeaders(credentials: [(name: String, value: String)]) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "user-agent", value: "keel")
        for header in credentials { headers.add(name: header.name, value: header.value) }
        for header in self.headers { headers.add(name: header.name, value: header.value) }
        return headers
    }
}
