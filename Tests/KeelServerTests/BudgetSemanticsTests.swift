import Foundation
import KeelCore
import KeelOps
import KeelStorage
import Logging
import Testing

@testable import KeelServer

/// What budgets do, as a table: each case makes budgets, then runs steps (admit, settle, extend a
/// stream, flush, wait, change a limit) against ``BudgetLimit`` instances sharing one real store,
/// on SQLite and on PostgreSQL, and states each step's outcome.
@Suite("Budget semantics")
struct BudgetSemanticsTests {
    // MARK: The language of the table

    /// Who sends a request: the record fields budgets match on.
    struct Sender: Sendable {
        var org: String?
        var team: String?
        var project: String?
        var user: String?
        var key: String?
        var tags: [String: String] = [:]

        var record: RequestRecord {
            RequestRecord(
                id: RequestID(UUID().uuidString),
                startedAt: 0,
                operation: "chat.completions",
                keyID: self.key.map { KeyID($0) },
                orgID: self.org.map { OrgID($0) },
                teamID: self.team.map { TeamID($0) },
                projectID: self.project.map { ProjectID($0) },
                userID: self.user.map { UserID($0) },
                requestedModel: "keel-sim-chat",
                status: 200,
                outcome: .success,
                totalMicros: 0,
                tags: self.tags
            )
        }
    }

    enum Outcome: Sendable, Equatable, CustomStringConvertible {
        /// Admitted, reserving on these budgets (ids, sorted).
        case admitted([String])
        /// No budget covers the request.
        case uncovered
        /// Refused by this budget.
        case refused(String)

        static let granted = Outcome.admitted([])

        var description: String {
            switch self {
            case .admitted(let ids): "admitted on \(ids)"
            case .uncovered: "uncovered"
            case .refused(let id): "refused by \(id)"
            }
        }
    }

    enum Step: Sendable {
        /// Instance `on` admits a request of worst-case cost `cost` at `at` (ISO 8601; `nil`:
        /// the wall clock) and keeps the hold as `label`.
        case admit(String, Sender, USDNanos, at: String? = nil, on: Int = 0, Outcome)
        /// The request `label` ends, having really cost `cost`.
        case settle(String, cost: USDNanos)
        /// The stream of `label` asks for room for `extra` more answer tokens (`.granted` or `.refused`).
        case extend(String, extra: Int, Outcome)
        case flush(Int)
        /// The instance flushes every `every` for `total`, as its service does.
        case keepFlushing(Int, every: Duration, total: Duration)
        case wait(Duration)
        /// The budget's limit changes (admin API: store, then reload of every instance).
        case setLimit(String, USDNanos)
        /// The period of the budget that contains `at` starts at `start` (both ISO 8601).
        case period(String, at: String, starts: String)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let budgets: [Budget]
        var leaseTTL: Duration = .seconds(60)
        let steps: [Step]
        var testDescription: String { self.name }
    }

    // MARK: Values

    static func usd(_ text: String) -> USDNanos { try! AdminAPI.dollars(text, param: "test") }
    static let nano = USDNanos(1)
    /// The price of one answer token in the stream cases ($10 per million).
    static let perToken: Int64 = 10_000
    static let baseTokens = 1_000

    static func seconds(_ iso: String) -> Int64 {
        Int64(try! Date(iso, strategy: .iso8601).timeIntervalSince1970)
    }

    static func budget(
        _ id: String,
        _ kind: Budget.ScopeKind,
        _ value: String,
        limit: String = "1",
        period: Budget.Period = .daily,
        zone: String = "UTC",
        window: (String, String)? = nil
    ) -> Budget {
        Budget(
            id: BudgetID(id),
            name: "Budget \(id)",
            scopeKind: kind,
            scopeValue: value,
            period: window == nil ? period : .fixed,
            timeZone: zone,
            startsAt: window.map { Self.seconds($0.0) },
            endsAt: window.map { Self.seconds($0.1) },
            limit: Self.usd(limit),
            createdAt: 0,
            updatedAt: 0
        )
    }

    /// A fixed window around the wall clock, for cases whose ledger must stay current.
    static let aroundNow: (String, String) = {
        let now = Date()
        return (
            (now - 3_600).formatted(.iso8601),
            (now + 3_600).formatted(.iso8601)
        )
    }()

    static let ada = Sender(org: "acme", team: "search", user: "ada")
    static let bob = Sender(org: "acme", team: "search", user: "bob")
    static let searchTeam = Sender(team: "search")

    // MARK: The table

    static let cases: [Case] = [
        Case(
            name: "boundaries: == admits, one nano more refuses, a settled difference returns",
            budgets: [budget("b", .team, "search")],
            steps: [
                .admit("r1", searchTeam, usd("1"), at: "2024-01-15T12:00:00Z", .admitted(["b"])),
                .admit("r2", searchTeam, nano, at: "2024-01-15T12:00:00Z", .refused("b")),
                .settle("r1", cost: usd("0.6")),
                .admit("r3", searchTeam, usd("0.4"), at: "2024-01-15T12:00:00Z", .admitted(["b"])),
                .admit("r4", searchTeam, nano, at: "2024-01-15T12:00:00Z", .refused("b")),
                .settle("r3", cost: usd("0.1")),
                .admit("r5", searchTeam, usd("0.3"), at: "2024-01-15T12:00:00Z", .admitted(["b"])),
                .admit("r6", searchTeam, nano, at: "2024-01-15T12:00:00Z", .refused("b")),
            ]
        ),
        Case(
            name: "a lowered limit refuses at the new limit",
            budgets: [budget("b", .team, "search")],
            steps: [
                .admit("r1", searchTeam, usd("0.5"), at: "2024-01-15T12:00:00Z", .admitted(["b"])),
                .settle("r1", cost: usd("0.5")),
                .setLimit("b", usd("0.5")),
                .admit("r2", searchTeam, usd("0.04"), at: "2024-01-15T12:00:00Z", .refused("b")),
                .setLimit("b", usd("0.6")),
                .admit("r3", searchTeam, usd("0.1"), at: "2024-01-15T12:00:00Z", .admitted(["b"])),
                .admit("r4", searchTeam, nano, at: "2024-01-15T12:00:00Z", .refused("b")),
            ]
        ),
        Case(
            name: "nested scopes: the tighter budget refuses and the other's reservation is released",
            budgets: [budget("a-team", .team, "search", limit: "5"), budget("b-user", .user, "ada", limit: "1")],
            steps: [
                .admit("r1", ada, usd("2"), at: "2024-01-15T12:00:00Z", .refused("b-user")),
                // Nothing stayed reserved on the team: bob (team only) gets all five dollars.
                .admit("r2", bob, usd("5"), at: "2024-01-15T12:00:00Z", .admitted(["a-team"])),
                .settle("r2", cost: usd("4.5")),
                // Now the team (0.5 left) is the tighter one for ada.
                .admit("r3", ada, usd("0.4"), at: "2024-01-15T12:00:00Z", .admitted(["a-team", "b-user"])),
                .admit("r4", ada, usd("0.2"), at: "2024-01-15T12:00:00Z", .refused("a-team")),
                .admit("r5", bob, usd("0.1"), at: "2024-01-15T12:00:00Z", .admitted(["a-team"])),
                .admit("r6", bob, nano, at: "2024-01-15T12:00:00Z", .refused("a-team")),
            ]
        ),
        Case(
            name: "a tag budget covers only requests with that tag value",
            budgets: [budget("t", .tag, "feature=search")],
            steps: [
                .admit("r1", Sender(tags: ["feature": "search"]), usd("1"), at: "2024-01-15T12:00:00Z", .admitted(["t"])),
                .admit("r2", Sender(team: "search", tags: ["feature": "search", "env": "prod"]), nano, at: "2024-01-15T12:00:00Z", .refused("t")),
                .admit("r3", Sender(tags: ["feature": "chat"]), usd("1"), at: "2024-01-15T12:00:00Z", .uncovered),
                .admit("r4", Sender(tags: ["search": "feature"]), usd("1"), at: "2024-01-15T12:00:00Z", .uncovered),
                .admit("r5", Sender(team: "search", user: "feature"), usd("1"), at: "2024-01-15T12:00:00Z", .uncovered),
            ]
        ),
        Case(
            name: "each scope kind matches its own record field only",
            budgets: [
                budget("org", .org, "x"), budget("team", .team, "x"), budget("project", .project, "x"),
                budget("user", .user, "x"), budget("key", .key, "x"), budget("tag", .tag, "x=x"),
            ],
            steps: [
                .admit("o", Sender(org: "x"), usd("0.1"), at: "2024-01-15T12:00:00Z", .admitted(["org"])),
                .admit("t", Sender(team: "x"), usd("0.1"), at: "2024-01-15T12:00:00Z", .admitted(["team"])),
                .admit("p", Sender(project: "x"), usd("0.1"), at: "2024-01-15T12:00:00Z", .admitted(["project"])),
                .admit("u", Sender(user: "x"), usd("0.1"), at: "2024-01-15T12:00:00Z", .admitted(["user"])),
                .admit("k", Sender(key: "x"), usd("0.1"), at: "2024-01-15T12:00:00Z", .admitted(["key"])),
                .admit("g", Sender(tags: ["x": "x"]), usd("0.1"), at: "2024-01-15T12:00:00Z", .admitted(["tag"])),
                .admit("all", Sender(org: "x", team: "x", project: "x", user: "x", key: "x", tags: ["x": "x"]), usd("0.1"),
                       at: "2024-01-15T12:00:00Z", .admitted(["key", "org", "project", "tag", "team", "user"])),
                .admit("none", Sender(org: "y", team: "y", project: "y", user: "y", key: "y", tags: ["x": "y", "y": "x"]), usd("0.1"),
                       at: "2024-01-15T12:00:00Z", .uncovered),
            ]
        ),
        Case(
            name: "daily in Europe/Berlin: 23:30 UTC in winter is the next Berlin day, 22:30 UTC is not",
            budgets: [budget("d", .team, "search", zone: "Europe/Berlin")],
            steps: [
                .period("d", at: "2024-01-15T22:30:00Z", starts: "2024-01-14T23:00:00Z"),
                .period("d", at: "2024-01-15T23:30:00Z", starts: "2024-01-15T23:00:00Z"),
                .admit("r1", searchTeam, usd("1"), at: "2024-01-15T12:00:00Z", .admitted(["d"])),
                .admit("r2", searchTeam, usd("0.5"), at: "2024-01-15T22:30:00Z", .refused("d")),
                .admit("r3", searchTeam, usd("1"), at: "2024-01-15T23:30:00Z", .admitted(["d"])),
                .admit("r4", searchTeam, nano, at: "2024-01-16T12:00:00Z", .refused("d")),
            ]
        ),
        Case(
            name: "daily in Europe/Berlin: 22:30 UTC in summer is the next Berlin day",
            budgets: [budget("d", .team, "search", zone: "Europe/Berlin")],
            steps: [
                .period("d", at: "2024-07-15T22:30:00Z", starts: "2024-07-15T22:00:00Z"),
                .admit("r1", searchTeam, usd("1"), at: "2024-07-15T21:30:00Z", .admitted(["d"])),
                .admit("r2", searchTeam, usd("1"), at: "2024-07-15T22:30:00Z", .admitted(["d"])),
            ]
        ),
        Case(
            name: "weekly in Europe/Berlin starts Monday 00:00 local",
            budgets: [budget("w", .team, "search", period: .weekly, zone: "Europe/Berlin")],
            steps: [
                // Sunday 14 January 23:30 Berlin is the week of Monday the 8th.
                .period("w", at: "2024-01-14T22:30:00Z", starts: "2024-01-07T23:00:00Z"),
                .period("w", at: "2024-01-14T23:30:00Z", starts: "2024-01-14T23:00:00Z"),
                .period("w", at: "2024-01-21T22:59:59Z", starts: "2024-01-14T23:00:00Z"),
                .admit("r1", searchTeam, usd("1"), at: "2024-01-14T22:30:00Z", .admitted(["w"])),
                .admit("r2", searchTeam, usd("1"), at: "2024-01-14T23:30:00Z", .admitted(["w"])),
                .admit("r3", searchTeam, nano, at: "2024-01-17T12:00:00Z", .refused("w")),
                .admit("r4", searchTeam, usd("1"), at: "2024-01-21T23:00:00Z", .admitted(["w"])),
            ]
        ),
        Case(
            name: "monthly in America/New_York",
            budgets: [budget("m", .team, "search", period: .monthly, zone: "America/New_York")],
            steps: [
                .period("m", at: "2024-03-01T03:00:00Z", starts: "2024-02-01T05:00:00Z"),
                .period("m", at: "2024-03-01T05:30:00Z", starts: "2024-03-01T05:00:00Z"),
                .admit("r1", searchTeam, usd("1"), at: "2024-02-29T12:00:00Z", .admitted(["m"])),
                .admit("r2", searchTeam, nano, at: "2024-03-01T03:00:00Z", .refused("m")),
                .admit("r3", searchTeam, usd("1"), at: "2024-03-01T05:30:00Z", .admitted(["m"])),
                .admit("r4", searchTeam, nano, at: "2024-03-31T12:00:00Z", .refused("m")),
            ]
        ),
        Case(
            name: "a fixed window covers [starts_at, ends_at) only",
            budgets: [budget("f", .team, "search", window: ("2024-01-10T00:00:00Z", "2024-01-20T00:00:00Z"))],
            steps: [
                .admit("before", searchTeam, usd("5"), at: "2024-01-09T23:59:59Z", .uncovered),
                .admit("start", searchTeam, usd("1"), at: "2024-01-10T00:00:00Z", .admitted(["f"])),
                .admit("inside", searchTeam, nano, at: "2024-01-15T12:00:00Z", .refused("f")),
                .admit("last", searchTeam, nano, at: "2024-01-19T23:59:59Z", .refused("f")),
                .admit("end", searchTeam, usd("5"), at: "2024-01-20T00:00:00Z", .uncovered),
                .admit("after", searchTeam, usd("5"), at: "2024-02-01T00:00:00Z", .uncovered),
            ]
        ),
        Case(
            name: "two instances: an instance that flushes with nothing in flight gives its share back",
            budgets: [budget("b", .team, "search", window: aroundNow)],
            steps: [
                .admit("a1", searchTeam, usd("0.5"), on: 0, .admitted(["b"])),
                .settle("a1", cost: usd("0.5")),
                // Instance 0 still holds its slice: 0.55 of the limit.
                .admit("b1", searchTeam, usd("0.5"), on: 1, .refused("b")),
                .flush(0),
                .admit("b2", searchTeam, usd("0.5"), on: 1, .admitted(["b"])),
                .admit("a2", searchTeam, nano, on: 0, .refused("b")),
            ]
        ),
        Case(
            name: "two instances: a dead instance's unspent share returns after the lease TTL",
            budgets: [budget("b", .team, "search", window: aroundNow)],
            leaseTTL: .seconds(2),
            steps: [
                .admit("a1", searchTeam, usd("0.3"), on: 0, .admitted(["b"])),
                .settle("a1", cost: usd("0.2")),
                .admit("a2", searchTeam, usd("0.6"), on: 0, .admitted(["b"])),
                .flush(0),
                // Instance 0 holds 0.8 (0.2 spent, 0.6 in flight) and then dies.
                .admit("b1", searchTeam, usd("0.5"), on: 1, .refused("b")),
                // Three TTLs: on a busy machine the expiry is seen a little late.
                .wait(.seconds(6)),
                // Only what it spent still counts.
                .admit("b2", searchTeam, usd("0.8"), on: 1, .admitted(["b"])),
                .admit("b3", searchTeam, nano, on: 1, .refused("b")),
            ]
        ),
        Case(
            name: "two instances: a live instance that keeps flushing keeps its in-flight share past the lease TTL",
            budgets: [budget("b", .team, "search", window: aroundNow)],
            // Flushes every 250 ms against a 3 s TTL: a busy machine may delay one by a second
            // or two without the lease lapsing, and the flushing outlives the TTL well.
            leaseTTL: .seconds(3),
            steps: [
                .admit("a1", searchTeam, usd("0.8"), on: 0, .admitted(["b"])),
                .keepFlushing(0, every: .milliseconds(250), total: .seconds(5)),
                .admit("b1", searchTeam, usd("0.5"), on: 1, .refused("b")),
                .admit("b2", searchTeam, usd("0.2"), on: 1, .admitted(["b"])),
            ]
        ),
        Case(
            name: "stream extension reserves the extra worst case and refuses past the limit",
            budgets: [budget("b", .team, "search")],
            steps: [
                .admit("s", searchTeam, usd("0.5"), at: "2024-01-15T12:00:00Z", .admitted(["b"])),
                // 40,000 tokens at $10 per million: 0.4 more, 0.9 in all.
                .extend("s", extra: 40_000, .granted),
                .admit("r1", searchTeam, usd("0.1"), at: "2024-01-15T12:00:00Z", .admitted(["b"])),
                .admit("r2", searchTeam, nano, at: "2024-01-15T12:00:00Z", .refused("b")),
                .settle("r1", cost: .zero),
                // Exactly to the limit, then one token past it.
                .extend("s", extra: 50_000, .granted),
                .extend("s", extra: 50_001, .refused("b")),
                .admit("r3", searchTeam, nano, at: "2024-01-15T12:00:00Z", .refused("b")),
                // The stream ends having cost 0.3: the whole extended reservation is released.
                .settle("s", cost: usd("0.3")),
                .admit("r4", searchTeam, usd("0.7"), at: "2024-01-15T12:00:00Z", .admitted(["b"])),
                .admit("r5", searchTeam, nano, at: "2024-01-15T12:00:00Z", .refused("b")),
            ]
        ),
        Case(
            name: "a refused extension on one budget leaves nothing reserved on the others",
            budgets: [budget("a-team", .team, "search", limit: "5"), budget("b-user", .user, "ada", limit: "1")],
            steps: [
                .admit("s", ada, usd("0.5"), at: "2024-01-15T12:00:00Z", .admitted(["a-team", "b-user"])),
                .extend("s", extra: 60_000, .refused("b-user")),
                .admit("r1", bob, usd("4.5"), at: "2024-01-15T12:00:00Z", .admitted(["a-team"])),
            ]
        ),
    ]

    // MARK: Running a case

    @Test(arguments: TestDatabase.enabled, cases)
    func eachCase(database: TestDatabase, case: Case) async throws {
        try await database.withStores { stores in
            for budget in `case`.budgets { try await stores.budgets.insertBudget(budget) }
            var settings = BudgetLimit.Settings()
            settings.leaseTTL = `case`.leaseTTL
            var instances: [BudgetLimit] = []
            for index in 0..<2 {
                let limit = BudgetLimit(store: stores.budgets, instanceID: "instance-\(index)", settings: settings, logger: TestDatabase.quietLogger)
                try await limit.reload()
                instances.append(limit)
            }
            var holds: [String: any AdmissionHold] = [:]
            for (number, step) in `case`.steps.enumerated() {
                let context = Comment(rawValue: "step \(number + 1) of '\(`case`.name)' on \(database)")
                switch step {
                case .admit(let label, let sender, let cost, let at, let on, let expected):
                    let now = at.map { Self.seconds($0) * 1_000_000 } ?? Int64(Date().timeIntervalSince1970 * 1_000_000)
                    let demand = AdmissionDemand(
                        record: sender.record,
                        inputTokens: 10,
                        outputTokens: Self.baseTokens,
                        worstCaseCost: cost,
                        outputCost: { tokens in cost + USDNanos(Int64(tokens - Self.baseTokens) * Self.perToken) },
                        now: now
                    )
                    let (outcome, hold) = await Self.attempt(instances[on], demand, budgets: `case`.budgets)
                    #expect(outcome == expected, context)
                    if let hold { holds[label] = hold }
                case .settle(let label, let cost):
                    let hold = try #require(holds[label], context)
                    holds[label] = nil
                    var record = Self.searchTeam.record
                    record.cost = cost
                    await hold.settle(record)
                case .extend(let label, let extra, let expected):
                    let hold = try #require(holds[label], context)
                    let refusal = await hold.extend(toOutputTokens: Self.baseTokens + extra)
                    #expect(Self.outcome(of: refusal, budgets: `case`.budgets) == expected, context)
                case .flush(let index):
                    await instances[index].flush()
                case .keepFlushing(let index, let every, let total):
                    let clock = ContinuousClock()
                    let end = clock.now + total
                    while clock.now < end {
                        await instances[index].flush()
                        try await Task.sleep(for: every)
                    }
                case .wait(let duration):
                    try await Task.sleep(for: duration)
                case .setLimit(let id, let limit):
                    var budget = try #require(try await stores.budgets.budget(id: BudgetID(id)))
                    budget.limit = limit
                    #expect(try await stores.budgets.updateBudget(budget))
                    for instance in instances { try await instance.reload() }
                case .period(let id, let at, let starts):
                    let rule = try #require(instances[0].currentRules.first { $0.id.rawValue == id })
                    #expect(rule.period(at: Self.seconds(at))?.start == Self.seconds(starts), context)
                }
            }
            for hold in holds.values { await hold.settle(Self.searchTeam.record) }
        }
    }

    /// Admits `demand` and says how it went; a refusal must be a 429 `budget_exceeded` that
    /// names the budget.
    static func attempt(_ limit: BudgetLimit, _ demand: AdmissionDemand, budgets: [Budget]) async -> (Outcome, (any AdmissionHold)?) {
        do throws(KeelError) {
            guard let hold = try await limit.admit(demand) else { return (.uncovered, nil) }
            let ids = (hold as? BudgetHold)?.reservations.map(\.key.budget.rawValue).sorted() ?? ["?"]
            return (.admitted(ids), hold)
        } catch {
            let refusal: KeelError = error
            return (Self.outcome(of: refusal, budgets: budgets), nil)
        }
    }

    static func outcome(of refusal: KeelError?, budgets: [Budget]) -> Outcome {
        guard let refusal else { return .granted }
        #expect(refusal.metricLabel == "budget_exceeded")
        #expect(refusal.httpStatus == 429)
        let named = budgets.filter { refusal.message.contains("(\($0.id.rawValue),") }
        #expect(named.count == 1, "the refusal names one budget: \(refusal.message)")
        return .refused(named.first?.id.rawValue ?? "?")
    }

    // MARK: Two instances racing

    /// Two instances reserve from one budget, in turns and then at once, until both are refused:
    /// what they admitted never adds up past the limit, and once both have flushed (giving back
    /// their unused slices) it is the most that fits.
    @Test(arguments: TestDatabase.enabled)
    func twoInstancesNeverAdmitMoreThanTheLimitTogether(database: TestDatabase) async throws {
        try await database.withStores { stores in
            let budget = Self.budget("b", .team, "search", window: Self.aroundNow)
            try await stores.budgets.insertBudget(budget)
            let instances = [0, 1].map {
                BudgetLimit(store: stores.budgets, instanceID: "racer-\($0)", logger: TestDatabase.quietLogger)
            }
            for instance in instances { try await instance.reload() }
            let amount = Self.usd("0.07")
            func demand() -> AdmissionDemand {
                AdmissionDemand(
                    record: Self.searchTeam.record, inputTokens: 10, outputTokens: 10, worstCaseCost: amount,
                    outputCost: { _ in amount }, now: Int64(Date().timeIntervalSince1970 * 1_000_000)
                )
            }
            // In turns: each round both try; when both are refused, both flush, and the round
            // after a flush is the last if it admits nothing.
            var admitted = USDNanos.zero
            var holds: [any AdmissionHold] = []
            var flushed = false
            while true {
                var progress = false
                for instance in instances {
                    let (outcome, hold) = await Self.attempt(instance, demand(), budgets: [budget])
                    if let hold {
                        admitted = admitted + amount
                        holds.append(hold)
                        progress = true
                    } else {
                        #expect(outcome == .refused("b"))
                    }
                }
                #expect(admitted <= budget.limit)
                if progress {
                    flushed = false
                } else if flushed {
                    break
                } else {
                    for instance in instances { await instance.flush() }
                    flushed = true
                }
            }
            #expect(admitted == Self.usd("0.98"))
            #expect(holds.count == 14)

            // All settled at half the worst case, flushed: 0.49 spent. Now both race at once.
            for hold in holds {
                var record = Self.searchTeam.record
                record.cost = Self.usd("0.035")
                await hold.settle(record)
            }
            for instance in instances { await instance.flush() }
            let raced = await withTaskGroup(of: USDNanos.self) { group in
                for instance in instances {
                    group.addTask {
                        var total = USDNanos.zero
                        var refusals = 0
                        while refusals < 3 {
                            if (try? await instance.admit(demand())) != nil {
                                total = total + amount
                            } else {
                                refusals += 1
                                await instance.flush()
                            }
                        }
                        return total
                    }
                }
                var sum = USDNanos.zero
                for await total in group { sum = sum + total }
                return sum
            }
            #expect(Self.usd("0.49") + raced <= budget.limit)
            #expect(raced > .zero)
            // The ledger agrees: what the instances hold adds up to at most the limit.
            let entries = try await stores.budgets.ledger(budgetID: "b", periodStart: budget.startsAt!)
            #expect(entries.reduce(USDNanos.zero) { $0 + max($1.spent, $1.granted) } <= budget.limit)
        }
    }
}
