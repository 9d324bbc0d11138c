import Foundation
import KeelCore
import KeelServer
import KeelSimulator
import KeelTesting
import NIOHTTP1
import Synchronization
import Testing

/// Budgets over loopback: refusals in each client dialect, streams stopped when they outgrow the
/// budget, and many concurrent streams against a budget that fits ten, on one instance and on
/// two instances sharing PostgreSQL.
@Suite("Budgets enforced on the data plane")
struct BudgetEnforcementTests {
    /// A team key (budgets on the team cover its requests) and a budget of `limit` on the team.
    static func teamWithBudget(_ keel: TestGateway, limitUSD: String, team: String = "search") async throws -> (key: String, budget: String) {
        #expect(try await keel.post("/admin/v1/orgs", json: #"{"id":"acme","name":"Acme"}"#).status == 201)
        #expect(try await keel.post("/admin/v1/teams", json: #"{"id":"\#(team)","org":"acme","name":"\#(team)"}"#).status == 201)
        let created = try await keel.post("/admin/v1/keys", json: #"{"team":"\#(team)"}"#)
        let key = try #require(created.json?["key"] as? String)
        let budget = try await keel.post(
            "/admin/v1/budgets",
            json: #"{"id":"bud-\#(team)","name":"\#(team) monthly","scope":"team","scope_id":"\#(team)","period":"monthly","limit_usd":"\#(limitUSD)"}"#
        )
        #expect(budget.status == 201, "\(budget.body)")
        return (key, "bud-\(team)")
    }

    /// The worst-case cost Keel reserves for `body` with `maxTokens` answer tokens on
    /// `keel-sim-chat` ($1 per million input tokens, $2 per million output): about four body
    /// bytes per input token.
    static func worstCase(body: String, maxTokens: Int) -> USDNanos {
        let prices = PriceCatalog.builtIn()
        return prices.cost(of: TokenUsage(inputTokens: Int64(body.utf8.count / 4), outputTokens: Int64(maxTokens)), model: "keel-sim-chat")
    }

    @Test func aRequestOverTheBudgetIsRefusedWith429InEachDialectAndRecorded() async throws {
        try await TestKeel.run { keel in
            // $0.00001 is less than any request's worst case.
            let (key, budget) = try await Self.teamWithBudget(keel, limitUSD: "0.00001")
            let openAI = try await keel.post("/v1/chat/completions", json: chatBody("hello", extra: #""max_tokens":50"#), key: key)
            #expect(openAI.status == 429)
            let error = try #require(openAI.json?["error"] as? [String: Any])
            #expect(error["code"] as? String == "budget_exceeded")
            #expect(error["type"] as? String == "insufficient_quota")
            #expect((error["message"] as? String)?.contains(budget) == true)

            let anthropic = try await keel.post(
                "/v1/messages",
                json: #"{"model":"keel-sim-chat","max_tokens":50,"messages":[{"role":"user","content":"hello"}]}"#,
                key: key,
                headers: [("anthropic-version", "2023-06-01")]
            )
            #expect(anthropic.status == 429)
            #expect(anthropic.json?["type"] as? String == "error")
            let anthropicError = try #require(anthropic.json?["error"] as? [String: Any])
            #expect(anthropicError["type"] as? String == "rate_limit_error")
            #expect((anthropicError["message"] as? String)?.contains(budget) == true)

            // Another team's key is not covered by this budget.
            let other = try await keel.post("/admin/v1/teams", json: #"{"id":"ads","org":"acme","name":"ads"}"#)
            #expect(other.status == 201)
            let adsKey = try #require(try await keel.post("/admin/v1/keys", json: #"{"team":"ads"}"#).json?["key"] as? String)
            #expect(try await keel.post("/v1/chat/completions", json: chatBody("hello"), key: adsKey).status == 200)

            await keel.shutdown()
            let refused = try await keel.records().filter { $0.teamID?.rawValue == "search" }
            #expect(refused.count == 2, "every admitted request leaves its record, refusals included")
            #expect(refused.allSatisfy { $0.status == 429 && $0.errorClass == "budget_exceeded" && $0.cost == .zero })
        }
    }

    @Test func spendIsChargedSoTheBudgetRunsOutAfterWhatItFits() async throws {
        let body = chatBody("count to three", extra: #""max_tokens":20"#)
        let worst = Self.worstCase(body: body, maxTokens: 20)
        try await TestKeel.run { keel in
            // Room for three worst cases: real answers cost less, so more than three pass, but
            // the spend recorded never exceeds the limit.
            let limit = USDNanos(worst.rawValue * 3)
            let (key, _) = try await Self.teamWithBudget(keel, limitUSD: limit.decimalString)
            var statuses: [Int] = []
            for _ in 0..<40 {
                statuses.append(try await keel.post("/v1/chat/completions", json: body, key: key).status)
            }
            #expect(statuses.first == 200)
            #expect(statuses.contains(429), "the budget runs out")
            let firstRefusal = try #require(statuses.firstIndex(of: 429))
            #expect(statuses[firstRefusal...].allSatisfy { $0 == 429 }, "once out, it stays out for the period")
            await keel.shutdown()
            let spent = try await keel.records().reduce(USDNanos.zero) { $0 + $1.cost }
            #expect(spent <= limit)
            #expect(spent + worst > limit, "refused only when the next worst case would not fit")
        }
    }

    /// Through the OpenAI upstream (pass-through) and an Anthropic upstream (translated).
    @Test(arguments: ["keel-sim-chat", "via-anthropic"])
    func aStreamThatOutgrowsItsBudgetIsStoppedWithAClearErrorEvent(model: String) async throws {
        try await TestKeel.run(configure: { configuration in
            // A request without max_tokens reserves 16 answer tokens; a stream past them asks for
            // 1,024 more ($0.002), which this budget cannot give.
            configuration.budgets.reserveOutputTokens = 16
        }) { keel in
            let (key, budget) = try await Self.teamWithBudget(keel, limitUSD: "0.0015")
            keel.simulator.script.enqueue(try SimulatorDirectives(parsing: "tokens=300 tps=2000"), count: 1)
            let response = try await keel.post(
                "/v1/chat/completions",
                json: chatBody("write a long story", model: model, extra: #""stream":true"#),
                key: key
            )
            let answer = try DialectAnswer.openAI(response)
            #expect(answer.errorEvent?["code"] as? String == "budget_exceeded")
            #expect((answer.errorEvent?["message"] as? String)?.contains(budget) == true)
            #expect(response.status == 200)
            #expect(!answer.terminated, "a stopped stream is never presented as finished")
            #expect(!answer.text.isEmpty, "the answer up to the budget reached the client")
            await keel.shutdown()
            let record = try #require(try await keel.records().first { $0.teamID?.rawValue == "search" })
            #expect(record.outcome == .interrupted)
            #expect(record.errorClass == "budget_exceeded")
        }
    }

    /// 64 concurrent streams against a budget whose limit is ten worst cases.
    static let concurrentBody = chatBody("tell me about tides", extra: #""max_tokens":100,"stream":true"#)

    static func fireConcurrentStreams(_ targets: [TestGateway], key: String) async throws -> [Int] {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<64 {
                let keel = targets[index % targets.count]
                group.addTask { try await keel.post("/v1/chat/completions", json: Self.concurrentBody, key: key).status }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func sixtyFourConcurrentStreamsOnOneInstanceSpendNoMoreThanTheLimit() async throws {
        let worst = Self.worstCase(body: Self.concurrentBody, maxTokens: 100)
        let limit = USDNanos(worst.rawValue * 10)
        try await TestKeel.run { keel in
            let (key, _) = try await Self.teamWithBudget(keel, limitUSD: limit.decimalString)
            // Slow enough that all 64 are in flight together.
            keel.simulator.script.enqueue(try SimulatorDirectives(parsing: "tokens=100 tps=100"), count: 64)
            let statuses = try await Self.fireConcurrentStreams([keel], key: key)
            let admitted = statuses.filter { $0 == 200 }.count
            #expect(statuses.allSatisfy { $0 == 200 || $0 == 429 })
            #expect(admitted >= 10, "ten worst cases fit")
            #expect(admitted < 64)
            await keel.shutdown()
            let records = try await keel.records()
            #expect(records.count == 64)
            let spent = records.reduce(USDNanos.zero) { $0 + $1.cost }
            #expect(spent <= limit, "spent \(spent) of \(limit) with \(admitted) admitted")
            print("budget concurrency, one instance: \(admitted)/64 admitted, spent \(spent) of \(limit)")
        }
    }

    @Test(.enabled(if: TestKeel.postgresURL != nil))
    func sixtyFourConcurrentStreamsOnTwoInstancesSharingPostgreSQLSpendNoMoreThanTheLimit() async throws {
        let url = try #require(TestKeel.postgresURL)
        let schema = TestKeel.uniquePostgresSchema()
        let worst = Self.worstCase(body: Self.concurrentBody, maxTokens: 100)
        let limit = USDNanos(worst.rawValue * 10)
        let configure: @Sendable (inout KeelConfiguration) -> Void = { configuration in
            configuration.storage = .init(url: url, schema: schema, maxConnections: 8)
            configuration.budgets.flushInterval = .milliseconds(50)
            configuration.budgets.leaseTTL = .seconds(5)
        }
        let outcome = Mutex<(statuses: [Int], key: String)>(([], ""))
        try await TestKeel.run(configure: configure) { first in
            let (key, _) = try await Self.teamWithBudget(first, limitUSD: limit.decimalString)
            try await TestKeel.run(configure: configure) { second in
                // The second instance reads the budget within a flush interval.
                try await Task.sleep(for: .milliseconds(500))
                for keel in [first, second] {
                    keel.simulator.script.enqueue(try SimulatorDirectives(parsing: "tokens=100 tps=100"), count: 32)
                }
                let statuses = try await Self.fireConcurrentStreams([first, second], key: key)
                outcome.withLock { $0 = (statuses, key) }
                await second.shutdown()
            }
            await first.shutdown()
            let records = try await first.records()
            let (statuses, _) = outcome.withLock { $0 }
            let admitted = statuses.filter { $0 == 200 }.count
            #expect(records.count == 64)
            #expect(admitted >= 1 && admitted < 64)
            let spent = records.reduce(USDNanos.zero) { $0 + $1.cost }
            #expect(spent <= limit, "spent \(spent) of \(limit) with \(admitted) admitted")
            print("budget concurrency, two instances on PostgreSQL: \(admitted)/64 admitted, spent \(spent) of \(limit)")
        }
    }
}
