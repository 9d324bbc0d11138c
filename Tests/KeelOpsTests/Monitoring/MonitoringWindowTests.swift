import Foundation
import KeelCore
import KeelOps
import Testing

@Suite("Monitoring windows and summaries")
struct MonitoringWindowTests {
    typealias F = MonitoringFixtures

    @Test func percentilesOfTenThousandRecordsAreWithinHDRPrecision() throws {
        let clock = ManualMonitoringClock(F.start)
        let engine = try MonitoringEngine(clock: clock)
        var generator = SeededGenerator(seed: 42)
        var totals: [Int64] = []
        var ttfts: [Int64] = []
        for index in 0..<10_000 {
            // A long-tailed latency: mostly 100–600 ms, one in twenty 1–9 s.
            let tail = Int64.random(in: 0..<20, using: &generator) == 0
            let total = tail ? Int64.random(in: 1_000_000...9_000_000, using: &generator) : Int64.random(in: 100_000...600_000, using: &generator)
            let ttft = Int64.random(in: 20_000...(total / 2), using: &generator)
            totals.append(total)
            ttfts.append(ttft)
            engine.ingest(F.record(endingAt: F.start + Int64(index) * 5_000, totalMicros: total, ttftMicros: ttft, outputTokens: 100))
        }
        clock.set(F.start + 50_000_000)
        let summary = engine.summary(by: .model, window: .oneMinute)
        let group = try #require(summary.groups.first)
        #expect(summary.groups.count == 1)
        #expect(group.requests == 10_000)
        totals.sort()
        ttfts.sort()
        let latency = try #require(group.latencyMillis)
        let ttft = try #require(group.timeToFirstTokenMillis)
        #expect(latency.count == 10_000)
        for (reported, sorted) in [(latency, totals), (ttft, ttfts)] {
            for (value, percentile) in [(reported.p50, 50.0), (reported.p95, 95.0), (reported.p99, 99.0)] {
                let exact = Double(exactPercentile(sorted, percentile)) / 1_000
                // Two significant digits: HDR keeps every value within 1 % of itself.
                #expect(abs(value - exact) <= exact * 0.01, "p\(percentile): \(value) ms vs exact \(exact) ms")
            }
        }
        // 10,000 requests over the 50 s the engine has run.
        #expect(abs(group.requestsPerMinute - 12_000) < 1)
    }

    @Test(arguments: MetricsWindow.allCases)
    func aRecordLeavesItsWindowExactlyAtTheEdge(window: MetricsWindow) throws {
        let clock = ManualMonitoringClock(F.start)
        let engine = try MonitoringEngine(clock: clock)
        engine.ingest(F.record(endingAt: F.start))
        let length = Int64(window.duration.components.seconds) * 1_000_000
        clock.set(F.start + length - 1)
        #expect(engine.summary(by: .deployment, window: window).groups.first?.requests == 1)
        clock.set(F.start + length)
        #expect(engine.summary(by: .deployment, window: window).groups.isEmpty)
    }

    @Test func aWindowHoldsOnlyItsOwnSlots() throws {
        let clock = ManualMonitoringClock(F.start)
        let engine = try MonitoringEngine(clock: clock)
        // One record every 10 s for 10 minutes, each one slower than the one before.
        for index in 0..<60 {
            let end = F.start + Int64(index) * 10_000_000
            clock.set(end)
            engine.ingest(F.record(endingAt: end, totalMicros: Int64(index + 1) * 10_000))
        }
        let oneMinute = try #require(engine.summary(by: .model, window: .oneMinute).groups.first)
        let fiveMinutes = try #require(engine.summary(by: .model, window: .fiveMinutes).groups.first)
        let oneHour = try #require(engine.summary(by: .model, window: .oneHour).groups.first)
        #expect(oneMinute.requests == 6)
        #expect(fiveMinutes.requests == 30)
        #expect(oneHour.requests == 60)
        // The 1m window's fastest record is the 55th (550 ms); the 5m window's the 31st (310 ms).
        #expect(try #require(oneMinute.latencyMillis).p50 >= 570 && oneMinute.latencyMillis!.p50 <= 590)
        #expect(try #require(fiveMinutes.latencyMillis).p50 >= 450 && fiveMinutes.latencyMillis!.p50 <= 460)
    }

    @Test func errorsAreCountedByClass() throws {
        let clock = ManualMonitoringClock(F.start)
        let engine = try MonitoringEngine(clock: clock)
        let classes: [(String?, Int?, RequestRecord.Outcome?)] = [
            (nil, nil, nil), (nil, nil, nil), (nil, nil, nil), (nil, nil, nil),
            ("upstream_rate_limited", 429, nil),
            ("upstream_timeout", 504, nil),
            ("upstream_unavailable", 502, nil),
            ("stream_interrupted", 200, .interrupted),
            ("content_filter", 400, nil),
            ("invalid_request", 400, nil),
        ]
        for (index, entry) in classes.enumerated() {
            engine.ingest(F.record(endingAt: F.start + Int64(index), errorClass: entry.0, status: entry.1, outcome: entry.2))
        }
        clock.set(F.start + 1_000_000)
        let group = try #require(engine.summary(by: .provider, window: .oneMinute).groups.first)
        #expect(group.requests == 10)
        #expect(group.errors == 6)
        #expect(group.errorRate == 0.6)
        #expect(group.errorRateByClass == ["rate_limit": 0.1, "timeout": 0.1, "upstream": 0.2, "content_filter": 0.1, "client": 0.1])
    }

    @Test(arguments: [
        ("upstream_rate_limited", 429, RequestRecord.Outcome.error, MonitoringErrorClass.rateLimit),
        ("overloaded", 503, .error, .rateLimit),
        ("upstream_timeout", 504, .error, .timeout),
        ("upstream_bad_response", 502, .error, .upstream),
        ("internal_error", 500, .error, .upstream),
        ("model_not_found", 404, .error, .client),
        ("upstream_rejected", 400, .error, .client),
        ("client_disconnected", 499, .cancelled, .client),
        ("guardrail_blocked", 400, .error, .contentFilter),
        ("something_new", 429, .error, .rateLimit),
        ("something_new", 408, .error, .timeout),
        ("something_new", 418, .error, .client),
        ("something_new", 503, .error, .upstream),
    ])
    func errorClassComesFromTheRecordsLabelThenItsStatus(label: String, status: Int, outcome: RequestRecord.Outcome, expected: MonitoringErrorClass) {
        let record = MonitoringFixtures.record(endingAt: 0, errorClass: label, status: status, outcome: outcome)
        #expect(MonitoringErrorClass.classify(record) == expected)
    }

    @Test func successIsNeverAnErrorAndBareFailuresUseTheirOutcome() {
        #expect(MonitoringErrorClass.classify(F.record(endingAt: 0)) == nil)
        #expect(MonitoringErrorClass.classify(F.record(endingAt: 0, status: 200, outcome: .interrupted)) == .upstream)
        #expect(MonitoringErrorClass.classify(F.record(endingAt: 0, status: 499, outcome: .cancelled)) == .client)
    }

    @Test func seriesPastTheCapAreCountedAsOther() throws {
        let clock = ManualMonitoringClock(F.start)
        let engine = try MonitoringEngine(configuration: .init(maxDeploymentSeries: 3, maxTeamSeries: 2), clock: clock)
        for index in 0..<5 {
            engine.ingest(F.record(endingAt: F.start, deployment: "d\(index)", team: "t\(index)"))
        }
        // An admitted series keeps its own place after the cap is reached.
        engine.ingest(F.record(endingAt: F.start, deployment: "d0", team: "t0"))
        let byDeployment = engine.summary(by: .deployment, window: .oneMinute).groups
        #expect(byDeployment.map(\.deployment) == ["d0", "d1", "d2", "other"])
        #expect(byDeployment.map(\.requests) == [2, 1, 1, 2])
        let byTeam = engine.summary(by: .team, window: .oneMinute).groups
        #expect(byTeam.map(\.team) == ["other", "t0", "t1"])
        #expect(byTeam.map(\.requests) == [3, 2, 1])
    }

    @Test func groupingByModelMergesDeploymentsAndTeamsAreSeparate() throws {
        let clock = ManualMonitoringClock(F.start)
        let engine = try MonitoringEngine(clock: clock)
        engine.ingest(F.record(endingAt: F.start, deployment: "east", team: "a", outputTokens: 10, inputTokens: 30, cost: 1_000))
        engine.ingest(F.record(endingAt: F.start, deployment: "west", team: "b", outputTokens: 10, inputTokens: 30, cost: 3_001))
        engine.ingest(F.record(endingAt: F.start, model: "other-model", deployment: "west", team: nil))
        engine.ingest(F.record(endingAt: F.start, team: "a"), agentTaskSucceeded: true)
        engine.ingest(F.record(endingAt: F.start, team: "a"), agentTaskSucceeded: false)
        engine.ingest(F.record(endingAt: F.start, team: "a"), agentTaskSucceeded: true)
        clock.set(F.start + 30_000_000)
        let byModel = engine.summary(by: .model, window: .fiveMinutes)
        #expect(byModel.groups.map(\.model) == ["gpt-test", "other-model"])
        let model = byModel.groups[0]
        #expect(model.requests == 5)
        #expect(model.costNanos == 4_001)
        #expect(model.costPerRequestNanos == 800)
        // 80 tokens in the 30 s the engine has run.
        #expect(model.tokensPerMinute == 160)
        #expect(model.agentTaskSuccessRate == 2.0 / 3.0)
        #expect(byModel.groups[1].agentTaskSuccessRate == nil)
        let byTeam = engine.summary(by: .team, window: .fiveMinutes)
        #expect(byTeam.groups.map(\.team) == ["a", "b", "unassigned"])
        #expect(byTeam.groups.map(\.requests) == [4, 1, 1])
    }

    @Test func summaryEncodesAsSnakeCaseJSON() throws {
        let clock = ManualMonitoringClock(F.start)
        let engine = try MonitoringEngine(clock: clock)
        engine.ingest(F.record(endingAt: F.start, ttftMicros: 50_000, outputTokens: 11))
        clock.set(F.start + 10_000_000)
        let summary = engine.summary(by: .deployment, window: .fiveMinutes)
        let data = try JSONEncoder().encode(summary)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["window"] as? String == "5m")
        #expect(object["by"] as? String == "deployment")
        let group = try #require((object["groups"] as? [[String: Any]])?.first)
        #expect(group["deployment"] as? String == "gpt-test-east")
        let ttft = try #require((group["ttft_ms"] as? [String: Any])?["p50"] as? Double)
        #expect(abs(ttft - 50) <= 0.5)
        // 10 tokens after the first in 150 ms.
        let perToken = try #require((group["time_per_output_token_ms"] as? [String: Any])?["p99"] as? Double)
        #expect(abs(perToken - 15) <= 0.15)
        #expect((group["error_rate_by_class"] as? [String: Double])?["timeout"] == 0)
        #expect(try JSONDecoder().decode(MetricsSummary.self, from: data) == summary)
    }
}
