import Foundation
import HTTPTypes
import Hummingbird
import KeelCore
import KeelOps
import KeelServer
import KeelTesting
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

@Suite("Alerts and webhooks")
struct AlertTests {
    /// A webhook receiver that keeps every body it is sent, by path.
    final class Receiver: Sendable {
        let received = Mutex<[(path: String, body: String)]>([])

        func run(onPort: @escaping @Sendable (Int) async -> Void) async throws {
            let router = Router()
            router.post("**") { request, _ -> Response in
                let body = try await request.body.collect(upTo: 1 << 20)
                self.received.withLock { $0.append((request.uri.path, String(buffer: body))) }
                return Response(status: .ok)
            }
            let app = Application(
                router: router,
                configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { channel in await onPort(channel.localAddress?.port ?? 0) }
            )
            try await app.runService()
        }

        /// Runs a receiver on a free loopback port for the length of `body`.
        static func withRunning(_ body: @Sendable (Int, Receiver) async throws -> Void) async throws {
            let receiver = Receiver()
            let port = AsyncStream<Int>.makeStream()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    do {
                        try await receiver.run { port.continuation.yield($0) }
                    } catch {
                        port.continuation.finish()
                        throw error
                    }
                }
                var ports = port.stream.makeAsyncIterator()
                let receiverPort = try #require(await ports.next())
                try await body(receiverPort, receiver)
                tasks.cancelAll()
            }
        }

        /// The alert notifications received at `path` (incident notifications, which go to the
        /// same receivers unless `incidents.webhooks` says otherwise, are left out).
        func bodies(_ path: String) -> [String] {
            self.received.withLock { $0.filter { $0.path == path }.map(\.body) }.filter {
                !$0.contains(#""type":"incident""#) && !$0.contains("INCIDENT ")
            }
        }

        /// Everything received at `path`, incident notifications included.
        func allBodies(_ path: String) -> [String] {
            self.received.withLock { $0.filter { $0.path == path }.map(\.body) }
        }
    }

    @Test func anErrorRateRuleFiresOnceNotifiesBothWebhookFormatsAndResolves() async throws {
        try await Receiver.withRunning { receiverPort, receiver in
            let yaml = """
                providers: [ { name: sim, kind: simulator } ]
                models: [ { name: keel-sim-chat, routes: [ { provider: sim, model: keel-sim-chat } ], max_retries: 0 } ]
                monitoring:
                  alert_interval_ms: 100
                  webhooks:
                    - { url: "http://127.0.0.1:\(receiverPort)/hooks/json" }
                    - { url: "http://127.0.0.1:\(receiverPort)/hooks/slack", format: slack }
                  alerts:
                    - { name: chat-errors, metric: error_rate, window: 1m, above: 0.5, severity: page, group_by: model }
                """
            let parsed = try KeelConfiguration.parse(yaml: yaml, environment: [:])
            try await TestKeel.run(configure: { configuration in
                configuration.monitoring = parsed.monitoring
                configuration.recorder.flushIntervalMs = 5
            }) { keel in
                for _ in 0..<3 {
                    #expect(
                        try await keel.post("/v1/chat/completions", json: chatBody("[sim status=500]")).status == 502
                    )
                }
                // Fires within a few evaluation intervals: exactly one notification per webhook.
                let deadline = ContinuousClock.now + .seconds(5)
                while receiver.bodies("/hooks/json").isEmpty && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                }
                try await Task.sleep(for: .milliseconds(400))
                let json = receiver.bodies("/hooks/json")
                #expect(json.count == 1, "deduplicated while it keeps firing")
                let firing = try #require(
                    json.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                )
                #expect(firing["status"] as? String == "firing")
                #expect(firing["rule"] as? String == "chat-errors")
                #expect(firing["severity"] as? String == "page")
                #expect((firing["labels"] as? [String: Any])?["model"] as? String == "keel-sim-chat")
                #expect((firing["value"] as? Double).map { $0 > 0.5 } == true)
                #expect(receiver.bodies("/hooks/slack").first?.contains(#""text":"#) == true)

                let listed = try await keel.send(.GET, "/admin/v1/alerts")
                #expect(listed.status == 200)
                #expect((listed.json?["firing"] as? [[String: Any]])?.first?["rule"] as? String == "chat-errors")

                // Successes bring the rate under the threshold: one resolved notification.
                for index in 0..<6 {
                    #expect(try await keel.post("/v1/chat/completions", json: chatBody("fine \(index)")).status == 200)
                }
                let resolvedBy = ContinuousClock.now + .seconds(5)
                while receiver.bodies("/hooks/json").count < 2 && ContinuousClock.now < resolvedBy {
                    try await Task.sleep(for: .milliseconds(50))
                }
                let resolved = receiver.bodies("/hooks/json").last.flatMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }
                #expect(resolved?["status"] as? String == "resolved")
                let after = try await keel.send(.GET, "/admin/v1/alerts")
                #expect((after.json?["firing"] as? [Any])?.isEmpty == true)
                #expect((after.json?["recent"] as? [Any])?.count == 2)
            }
        }
    }

    @Test func alertAndSLOKeysAreValidatedWithTheirPaths() throws {
        let yaml = """
            monitoring:
              webhooks: [ { url: "ftp://x", format: teams } ]
              slos: [ { name: a, target: 1.5 }, { name: b, target: 0.99, latency: ttft } ]
              alerts: [ { name: c, metric: colour, above: 1 }, { name: d, metric: latency_p99, window: soon, above: 2 }, { name: e, metric: error_rate } ]
            """
        do {
            _ = try KeelConfiguration.parse(yaml: yaml, environment: [:])
            Issue.record("expected a ConfigurationError")
        } catch let error as ConfigurationError {
            let keys = Set(error.issues.map(\.key))
            #expect(
                keys.isSuperset(of: [
                    "monitoring.webhooks[0].url", "monitoring.webhooks[0].format", "monitoring.slos[0].target",
                    "monitoring.slos[1].threshold_ms", "monitoring.alerts[0].metric", "monitoring.alerts[1].window",
                    "monitoring.alerts[2]",
                ]),
                "\(keys)"
            )
        }
        let good = try KeelConfiguration.parse(
            yaml: """
                monitoring:
                  slos: [ { name: availability, target: 0.999 }, { name: fast, target: 0.99, latency: ttft, threshold_ms: 1500, model: m } ]
                  alerts:
                    - { name: slow, metric: ttft_p95, window: 5m, above: 2.5, for: 2m, severity: ticket }
                    - { name: jump, metric: error_rate, window: 10m, change: true, above: 0.05 }
                """,
            environment: [:]
        )
        #expect(
            good.monitoring.rules.map(\.name) == [
                "availability-burn-rate-page", "availability-burn-rate-ticket", "fast-burn-rate-page",
                "fast-burn-rate-ticket", "slow", "jump",
            ]
        )
        #expect(good.monitoring.rules.first { $0.name == "slow" }?.pendingFor == .seconds(120))
        #expect(
            good.monitoring.rules.last?.condition == .rateOfChange(.errorRate(nil), window: .seconds(600), .above, 0.05)
        )
    }

    @Test func aCallWaitingForAReviewerIsAnnouncedToTheWebhooksAndResolvedWithItsDecision() async throws {
        try await Receiver.withRunning { receiverPort, receiver in
            let parsed = try KeelConfiguration.parse(
                yaml: """
                    monitoring:
                      webhooks:
                        - { url: "http://127.0.0.1:\(receiverPort)/hooks/json" }
                        - { url: "http://127.0.0.1:\(receiverPort)/hooks/slack", format: slack }
                    """,
                environment: [:]
            )
            try await TestKeel.run(configure: { $0.monitoring = parsed.monitoring }) { keel in
                _ = try await keel.post("/v1/tasks", json: #"{"agent":"writer","id":"newsletter"}"#)
                let asked = try await keel.post(
                    "/v1/tasks/newsletter/escalations",
                    json: #"{"question":"Send the newsletter to 40,000 people?"}"#,
                    headers: [("x-keel-agent", "writer")]
                )
                let id = try #require(asked.json?["id"] as? String, "\(asked.body)")
                func notifications() -> [[String: Any]] {
                    receiver.bodies("/hooks/json").compactMap {
                        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                    }
                }
                let deadline = ContinuousClock.now + .seconds(5)
                while notifications().isEmpty && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(25))
                }
                let firing = try #require(notifications().first)
                #expect(firing["rule"] as? String == "approval_requested" && firing["status"] as? String == "firing")
                #expect((firing["labels"] as? [String: Any])?["escalation"] as? String == id)
                #expect((firing["summary"] as? String)?.contains("Send the newsletter") == true, "\(firing)")
                #expect(receiver.bodies("/hooks/slack").first?.contains("approval_requested") == true)

                _ = try await keel.post("/admin/v1/escalations/\(id)/deny", json: #"{"reason":"not on a Sunday"}"#)
                while notifications().count < 2 && ContinuousClock.now < deadline + .seconds(5) {
                    try await Task.sleep(for: .milliseconds(25))
                }
                let resolved = try #require(notifications().last)
                #expect(resolved["status"] as? String == "resolved")
                #expect((resolved["summary"] as? String)?.contains("is denied") == true, "\(resolved)")
                let alerts = try await keel.send(.GET, "/admin/v1/alerts")
                #expect(
                    (alerts.json?["firing"] as? [[String: Any]])?.isEmpty == true,
                    "resolved, no longer firing: \(alerts.body)"
                )
            }
        }
    }
}
