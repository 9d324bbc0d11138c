import KeelCore
import KeelOps
import Testing

/// Multi-window, multi-burn-rate alerts against the SRE workbook (chapter 5, "Alerting on SLOs"):
/// with a 99.9 % SLO, an error rate `e` is detected by a rule of factor `f` over a long window
/// `W` after `f × 0.001 / e × W`.
@Suite("Burn-rate alerts")
struct BurnRateAlertTests {
    typealias F = MonitoringFixtures

    static let objective = ServiceLevelObjective.availability("api", target: 0.999)

    /// 50 requests a minute, `errorsPerMinute(minute)` of them failing; evaluates alerts at the
    /// end of every minute and returns the notifications by minute.
    static func run(
        minutes: Int,
        from firstMinute: Int = 0,
        engine: MonitoringEngine,
        clock: ManualMonitoringClock,
        errorsPerMinute: (Int) -> Int
    ) -> [(minute: Int, notification: AlertNotification)] {
        var result: [(Int, AlertNotification)] = []
        for minute in firstMinute..<(firstMinute + minutes) {
            let errors = errorsPerMinute(minute)
            for request in 0..<50 {
                let end = F.start + Int64(minute) * 60_000_000 + Int64(request) * 1_200_000
                clock.set(end)
                engine.ingest(F.record(endingAt: end, errorClass: request < errors ? "upstream_unavailable" : nil))
            }
            let endOfMinute = F.start + Int64(minute + 1) * 60_000_000 - 1
            clock.set(endOfMinute)
            for action in engine.evaluateAlerts(now: endOfMinute) {
                if case .notify(let notification) = action { result.append((minute, notification)) }
            }
        }
        return result
    }

    static func makeEngine() throws -> (MonitoringEngine, ManualMonitoringClock) {
        let clock = ManualMonitoringClock(F.start)
        let rules = [AlertRule.burnRatePage(objective), AlertRule.burnRateTicket(objective)]
        return (try MonitoringEngine(configuration: .init(rules: rules), clock: clock), clock)
    }

    @Test func twoPercentErrorsPageAfter43MinutesAndTicketAfter108() throws {
        let (engine, clock) = try Self.makeEngine()
        let baseline = Self.run(minutes: 360, engine: engine, clock: clock) { _ in 0 }
        #expect(baseline.isEmpty)
        // 1 error in 50: 2 %, a burn rate of 20.
        let incident = Self.run(minutes: 120, from: 360, engine: engine, clock: clock) { _ in 1 }
        let page = incident.filter { $0.notification.rule == "api-burn-rate-page" }
        let ticket = incident.filter { $0.notification.rule == "api-burn-rate-ticket" }
        // 14.4 × 0.001 / 0.02 × 60 min = 43.2 min: fires at the end of the 44th minute.
        #expect(page.map(\.minute) == [360 + 43])
        #expect(page.first?.notification.status == .firing)
        #expect(page.first?.notification.severity == .page)
        // 6 × 0.001 / 0.02 × 360 min = 108 min: fires at the end of the 109th minute.
        #expect(ticket.map(\.minute) == [360 + 108])
        #expect(ticket.first?.notification.severity == .ticket)
        let burn = try #require(page.first?.notification.details["short_window_burn_rate"])
        #expect(abs(burn - 20) < 0.001)

        let recovery = Self.run(minutes: 30, from: 480, engine: engine, clock: clock) { _ in 0 }
        // The 5m window drops below 14.4× once it holds 3 healthy minutes of 5 (12×)…
        #expect(recovery.filter { $0.notification.rule == "api-burn-rate-page" }.map(\.minute) == [480 + 1])
        // …the 30m window below 6× once it holds at most 9 error minutes of 30.
        #expect(recovery.filter { $0.notification.rule == "api-burn-rate-ticket" }.map(\.minute) == [480 + 20])
        #expect(recovery.allSatisfy { $0.notification.status == .resolved })
    }

    @Test func aBriefSpikePagesButNeverOpensATicket() throws {
        let (engine, clock) = try Self.makeEngine()
        _ = Self.run(minutes: 360, engine: engine, clock: clock) { _ in 0 }
        // 10 % errors for ten minutes: 1.7 % of the 1 h window, 0.28 % of the 6 h one.
        let spike = Self.run(minutes: 130, from: 360, engine: engine, clock: clock) { minute in minute < 370 ? 5 : 0 }
        #expect(spike.allSatisfy { $0.notification.rule == "api-burn-rate-page" })
        // 1 h window over 14.4× once it holds 45 errors in 3,000 requests (the 9th minute).
        #expect(spike.map(\.minute) == [368, 374])
        #expect(spike.map(\.notification.status) == [.firing, .resolved])
    }

    @Test func aLatencyObjectiveBurnsOnSlowRequests() throws {
        let clock = ManualMonitoringClock(F.start)
        let objective = ServiceLevelObjective.latency("fast", target: 0.99, threshold: .seconds(1))
        let engine = try MonitoringEngine(configuration: .init(rules: [.burnRatePage(objective)]), clock: clock)
        var fired: [Int] = []
        for minute in 0..<20 {
            for request in 0..<50 {
                let end = F.start + Int64(minute) * 60_000_000 + Int64(request) * 1_200_000
                clock.set(end)
                // From minute 10, one request in five takes 2 s: 20 % slow, a burn of 20.
                let slow = minute >= 10 && request % 5 == 0
                engine.ingest(F.record(endingAt: end, totalMicros: slow ? 2_000_000 : 300_000))
            }
            if !engine.evaluateAlerts(now: F.start + Int64(minute + 1) * 60_000_000 - 1).isEmpty {
                fired.append(minute)
            }
        }
        // The 5 m window burns at 20×, but the 1 h window (20 minutes of data) holds 100 slow
        // requests in 1,000: 10×. The rule stays silent.
        #expect(fired.isEmpty)
        for minute in 20..<40 {
            for request in 0..<50 {
                let end = F.start + Int64(minute) * 60_000_000 + Int64(request) * 1_200_000
                clock.set(end)
                engine.ingest(F.record(endingAt: end, totalMicros: request % 2 == 0 ? 2_000_000 : 300_000))
            }
            if !engine.evaluateAlerts(now: F.start + Int64(minute + 1) * 60_000_000 - 1).isEmpty {
                fired.append(minute)
            }
        }
        // Half the requests slow: after k minutes the hour holds (100 + 25k) / (50 (20 + k)),
        // over 14.4 % from k = 3, the end of minute 22.
        #expect(fired == [22])
    }
}
