import Foundation
import KeelTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `keel serve` with tracing on, as a real process: it runs Swift concurrency on NIO's event
/// loops, which the in-process tests do not.
@Suite("keel serve with tracing", .serialized)
struct TracingProcessTests {
    // Regression: swift-otel's exporter traps (AsyncHTTPClient `syncShutdown()` on an event loop)
    // when it is released on one of NIO's threads; `keel serve` crashed after SIGTERM.
    @Test func aTracedGatewayStopsCleanlyOnSIGTERM() async throws {
        let directory = try KeelProcessTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try GatewayProcess.writeConfig(in: directory)
        // Nothing listens on port 9 (discard): exports fail, which is logged and counted, nothing more.
        let started = try await GatewayProcess.start(
            config: config,
            log: directory.appendingPathComponent("keel.log"),
            environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "OTEL_BSP_EXPORT_TIMEOUT": "200"]
        )
        let server = started.server
        defer { server.signal(SIGKILL) }

        let request =
            "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:\(started.port)/v1/chat/completions -H 'Authorization: Bearer \(GatewayProcess.adminKey)' -d '{\"model\":\"keel-sim-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"traced\"}]}'"
        var status = ""
        for _ in 0..<300 where status != "200" {
            status = (try? await KeelProcessTests.shell(request)) ?? ""
            if status != "200" { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(status == "200")
        let metrics = try await KeelProcessTests.shell("curl -s http://127.0.0.1:\(started.port)/metrics")
        #expect(metrics.contains("keel_tracing_spans_dropped_total"), "tracing is on")

        server.signal(SIGTERM)
        #expect(await server.wait() == .exited(0))
    }
}
