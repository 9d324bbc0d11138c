public import KeelCore
public import NIOCore
public import NIOHTTP1

/// Sends MCP messages to one server over the Streamable HTTP transport, on Keel's own HTTP/1.1
/// transport, with the server's own credentials (configured, never the client's).
public final class MCPServerClient: Sendable {
    public let name: String
    public let url: String
    private let client: HTTP1UpstreamClient
    private let path: String
    private let headers: HTTPHeaders

    /// - Parameters:
    ///   - headers: sent with every request (the server's credentials); `content-type` is JSON.
    ///   - timeout: how long one exchange may take, its streamed answer included (also the
    ///     wait for its first byte and between two reads).
    /// - Throws: `KeelError.invalidRequest` when `url` is not an `http(s)://host[:port][/path]`
    ///   URL; NIOSSL's error when the CA file cannot be read.
    public init(
        name: String,
        url: String,
        headers: [(name: String, value: String)],
        timeout: Duration,
        caFile: String? = nil,
        eventLoopGroup: any EventLoopGroup
    ) throws {
        self.name = name
        self.url = url
        let (root, path) = Self.split(url)
        self.path = path
        let connection = UpstreamConnection(
            baseURL: root,
            headers: headers,
            timeouts: UpstreamTimeouts(
                connect: min(timeout, .seconds(10)),
                firstByte: timeout,
                idle: timeout,
                total: timeout
            ),
            maxConnections: 256,
            caFile: caFile
        )
        self.client = try connection.open(provider: "mcp:" + name, eventLoopGroup: eventLoopGroup).client
        var base = connection.baseHeaders(credentials: [])
        base.remove(name: "user-agent")
        base.add(name: "user-agent", value: "keel-mcp")
        self.headers = base
    }

    /// Sends `method` (`POST` with a JSON-RPC message or batch, `DELETE` to end a session) with
    /// `forwarded` headers of the client's (`accept`, `mcp-session-id`, `mcp-protocol-version`,
    /// `last-event-id`) after the server's own. The body streams (an SSE answer) unless the
    /// caller collects it.
    ///
    /// - Throws: the transport's failure as a `KeelError`; `CancellationError` when cancelled.
    public func send(
        _ method: HTTPMethod,
        body: ByteBuffer,
        forwarded: [(name: String, value: String)]
    ) async throws -> (head: HTTPResponseHead, body: UpstreamBody) {
        var headers = self.headers
        for header in forwarded { headers.replaceOrAdd(name: header.name, value: header.value) }
        return try await self.client.send(method, path: self.path, headers: headers, body: body, stream: true)
    }

    public func shutdown() async {
        await self.client.shutdown()
    }

    /// `scheme://authority` and the path (with its query, `/` when none) of `url`.
    static func split(_ url: String) -> (root: String, path: String) {
        let afterScheme = url.drop { $0 != "/" }.dropFirst(2)
        let pathStart = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
        let root = String(url[..<pathStart])
        return (root, pathStart == afterScheme.endIndex ? "/" : String(afterScheme[pathStart...]))
    }
}
