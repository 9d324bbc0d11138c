import Foundation
import KeelCore
import KeelServer
import KeelSimulator
import KeelTesting
import NIOHTTP1
import Testing

/// A stream cut after content reached the client, before its upstream reported usage: the
/// provider bills what it generated, so the record carries the gateway's estimate (marked
/// `usage_estimated`), cost reports show it apart, and budgets charge it.
@Suite("Usage of streams cut before their usage came")
struct CutStreamUsageTests {
    // Regression: issue #11 (recorded with 0 tokens and $0).
    @Test(arguments: ["keel-sim-chat", "via-anthropic"])
    func aCutStreamIsRecordedWithItsEstimatedUsageAndCost(model: String) async throws {
        try await TestKeel.run { keel in
            let (key, budget) = try await BudgetEnforcementTests.teamWithBudget(keel, limitUSD: "10")
            let response = try await keel.post(
                "/v1/chat/completions",
                json: chatBody(
                    "[sim fault=truncate after_tokens=6 tokens=20] tell me about tides",
                    model: model,
                    extra: #""stream":true"#
                ),
                key: key
            )
            #expect(response.status == 200)
            let answer = try DialectAnswer.openAI(response)
            #expect(!answer.terminated && answer.errorEvent?["code"] as? String == "stream_interrupted")
            #expect(!answer.text.isEmpty)
            try await keel.waitForRecords(1)

            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .interrupted)
            #expect(record.usageEstimated)
            #expect(record.usage.inputTokens > 0, "estimated from the request (or reported at the start)")
            #expect(record.usage.outputTokens >= 6, "at least the content the client received")
            #expect(record.cost > .zero)
            #expect(
                record.cost
                    == PriceCatalog.builtIn().cost(of: record.usage, model: record.deployment ?? "keel-sim-chat")
            )

            let logged = try await keel.send(.GET, "/admin/v1/requests?limit=1")
            let row = try #require((logged.json?["data"] as? [[String: Any]])?.first, "\(logged.body)")
            #expect(row["usage_estimated"] as? Bool == true)

            let report = try await keel.send(.GET, "/admin/v1/costs?group_by=team&interval=none")
            let total = try #require(report.json?["total"] as? [String: Any], "\(report.body)")
            #expect(total["cost_nanos"] as? Int64 == record.cost.rawValue)
            #expect(total["estimated_cost_nanos"] as? Int64 == record.cost.rawValue, "estimated spend is shown apart")

            // The budget's ledger is written by its service in the background: wait for it.
            var spent: String?
            for _ in 0..<100 {
                let status = try await keel.send(.GET, "/admin/v1/budgets/\(budget)").json?["status"] as? [String: Any]
                spent = status?["spent_usd"] as? String
                if spent == record.cost.decimalString { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(spent == record.cost.decimalString, "the budget charges the estimate")
        }
    }

    @Test func aCompleteStreamKeepsTheUsageItsUpstreamReported() async throws {
        try await TestKeel.run { keel in
            let response = try await keel.post(
                "/v1/chat/completions",
                json: chatBody("[sim tokens=7] hi", extra: #""stream":true"#)
            )
            #expect(try DialectAnswer.openAI(response).terminated)
            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .success && !record.usageEstimated && record.usage.outputTokens == 7)
        }
    }
}
