import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTLS
import KeelCore
import KeelProviders
import KeelServer
import KeelTesting
import NIOCore
import NIOSSL
import Testing

@Suite("HTTPS upstreams")
struct TLSUpstreamTests {
    /// A private CA and a server certificate for 127.0.0.1, made with the openssl command.
    struct Certificates {
        let directory: URL
        var caFile: String { self.directory.appendingPathComponent("ca.pem").path }
        var certificateFile: String { self.directory.appendingPathComponent("server.pem").path }
        var keyFile: String { self.directory.appendingPathComponent("server.key").path }

        static func make() async throws -> Certificates {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-tls-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                .write(to: directory.appendingPathComponent("ext.cnf"), atomically: true, encoding: .utf8)
            let script = """
                set -e
                openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=Keel Test CA"
                openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost"
                openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf
                """
            let openssl = try await ChildProcess.run("/bin/sh", ["-c", script], directory: directory.path)
            try #require(openssl.termination == .exited(0), "openssl failed: \(openssl.output)")
            return Certificates(directory: directory)
        }
    }

    static func runTLSUpstream(_ certificates: Certificates, onPort: @escaping @Sendable (Int) async -> Void) async throws {
        let router = Router()
        router.post("v1/chat/completions") { _, _ -> Response in
            let body = #"{"id":"c","object":"chat.completion","created":1,"model":"up","choices":[{"index":0,"message":{"role":"assistant","content":"secure"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}"#
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificates.certificateFile).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: certificates.keyFile, format: .pem))
        )
        let app = Application(
            router: router,
            server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in await onPort(channel.localAddress?.port ?? 0) }
        )
        try await app.runService()
    }

    @Test func anHTTPSUpstreamBehindAPrivateCAIsTrustedOnlyWithItsCAFile() async throws {
        let certificates = try await Certificates.make()
        defer { try? FileManager.default.removeItem(at: certificates.directory) }
        let ports = AsyncStream<Int>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                do {
                    try await Self.runTLSUpstream(certificates) { ports.continuation.yield($0) }
                } catch {
                    // Unblock the wait for a port, then report why the upstream did not start.
                    ports.continuation.finish()
                    throw error
                }
            }
            var iterator = ports.stream.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await TestKeel.run(configure: { configuration in
                configuration.router.maxRetries = 0
                configuration.providers.append(
                    .init(name: "private", kind: .openai, baseURL: "https://127.0.0.1:\(port)/v1", tlsCAFile: certificates.caFile)
                )
                configuration.providers.append(.init(name: "untrusted", kind: .openai, baseURL: "https://127.0.0.1:\(port)/v1"))
                configuration.models.append(.init(name: "secure", routes: [.init(provider: "private", model: "up")]))
                configuration.models.append(.init(name: "insecure", routes: [.init(provider: "untrusted", model: "up")]))
            }) { keel in
                let trusted = try await keel.post("/v1/chat/completions", json: chatBody("hi", model: "secure"))
                #expect(trusted.status == 200)
                #expect(trusted.body.contains(#""content":"secure""#))
                let refused = try await keel.post("/v1/chat/completions", json: chatBody("hi", model: "insecure"))
                #expect(refused.status == 502)
                #expect((refused.json?["error"] as? [String: Any])?["code"] as? String == "upstream_unavailable")
            }
            tasks.cancelAll()
        }
    }
}
