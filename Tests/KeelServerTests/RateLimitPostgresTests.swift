import Foundation
import KeelCore
import KeelServer
import KeelStorage
import KeelTesting
import NIOHTTP1
import Synchronization
import Testing

/// Rate limits held by two gateway instances that share one PostgreSQL database. Runs where
/// `KEEL_TEST_POSTGRES_URL` is set.
@Suite("Rate limits across instances on PostgreSQL", .enabled(if: TestKeel.postgresURL != nil))
struct RateLimitPostgresTests {
    /// Both instances: the same static keys, `rules`, and a short sync interval.
    static func sharing(_ schema: String, rules: [RateLimitRule]) -> @Sendable (inout KeelConfiguration) -> Void {
        { configuration in
            RateLimitTests.configure(rules)(&configuration)
            configuration.storage = .init(url: TestKeel.postgresURL!, schema: schema, maxConnections: 4)
            configuration.rateLimiting.syncInterval = .milliseconds(200)
        }
    }

    /// Runs two gateways on one fresh schema.
    static func twoInstances(
        rules: [RateLimitRule],
        _ body: @escaping @Sendable (TestGateway, TestGateway) async throws -> Void
    ) async throws {
        let configure = Self.sharing(TestKeel.uniquePostgresSchema(), rules: rules)
        try await TestKeel.run(configure: configure) { first in
            try await TestKeel.run(configure: configure) { second in
                try await body(first, second)
            }
        }
    }

    @Test(arguments: [20, 60])
    func twoInstancesTogetherAdmitNoMoreThanTheLimitAndRefuseAtMostOneSliceEarly(limit: Int) async throws {
        try await RateLimitTests.awayFromWindowEdge(3_600)
        // slice_fraction 0.1: each instance leases a tenth of the limit at a time.
        let slice = (limit + 9) / 10
        let rules = [RateLimitRule(id: "search-rpm", teamID: "search", requestsPerWindow: limit, windowSeconds: 3_600)]
        try await Self.twoInstances(rules: rules) { first, second in
            // 3 × the limit, alternating instances, twelve at a time.
            let statuses = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                var all: [(Int, Int)] = []
                for index in 0..<(3 * limit) {
                    if index >= 12, let done = try await group.next() { all.append(done) }
                    let instance = index % 2
                    group.addTask {
                        let gateway = instance == 0 ? first : second
                        let answer = try await gateway.post(
                            "/v1/chat/completions",
                            json: chatBody("hi \(index)"),
                            key: RateLimitTests.searchKey
                        )
                        return (instance, answer.status)
                    }
                }
                for try await done in group { all.append(done) }
                return all
            }
            let admitted = statuses.filter { $0.1 == 200 }
            let perInstance = [0, 1].map { instance in admitted.filter { $0.0 == instance }.count }
            print(
                "two instances, limit \(limit), slice \(slice), \(statuses.count) requests: \(admitted.count) admitted (\(perInstance[0]) + \(perInstance[1])), \(statuses.count - admitted.count) refused"
            )
            #expect(statuses.count == 3 * limit)
            #expect(statuses.allSatisfy { $0.1 == 200 || $0.1 == 429 })
            // Never more than the limit; at most one slice idle in the other instance.
            #expect(admitted.count <= limit)
            #expect(admitted.count >= limit - slice)
            #expect(perInstance.allSatisfy { $0 > 0 })
            await first.shutdown()
            await second.shutdown()
            let records = try await first.records()
            #expect(records.filter { $0.status == 200 }.count == admitted.count)
        }
    }

    @Test func aConcurrencySlotFreedOnOneInstanceIsUsableOnTheOther() async throws {
        let rules = [RateLimitRule(id: "search-parallel", teamID: "search", maxConcurrent: 2)]
        try await Self.twoInstances(rules: rules) { first, second in
            let slow = chatBody("[sim ttft_ms=6000 tokens=5] slow", extra: #""stream":true"#)
            async let one = first.post("/v1/chat/completions", json: slow, key: RateLimitTests.searchKey)
            async let two = first.post("/v1/chat/completions", json: slow, key: RateLimitTests.searchKey)
            // The first instance leases both slots while its two streams run (6 s before their
            // first token). On a loaded machine the streams may take a while to be admitted: wait
            // until one instance's lease in the shared table holds both slots.
            var leased = 0
            for _ in 0..<100 where leased < 2 {
                try await Task.sleep(for: .milliseconds(20))
                leased = try await first.withStores { stores in
                    try await stores.database.row(
                        "SELECT COALESCE(MAX(slots), 0) AS slots FROM rate_limit_lease WHERE rule_id = 'search-parallel'"
                    )?.decode("slots", as: Int.self) ?? 0
                }
            }
            #expect(leased == 2)
            let blocked = try await second.post(
                "/v1/chat/completions",
                json: chatBody("now"),
                key: RateLimitTests.searchKey
            )
            #expect(blocked.status == 429)
            let streams = try await [one, two]
            #expect(streams.map(\.status) == [200, 200])
            // Once they end, the first instance gives back what is idle beyond one slice.
            var status = 0
            for _ in 0..<40 where status != 200 {
                status = try await second.post(
                    "/v1/chat/completions",
                    json: chatBody("now"),
                    key: RateLimitTests.searchKey
                ).status
                if status != 200 { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(status == 200)
        }
    }

    @Test func aRuleMadeOnOneInstanceAppliesOnTheOtherWithinTheSyncInterval() async throws {
        try await RateLimitTests.awayFromWindowEdge(3_600)
        try await Self.twoInstances(rules: []) { first, second in
            let created = try await first.post(
                "/admin/v1/rate-limits",
                json: #"{"id":"ads-rpm","team":"ads","rpm":1,"window_seconds":3600}"#
            )
            #expect(created.status == 201)
            #expect(
                try await first.post("/v1/chat/completions", json: chatBody("a"), key: RateLimitTests.adsKey).status
                    == 200
            )
            var status = 0
            for _ in 0..<30 where status != 429 {
                try await Task.sleep(for: .milliseconds(100))
                status = try await second.post("/v1/chat/completions", json: chatBody("b"), key: RateLimitTests.adsKey)
                    .status
            }
            #expect(status == 429)
        }
    }
}
