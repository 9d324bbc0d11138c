import Foundation
import HTTPTypes
import Hummingbird
import KeelCore
import KeelProviders
import KeelServer
import KeelTesting
import NIOCore
import Synchronization
import Testing

@Suite("What crosses the gateway")
struct HeaderHygieneTests {
    /// An upstream that remembers the headers of every request and answers a fixed completion.
    final class CapturingUpstream: Sendable {
        let captured = Mutex<[[String: String]]>([])

        func run(onPort: @escaping @Sendable (Int) async -> Void) async throws {
            let router = Router()
            router.post("v1/chat/completions") { request, _ -> Response in
                var headers: [String: String] = [:]
                for field in request.headers { headers[field.name.canonicalName, default: ""] += field.value }
                self.captured.withLock { $0.append(headers) }
                let body = #"{"id":"c","object":"chat.completion","created":1,"model":"up","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"#
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
            }
            let app = Application(
                router: router,
                configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { channel in await onPort(channel.localAddress?.port ?? 0) }
            )
            try await app.runService()
        }
    }

    @Test func clientCredentialsCookiesAndHopByHopHeadersNeverReachTheUpstreamAndTheProviderKeyNeverReachesTheClient() async throws {
        let upstream = CapturingUpstream()
        let port = AsyncStream<Int>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                do {
                    try await upstream.run { port.continuation.yield($0) }
                } catch {
                    port.continuation.finish()  // unblock the wait for a port
                    throw error
                }
            }
            var ports = port.stream.makeAsyncIterator()
            let upstreamPort = try #require(await ports.next())
            try await TestKeel.run(configure: { configuration in
                configuration.providers.append(
                    .init(name: "capture", kind: .openai, baseURL: "http://127.0.0.1:\(upstreamPort)/v1", apiKey: Secret("sk-provider-secret-123"))
                )
                configuration.models.append(.init(name: "captured", routes: [.init(provider: "capture", model: "up")]))
            }) { keel in
                let response = try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody("hello", model: "captured"),
                    headers: [
                        ("cookie", "session=abc"), ("x-api-key", TestKeel.adminKey), ("proxy-authorization", "Basic Zm9v"),
                        ("te", "trailers"), ("x-keel-project", "p1"), ("openai-organization", "org-client"),
                    ]
                )
                #expect(response.status == 200)
                #expect(!response.body.contains("sk-provider-secret-123"))
                #expect(!response.headers.values.contains { $0.contains("sk-provider-secret-123") })
            }
            tasks.cancelAll()
        }
        let seen = try #require(upstream.captured.withLock { $0.first })
        #expect(seen["authorization"] == "Bearer sk-provider-secret-123")
        for name in ["cookie", "x-api-key", "proxy-authorization", "te", "x-keel-project", "openai-organization"] {
            #expect(seen[name] == nil, "\(name) reached the upstream")
        }
        #expect(!seen.values.contains { $0.contains(TestKeel.adminKey) })
    }
}
