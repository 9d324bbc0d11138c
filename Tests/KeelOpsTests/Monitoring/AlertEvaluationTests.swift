import KeelCore
import KeelOps
import Testing

@Suite("Alert evaluation")
struct AlertEvaluationTests {
    typealias F = MonitoringFixtures

    static func notifications(_ actions: [AlertAction]) -> [AlertNotification] {
        actions.map { action in
            switch action {
            case .notify(let notification): notification
            }
        }
    }

    @Test func aThresholdRuleWaitsForItsPendingDurationAndNotifiesEachTransitionOnce() throws {
        let clock = ManualMonitoringClock(F.start)
        let rule = AlertRule(
            name: "high-error-rate",
            severity: .page,
            condition: .threshold(.errorRate(nil), window: .seconds(60), .above, 0.1),
            groupBy: .deployment,
            pendingFor: .seconds(30)
        )
        let engine = try MonitoringEngine(configuration: .init(rules: [rule]), clock: clock)
        var fired: [(Int64, AlertNotification)] = []
        // 10 s steps: half the requests of deployment "east" fail for 60 s; "west" stays healthy.
        for step in 0..<30 {
            let now = F.start + Int64(step) * 10_000_000
            clock.set(now)
            let failing = step < 6
            engine.ingest(F.record(endingAt: now, deployment: "east", errorClass: failing ? "upstream_unavailable" : nil))
            engine.ingest(F.record(endingAt: now, deployment: "east"))
            engine.ingest(F.record(endingAt: now, deployment: "west"))
            for notification in Self.notifications(engine.evaluateAlerts(now: now)) {
                fired.append((Int64(step), notification))
            }
        }
        #expect(fired.count == 2)
        // Holds from step 0; pending for 30 s; fires at step 3.
        #expect(fired.first?.0 == 3)
        #expect(fired.first?.1.status == .firing)
        #expect(fired.first?.1.labels == ["provider": "openai", "model": "gpt-test", "deployment": "east"])
        #expect(fired.first?.1.value == 0.5)
        // At step 10 the 1m window (steps 5–10) holds one failure in 12 requests: 8.3 %.
        #expect(fired.last?.0 == 10)
        #expect(fired.last?.1.status == .resolved)
        #expect(fired.last?.1.startsAtMicros == F.start + 30_000_000)
        #expect(fired.last?.1.endsAtMicros == F.start + 100_000_000)
        #expect(fired.first?.1.fingerprint == fired.last?.1.fingerprint)
    }

    @Test func aRateOfChangeRuleComparesAWindowWithTheOneBefore() throws {
        let clock = ManualMonitoringClock(F.start)
        let rule = AlertRule(
            name: "latency-jump",
            severity: .ticket,
            condition: .rateOfChange(.latencySeconds(.total, percentile: 50), window: .seconds(60), .above, 0.5)
        )
        let engine = try MonitoringEngine(configuration: .init(rules: [rule]), clock: clock)
        var firedAt: [Int] = []
        for second in stride(from: 0, to: 240, by: 5) {
            let now = F.start + Int64(second) * 1_000_000
            clock.set(now)
            // 200 ms for two minutes, then 1 s.
            engine.ingest(F.record(endingAt: now, totalMicros: second < 120 ? 200_000 : 1_000_000))
            if !Self.notifications(engine.evaluateAlerts(now: now)).filter({ $0.status == .firing }).isEmpty {
                firedAt.append(second)
            }
        }
        // The current minute's median turns slow once most of its records are (at 150 s: 7 of
        // 11, from the slot at 100 s), while the minute before is all fast.
        #expect(firedAt == [150])
    }

    @Test func rulesWhoseWindowsMonitoringDoesNotKeepAreRefused() {
        let tooLong = AlertRule(
            name: "p99-day",
            severity: .info,
            condition: .threshold(.latencySeconds(.total, percentile: 99), window: .seconds(86_400), .above, 1)
        )
        #expect(throws: AlertRuleError.self) { try MonitoringEngine(configuration: .init(rules: [tooLong])) }
        let badTarget = AlertRule.burnRatePage(.availability("api", target: 1))
        #expect(throws: AlertRuleError.self) { try badTarget.validate() }
        #expect(throws: Never.self) { try AlertRule.burnRateTicket(.availability("api", target: 0.999)).validate() }
    }

    @Test func webhookBodiesCarryTheAlert() throws {
        let notification = AlertNotification(
            rule: "api-burn-rate-page",
            severity: .page,
            status: .firing,
            labels: ["model": "gpt-test"],
            value: 20,
            threshold: 14.4,
            details: ["short_window_burn_rate": 21.5],
            summary: "Error budget burning <fast> & hot",
            startsAtMicros: 1_700_000_000_500_000
        )
        let generic = try JSONValue(parsing: String(decoding: notification.genericWebhookBody(), as: UTF8.self))
        #expect(generic["status"]?.string == "firing")
        #expect(generic["rule"]?.string == "api-burn-rate-page")
        #expect(generic["severity"]?.string == "page")
        #expect(generic["labels"]?["model"]?.string == "gpt-test")
        #expect(generic["value"]?.double == 20)
        #expect(generic["threshold"]?.double == 14.4)
        #expect(generic["details"]?["short_window_burn_rate"]?.double == 21.5)
        #expect(generic["starts_at"]?.string == "2023-11-14T22:13:20.500000Z")
        #expect(generic["ends_at"]?.isNull == true)
        #expect(generic["fingerprint"]?.string == "api-burn-rate-page,model=gpt-test")

        let slack = try JSONValue(parsing: String(decoding: notification.slackWebhookBody(), as: UTF8.self))
        #expect(slack["text"]?.string == "FIRING [page] api-burn-rate-page: Error budget burning &lt;fast&gt; &amp; hot")
        let blocks = try #require(slack["blocks"]?.array)
        #expect(blocks.first?["type"]?.string == "header")
        #expect(blocks.last?["text"]?["type"]?.string == "mrkdwn")
        let fields = try #require(blocks.last?["fields"]?.array).compactMap { $0["text"]?.string }
        #expect(fields.contains("*Severity*\npage"))
        #expect(fields.contains("*model*\ngpt-test"))
    }
}
