import AsyncHTTPClient
import Foundation
import NIOCore
public import NIOHTTP1

/// A response as a test sees it.
public struct TestResponse: Sendable {
    public let status: Int
    public let headers: [String: String]
    public let body: String

    /// The body with the `"created":<seconds>` timestamp removed, so two answers produced in
    /// different seconds compare equal when everything else is.
    public var bodyIgnoringCreated: String {
        var result = ""
        var rest = Substring(self.body)
        while let range = rest.firstRange(of: #""created":"#) {
            result += rest[..<range.lowerBound]
            rest = rest[range.upperBound...].drop { $0.isNumber }
        }
        return result + rest
    }

    /// The body parsed as a JSON object (`nil` when it is not one).
    public var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(self.body.utf8))) as? [String: Any]
    }

    /// `data:` payloads of an SSE body, in order.
    public var events: [String] {
        self.body.split(separator: "\n", omittingEmptySubsequences: true)
            .filter { $0.hasPrefix("data:") }
            .map { String($0.dropFirst(5)).trimmingCharacters(in: .whitespaces) }
    }

    /// The JSON events of an SSE body (everything but `[DONE]`).
    public var jsonEvents: [[String: Any]] {
        self.events.filter { $0 != "[DONE]" }.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    /// The concatenated `delta.content` of a chat stream.
    public var streamedText: String {
        self.jsonEvents.compactMap { event -> String? in
            guard let choices = event["choices"] as? [[String: Any]], let delta = choices.first?["delta"] as? [String: Any] else { return nil }
            return delta["content"] as? String
        }.joined()
    }
}

extension TestGateway {
    /// The tests' HTTP client: many connections per host (the gateway is tested under
    /// concurrency, not the client's queue) and no reconnect loop, so a refused connection fails
    /// at once.
    static let client: HTTPClient = {
        var pool = HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 1_024)
        pool.retryConnectionEstablishment = false
        var configuration = HTTPClient.Configuration(connectionPool: pool)
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// Sends a request to the gateway and reads the whole response.
    public func send(
        _ method: HTTPMethod = .POST,
        _ path: String,
        body: String? = nil,
        key: String? = TestKeel.adminKey,
        headers: [(String, String)] = [],
        to port: Int? = nil
    ) async throws -> TestResponse {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port ?? self.port)" + path)
        request.method = method
        if let key { request.headers.add(name: "authorization", value: "Bearer " + key) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await TestGateway.client.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        var headerMap: [String: String] = [:]
        for header in response.headers { headerMap[header.name.lowercased()] = header.value }
        return TestResponse(status: Int(response.status.code), headers: headerMap, body: String(buffer: bytes))
    }

    /// `POST path` with a JSON body.
    public func post(_ path: String, json: String, key: String? = TestKeel.adminKey, headers: [(String, String)] = []) async throws -> TestResponse {
        try await self.send(.POST, path, body: json, key: key, headers: headers)
    }

    /// The same request sent straight to the simulator upstream, bypassing the gateway.
    public func postDirect(_ path: String, json: String) async throws -> TestResponse {
        try await self.send(.POST, path, body: json, key: "direct", to: self.simulatorPort)
    }
}

/// A chat-completions body with one user message.
public func chatBody(_ content: String, model: String = "keel-sim-chat", extra: String = "") -> String {
    let escaped = content.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    return #"{"model":"\#(model)","messages":[{"role":"user","content":"\#(escaped)"}]\#(extra.isEmpty ? "" : "," + extra)}"#
}
