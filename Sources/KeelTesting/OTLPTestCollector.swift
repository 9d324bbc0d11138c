import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A fake OpenTelemetry collector on `127.0.0.1:0` for tests: receives OTLP/HTTP protobuf exports
/// on `POST /v1/traces` and keeps their spans.
///
/// It also answers `POST /v1/chat/completions` as a minimal OpenAI upstream (one fixed, complete
/// answer) and keeps the headers of every such call, so a test can check what trace context an
/// upstream receives.
///
/// ```swift
/// try await OTLPTestCollector.run { collector in
///     // point `tracing.traces_endpoint` at collector.tracesURL, run requests, shut the gateway down
///     let spans = try await collector.spans(count: 2)
/// }
/// ```
public final class OTLPTestCollector: Sendable {
    public let port: Int
    private let storage: Storage

    fileprivate struct State {
        var spans: [CollectedSpan] = []
        var exports = 0
        var upstreamHeaders: [[String: String]] = []
    }

    /// What the routes received, shared with them before the port is known.
    fileprivate final class Storage: Sendable {
        let state = Mutex<State>(State())
    }

    fileprivate init(port: Int, storage: Storage) {
        self.port = port
        self.storage = storage
    }

    /// The OTLP/HTTP base URL (`OTEL_EXPORTER_OTLP_ENDPOINT` style).
    public var baseURL: String { "http://127.0.0.1:\(self.port)" }
    /// The traces URL, used as is.
    public var tracesURL: String { self.baseURL + "/v1/traces" }

    /// Every span received so far, in arrival order.
    public var spans: [CollectedSpan] { self.storage.state.withLock { $0.spans } }
    /// Export requests received so far.
    public var exports: Int { self.storage.state.withLock { $0.exports } }
    /// The headers (names lower-cased) of each upstream chat call, in arrival order.
    public var upstreamHeaders: [[String: String]] { self.storage.state.withLock { $0.upstreamHeaders } }

    /// Waits until at least `count` spans have arrived (at most `timeout`), then returns them all.
    public func spans(count: Int, timeout: Duration = .seconds(20)) async throws -> [CollectedSpan] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let spans = self.spans
            if spans.count >= count { return spans }
            try await Task.sleep(for: .milliseconds(20))
        }
        return self.spans
    }

    /// Starts a collector, runs `body`, then stops it.
    public static func run<Result: Sendable>(
        _ body: @Sendable (OTLPTestCollector) async throws -> Result
    ) async throws -> Result {
        var logger = Logger(label: "keel.test.otlp")
        // Stopped by cancellation: the exporter's keep-alive connections are cut, which the
        // server reports as errors that say nothing about the test.
        logger.logLevel = .critical
        let router = Router()
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let storage = Storage()
        router.post("v1/traces") { request, _ in
            let body = try await request.body.collect(upTo: 64 << 20)
            let spans = try OTLPTraceDecoding.spans(fromExportRequest: Array(body.readableBytesView))
            storage.state.withLock {
                $0.exports += 1
                $0.spans += spans
            }
            // An empty ExportTraceServiceResponse: full success.
            return Response(
                status: .ok,
                headers: [.contentType: "application/x-protobuf"],
                body: ResponseBody(byteBuffer: ByteBuffer())
            )
        }
        router.post("v1/chat/completions") { request, _ in
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            storage.state.withLock { $0.upstreamHeaders.append(headers) }
            return Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: Self.chatAnswer))
            )
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger
        )
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            let collector = OTLPTestCollector(port: port, storage: storage)
            do {
                let result = try await body(collector)
                tasks.cancelAll()
                return result
            } catch {
                tasks.cancelAll()
                throw error
            }
        }
    }

    static let chatAnswer = #"""
        {"id":"chatcmpl-otlp","object":"chat.completion","created":1700000000,"model":"stub-model","choices":[{"index":0,"message":{"role":"assistant","content":"stub"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}
        """#
}
