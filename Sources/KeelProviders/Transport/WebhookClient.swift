public import NIOCore
import NIOHTTP1

/// Posts JSON to one webhook URL (alert receivers), over Keel's own HTTP/1.1 transport with a
/// small keep-alive pool.
public final class WebhookClient: Sendable {
    public let url: String
    private let client: HTTP1UpstreamClient
    private let path: String
    private let headers: HTTPHeaders

    /// - Throws: `KeelError.invalidRequest` when `url` is not an `http(s)://host[:port][/path]` URL.
    public init(url: String, timeout: Duration = .seconds(10), eventLoopGroup: any EventLoopGroup) throws {
        self.url = url
        // The path (and query) follow the authority; `BaseURL` keeps the path without a trailing
        // slash, which a webhook URL may need, so the path is cut from the text itself.
        let (root, path) = MCPServerClient.split(url)
        self.path = path
        let connection = UpstreamConnection(
            baseURL: root,
            timeouts: UpstreamTimeouts(connect: timeout, firstByte: timeout, idle: timeout, total: timeout),
            maxConnections: 4
        )
        self.client = try connection.open(provider: "webhook", eventLoopGroup: eventLoopGroup).client
        self.headers = connection.baseHeaders(credentials: [])
    }

    /// Posts `body`; returns the HTTP status. Transport failures are thrown as `KeelError`s.
    public func post(_ body: [UInt8]) async throws -> Int {
        let (head, answer) = try await self.client.send(
            path: self.path,
            headers: self.headers,
            body: ByteBuffer(bytes: body),
            stream: false
        )
        _ = await answer.errorBody()
        return Int(head.status.code)
    }

    public func shutdown() async {
        await self.client.shutdown()
    }
}
