import Foundation
import KeelCore
import KeelServer
import KeelStorage
import KeelStorageSQLite
import KeelTesting
import Logging
import NIOHTTP1
import Testing

/// Budget alerts over loopback: the soft limit and the spend forecast notify the monitoring
/// webhooks once per budget period, and the admin API shows the forecast.
@Suite("Budget alerts and forecasts")
struct BudgetAlertTests {
    static func withReceiver(_ body: @Sendable (Int, AlertTests.Receiver) async throws -> Void) async throws {
        try await AlertTests.Receiver.withRunning(body)
    }

    static func configure(_ receiverPort: Int) -> @Sendable (inout KeelConfiguration) -> Void {
        { configuration in
            configuration.monitoring.webhooks = [.init(url: "http://127.0.0.1:\(receiverPort)/hooks/json")]
            configuration.budgets.flushInterval = .milliseconds(50)
            configuration.budgets.leaseTTL = .seconds(5)
            configuration.budgets.alertInterval = .milliseconds(100)
            configuration.recorder.flushIntervalMs = 5
        }
    }

    static func waitFor(_ receiver: AlertTests.Receiver, rule: String, seconds: Int = 10) async throws -> [String: Any]?
    {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            let bodies = receiver.bodies("/hooks/json").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            if let match = bodies.first(where: { $0["rule"] as? String == rule }) { return match }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    @Test func crossingTheSoftLimitNotifiesOncePerPeriod() async throws {
        try await Self.withReceiver { receiverPort, receiver in
            try await TestKeel.run(configure: Self.configure(receiverPort)) { keel in
                let (key, budget) = try await BudgetEnforcementTests.teamWithBudget(
                    keel,
                    limitUSD: "10",
                    team: "search"
                )
                let patched = try await keel.send(
                    .PATCH,
                    "/admin/v1/budgets/\(budget)",
                    body: #"{"soft_limit_usd":"0.00005"}"#
                )
                #expect(patched.status == 200, "\(patched.body)")
                for index in 0..<3 {
                    #expect(
                        try await keel.post("/v1/chat/completions", json: chatBody("hello \(index)"), key: key).status
                            == 200
                    )
                }
                let firing = try #require(try await Self.waitFor(receiver, rule: "budget_soft_limit"))
                #expect(firing["status"] as? String == "firing")
                let labels = firing["labels"] as? [String: Any]
                #expect(labels?["budget"] as? String == budget)
                #expect(labels?["scope"] as? String == "team:search")
                // Still over the soft limit: no second notification.
                try await Task.sleep(for: .milliseconds(600))
                #expect(receiver.bodies("/hooks/json").filter { $0.contains("budget_soft_limit") }.count == 1)

                let status = try await keel.send(.GET, "/admin/v1/budgets/\(budget)")
                let view = try #require(status.json?["status"] as? [String: Any])
                #expect(view["soft_limit_reached"] as? Bool == true)
                #expect(view["exhausted"] as? Bool == false)
                #expect((view["spent_usd"] as? String).flatMap(Double.init).map { $0 > 0 } == true)
            }
        }
    }

    @Test func aForecastThatRunsOutBeforeThePeriodEndsNotifiesAndIsShown() async throws {
        try await Self.withReceiver { receiverPort, receiver in
            try await TestKeel.run(configure: Self.configure(receiverPort)) { keel in
                let (_, _) = try await BudgetEnforcementTests.teamWithBudget(keel, limitUSD: "1000", team: "search")
                // 28 days of history: team `ads` spent about $10 a day.
                let backend = try await SQLiteBackend.open(path: keel.databasePath, logger: Logger(label: "test"))
                let now = Int64(Date().timeIntervalSince1970)
                var history: [RequestRecord] = []
                for day in 1...28 {
                    var record = RequestRecord(
                        id: RequestID("hist-\(day)"),
                        startedAt: (now - Int64(day) * 86_400) * 1_000_000,
                        operation: "chat.completions",
                        orgID: "acme",
                        teamID: "ads",
                        requestedModel: "keel-sim-chat",
                        model: "keel-sim-chat",
                        provider: "sim",
                        deployment: "keel-sim-chat",
                        status: 200,
                        outcome: .success,
                        totalMicros: 1_000
                    )
                    record.cost = USDNanos(10_000_000_000 + Int64(day % 7) * 500_000_000)
                    history.append(record)
                }
                try await backend.stores.requests.append(history)
                try backend.close()
                #expect(
                    try await keel.post("/admin/v1/teams", json: #"{"id":"ads","org":"acme","name":"ads"}"#).status
                        == 201
                )
                // A daily budget of half what a team that spends about $10 a day spends in the rest
                // of today (UTC, the budget's calendar) runs out today, whatever the hour.
                let secondsLeft = 86_400 - Double(now % 86_400)
                let limit = String(format: "%.9f", max(0.000_001, 10 * secondsLeft / 86_400 / 2))
                let created = try await keel.post(
                    "/admin/v1/budgets",
                    json:
                        #"{"id":"ads-daily","name":"ads daily","scope":"team","scope_id":"ads","period":"daily","limit_usd":"\#(limit)"}"#
                )
                #expect(created.status == 201, "\(created.body)")
                let firing = try #require(try await Self.waitFor(receiver, rule: "budget_projected_exhaustion"))
                #expect((firing["labels"] as? [String: Any])?["budget"] as? String == "ads-daily")
                let shown = try await keel.send(.GET, "/admin/v1/budgets/ads-daily")
                let forecast = try #require((shown.json?["status"] as? [String: Any])?["forecast"] as? [String: Any])
                let projected = try #require((forecast["projected_spend_usd"] as? String).flatMap(Double.init))
                let lower = try #require((forecast["lower_usd"] as? String).flatMap(Double.init))
                let upper = try #require((forecast["upper_usd"] as? String).flatMap(Double.init))
                #expect(lower <= projected && projected <= upper)
                #expect(forecast["interval"] as? Double == 0.8)
                #expect(forecast["exhaustion_date"] is String)
                // The team budget with no history has no forecast, and nothing fires for it.
                #expect(receiver.bodies("/hooks/json").allSatisfy { !$0.contains("bud-search") })
            }
        }
    }
}
