import Foundation
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
        let port = try KeelProcessTests.freePort()
        let config = directory.appendingPathComponent("keel.yaml")
        try """
        server: { port: \(port) }
        storage: { url: "sqlite://\(directory.path)/keel.sqlite" }
        admin_key: \(GatewayProcess.adminKey)
        providers: [ { name: sim, kind: simulator } ]
        models:
          - { name: keel-sim-chat, routes: [ { provider: sim, model: keel-sim-chat } ] }
        """.write(to: config, atomically: true, encoding: .utf8)
        let server = Process()
        server.executableURL = try #require(KeelProcessTests.binary)
        server.arguments = ["serve", "--config", config.path]
        // Nothing listens there: exports fail, which is logged and counted, nothing more.
        let collectorPort = try KeelProcessTests.freePort()
        server.environment = ProcessInfo.processInfo.environment.merging([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(collectorPort)",
            "OTEL_BSP_EXPORT_TIMEOUT": "200",
        ]) { $1 }
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { server.terminate() } }

        let request =
            "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:\(port)/v1/chat/completions -H 'Authorization: Bearer \(GatewayProcess.adminKey)' -d '{\"model\":\"keel-sim-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"traced\"}]}'"
        var status = ""
        for _ in 0..<300 where status != "200" {
            status = (try? KeelProcessTests.shell(request)) ?? ""
            if status != "200" { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(status == "200")
        let metrics = try KeelProcessTests.shell("curl -s http://127.0.0.1:\(port)/metrics")
        #expect(metrics.contains("keel_tracing_spans_dropped_total"), "tracing is on")

        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()
        #expect(server.terminationReason == .exit)
        #expect(server.terminationStatus == 0)
    }
}
