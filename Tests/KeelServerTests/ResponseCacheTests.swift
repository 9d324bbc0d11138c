import Foundation
import KeelCore
import KeelServer
import KeelSimulator
import KeelTesting
import NIOHTTP1
import Testing

/// The exact-match response cache end to end: a real gateway in front of the simulator.
@Suite("Response cache")
struct ResponseCacheTests {
    static let chatPath = "/v1/chat/completions"

    static func cacheOn(ttl: Duration = .seconds(3_600)) -> @Sendable (inout KeelConfiguration) -> Void {
        { configuration in
            configuration.cache = .init(enabled: true, ttl: ttl)
        }
    }

    /// Where the records go: SQLite always, PostgreSQL when `KEEL_TEST_POSTGRES_URL` is set.
    static var backends: [String] {
        TestKeel.postgresURL == nil ? ["sqlite"] : ["sqlite", "postgres"]
    }

    @Test(arguments: Self.backends)
    func aRepeatedRequestIsAnsweredFromTheCacheAndRecordedAsAHitThatSavedTheOriginalCost(backend: String) async throws {
        let schema = TestKeel.uniquePostgresSchema()
        try await TestKeel.run(configure: { configuration in
            Self.cacheOn()(&configuration)
            if backend == "postgres", let url = TestKeel.postgresURL {
                configuration.storage = .init(url: url, schema: schema, maxConnections: 4)
            }
        }) { keel in
            let body = chatBody("what is a keel?", extra: #""temperature":0.9"#)
            let miss = try await keel.post(Self.chatPath, json: body)
            #expect(miss.status == 200)
            #expect(miss.headers["x-keel-cache"] == "miss")
            let hit = try await keel.post(Self.chatPath, json: body)
            #expect(hit.status == 200)
            #expect(hit.headers["x-keel-cache"] == "hit")
            #expect(hit.body == miss.body, "the cached body, byte for byte")
            #expect(hit.headers["x-keel-cost-usd"] == USDNanos.zero.decimalString)
            #expect(hit.headers["x-keel-request-id"] != miss.headers["x-keel-request-id"])
            #expect(keel.simulator.requestCount(path: Self.chatPath) == 1, "one upstream call for two answers")

            // Another body is another entry.
            let other = try await keel.post(Self.chatPath, json: chatBody("what is a hull?"))
            #expect(other.headers["x-keel-cache"] == "miss")
            #expect(keel.simulator.requestCount(path: Self.chatPath) == 2)

            // The admin API shows the hit and the savings, in the request log and the cost report.
            try await Self.waitForRecords(keel, count: 3)
            let page = try await keel.send(.GET, "/admin/v1/requests?limit=10")
            let rows = try #require(page.json?["data"] as? [[String: Any]])
            let hitRow = try #require(rows.first { $0["id"] as? String == hit.headers["x-keel-request-id"] })
            let missRow = try #require(rows.first { $0["id"] as? String == miss.headers["x-keel-request-id"] })
            #expect(hitRow["cache_hit"] as? Bool == true)
            #expect(missRow["cache_hit"] as? Bool == false)
            let missCost = try #require(missRow["cost_nanos"] as? Int)
            #expect(missCost > 0)
            #expect(hitRow["cost_nanos"] as? Int == 0)
            #expect(hitRow["cache_saved_nanos"] as? Int == missCost)
            #expect(missRow["cache_saved_nanos"] as? Int == 0)

            let report = try await keel.send(.GET, "/admin/v1/costs?interval=none")
            #expect(report.status == 200)
            let totals = try #require(report.json?["total"] as? [String: Any], "\(report.body)")
            let otherCost = try #require(
                rows.first { $0["id"] as? String == other.headers["x-keel-request-id"] }?["cost_nanos"] as? Int
            )
            #expect(totals["requests"] as? Int == 3)
            #expect(totals["cost_nanos"] as? Int == missCost + otherCost, "a hit costs nothing")
            #expect(totals["cache_hits"] as? Int == 1)
            #expect(totals["cache_saved_nanos"] as? Int == missCost)

            // /metrics counts hits and savings per series; a hit has no provider or deployment.
            let metrics = try await keel.send(.GET, "/metrics", key: nil)
            let hitLines = metrics.body.split(separator: "\n").filter { $0.hasPrefix("keel_cache_hits_total{") }
            #expect(
                hitLines == [
                    #"keel_cache_hits_total{gen_ai_provider_name="unknown",gen_ai_request_model="keel-sim-chat",deployment="unknown"} 1"#
                ]
            )
            let savedLine = metrics.body.split(separator: "\n").first { $0.hasPrefix("keel_cache_saved_usd_total{") }
            #expect(savedLine?.hasSuffix(" " + USDNanos(Int64(missCost)).decimalString) == true, "\(savedLine ?? "")")

            await keel.shutdown()
            let records = try await keel.records()
            #expect(records.count == 3)
            let hitRecord = try #require(records.first { $0.id.rawValue == hit.headers["x-keel-request-id"] })
            let missRecord = try #require(records.first { $0.id.rawValue == miss.headers["x-keel-request-id"] })
            #expect(hitRecord.cacheHit && !missRecord.cacheHit)
            #expect(hitRecord.outcome == .success && hitRecord.status == 200)
            #expect(hitRecord.usage == missRecord.usage && hitRecord.usage.outputTokens > 0)
            #expect(hitRecord.cost == .zero)
            #expect(hitRecord.cacheSavedCost == missRecord.cost)
            #expect(hitRecord.attempts == 0 && hitRecord.provider == nil && hitRecord.upstreamMicros == nil)
            #expect(hitRecord.model == "keel-sim-chat")
            #expect(missRecord.cacheSavedCost == .zero)
        }
    }

    @Test func cachedAnswersAreSharedWithinATeamAndNeverAcrossTeams() async throws {
        try await TestKeel.run(configure: Self.cacheOn()) { keel in
            #expect(try await keel.post("/admin/v1/orgs", json: #"{"id":"acme","name":"Acme"}"#).status == 201)
            for team in ["search", "ads"] {
                #expect(
                    try await keel.post("/admin/v1/teams", json: #"{"id":"\#(team)","org":"acme","name":"\#(team)"}"#)
                        .status == 201
                )
            }
            func key(team: String?) async throws -> String {
                let body = team.map { #"{"team":"\#($0)"}"# } ?? #"{"org":"acme"}"#
                let created = try await keel.post("/admin/v1/keys", json: body)
                #expect(created.status == 201, "\(created.body)")
                return try #require(created.json?["key"] as? String)
            }
            let search1 = try await key(team: "search")
            let search2 = try await key(team: "search")
            let ads = try await key(team: "ads")
            let teamless = try await key(team: nil)
            let body = chatBody("shared question")
            #expect(try await keel.post(Self.chatPath, json: body, key: search1).headers["x-keel-cache"] == "miss")
            #expect(try await keel.post(Self.chatPath, json: body, key: search2).headers["x-keel-cache"] == "hit")
            #expect(try await keel.post(Self.chatPath, json: body, key: ads).headers["x-keel-cache"] == "miss")
            #expect(try await keel.post(Self.chatPath, json: body, key: ads).headers["x-keel-cache"] == "hit")
            // A key without a team has a cache of its own.
            #expect(try await keel.post(Self.chatPath, json: body, key: teamless).headers["x-keel-cache"] == "miss")
            #expect(
                try await keel.post(Self.chatPath, json: body).headers["x-keel-cache"] == "miss",
                "the admin key's own"
            )
            #expect(keel.simulator.requestCount(path: Self.chatPath) == 4)
        }
    }

    @Test func anAnswerIsServedForItsTTLAndNotAfter() async throws {
        // Real time, with margins a loaded machine cannot eat: the hit is asked for at once
        // (3 s of slack), the expiry checked a full second after the TTL.
        try await TestKeel.run(configure: Self.cacheOn(ttl: .seconds(3))) { keel in
            let body = chatBody("short-lived")
            #expect(try await keel.post(Self.chatPath, json: body).headers["x-keel-cache"] == "miss")
            #expect(try await keel.post(Self.chatPath, json: body).headers["x-keel-cache"] == "hit")
            try await Task.sleep(for: .seconds(4))
            #expect(try await keel.post(Self.chatPath, json: body).headers["x-keel-cache"] == "miss")
            #expect(keel.simulator.requestCount(path: Self.chatPath) == 2)
        }
    }

    @Test func noStoreBypassesTheCacheAndNoCacheRefreshesIt() async throws {
        try await TestKeel.run(configure: Self.cacheOn()) { keel in
            let body = chatBody("private question")
            // (headers sent, x-keel-cache expected, whether the upstream is called)
            let steps: [([(String, String)], String, Bool)] = [
                // no-store: neither read nor written.
                ([("x-keel-cache", "no-store")], "bypass", true),
                ([], "miss", true),
                ([("cache-control", "no-store")], "bypass", true),  // not read either
                ([], "hit", false),
                // no-cache: not read, but the fresh answer is stored.
                ([("x-keel-cache", "no-cache")], "refresh", true),
                ([("Cache-Control", "no-cache")], "refresh", true),
                ([("Cache-Control", "no-cache"), ("x-keel-cache", "no-store")], "bypass", true),
                ([], "hit", false),
            ]
            var calls = 0
            for (headers, expected, upstream) in steps {
                let response = try await keel.post(Self.chatPath, json: body, headers: headers)
                #expect(response.status == 200)
                #expect(response.headers["x-keel-cache"] == expected, "\(headers)")
                if upstream { calls += 1 }
                #expect(keel.simulator.requestCount(path: Self.chatPath) == calls, "\(headers)")
            }
        }
    }

    @Test func anthropicVersionAndBetaHeadersArePartOfTheKey() async throws {
        try await TestKeel.run(configure: Self.cacheOn()) { keel in
            let body = #"{"model":"via-anthropic","max_tokens":32,"messages":[{"role":"user","content":"hello"}]}"#
            let version = ("anthropic-version", "2023-06-01")
            let steps: [([(String, String)], String)] = [
                ([version], "miss"),
                ([version], "hit"),
                ([version, ("anthropic-beta", "output-128k-2025-02-19")], "miss"),
                ([version, ("anthropic-beta", "output-128k-2025-02-19")], "hit"),
            ]
            for (headers, expected) in steps {
                let response = try await keel.post("/v1/messages", json: body, headers: headers)
                #expect(response.status == 200)
                #expect(response.headers["x-keel-cache"] == expected, "\(headers)")
            }
            #expect(keel.simulator.requestCount(path: "/v1/messages") == 2)
        }
    }

    @Test func aModelWithCacheOffIsNeverCached() async throws {
        try await TestKeel.run(configure: { configuration in
            Self.cacheOn()(&configuration)
            var model = KeelConfiguration.Model(
                name: "uncached",
                routes: [.init(provider: "sim", model: "keel-sim-chat")]
            )
            model.cache = false
            configuration.models.append(model)
        }) { keel in
            let body = chatBody("again and again", model: "uncached")
            for _ in 0..<2 {
                let response = try await keel.post(Self.chatPath, json: body)
                #expect(response.headers["x-keel-cache"] == "bypass")
            }
            #expect(keel.simulator.requestCount(path: Self.chatPath) == 2)
        }
    }

    @Test func withTheCacheOffResponsesCarryNoCacheHeader() async throws {
        try await TestKeel.run { keel in
            let body = chatBody("uncached")
            for _ in 0..<2 {
                let response = try await keel.post(Self.chatPath, json: body)
                #expect(response.status == 200 && response.headers["x-keel-cache"] == nil)
            }
            #expect(keel.simulator.requestCount(path: Self.chatPath) == 2)
        }
    }

    @Test func anAnswerOverMaxEntryBytesIsNotStored() async throws {
        try await TestKeel.run(configure: { $0.cache = .init(enabled: true, maxEntryBytes: 64) }) { keel in
            let body = chatBody("a long answer")
            for _ in 0..<2 {
                let response = try await keel.post(Self.chatPath, json: body)
                #expect(response.status == 200 && response.headers["x-keel-cache"] == "miss")
            }
            #expect(keel.simulator.requestCount(path: Self.chatPath) == 2)
        }
    }

    /// A streamed request of each client dialect, through a same-dialect upstream (pass-through)
    /// and another (translation).
    struct StreamCase: Sendable, CustomTestStringConvertible {
        let dialect: String
        let model: String
        var testDescription: String { "\(self.dialect) client, model \(self.model)" }

        var path: String { self.dialect == "openai" ? "/v1/chat/completions" : "/v1/messages" }
        var headers: [(String, String)] { self.dialect == "openai" ? [] : [("anthropic-version", "2023-06-01")] }

        func body(_ content: String, extra: String = "") -> String {
            let stream = #""stream":true"# + (extra.isEmpty ? "" : "," + extra)
            return self.dialect == "openai"
                ? chatBody(content, model: self.model, extra: stream)
                : #"{"model":"\#(self.model)","max_tokens":64,\#(stream),"messages":[{"role":"user","content":"\#(content)"}]}"#
        }

        func answer(_ response: TestResponse) throws -> DialectAnswer {
            self.dialect == "openai" ? try DialectAnswer.openAI(response) : try DialectAnswer.anthropic(response)
        }
    }

    @Test(arguments: [
        StreamCase(dialect: "openai", model: "keel-sim-chat"),
        StreamCase(dialect: "anthropic", model: "via-anthropic"),
        StreamCase(dialect: "openai", model: "via-anthropic"),
        StreamCase(dialect: "anthropic", model: "keel-sim-chat"),
    ])
    func aCachedStreamIsReplayedAsAValidStreamInTheClientsDialect(stream: StreamCase) async throws {
        try await TestKeel.run(configure: Self.cacheOn()) { keel in
            let body = stream.body("stream me a story")
            let miss = try await keel.post(stream.path, json: body, headers: stream.headers)
            #expect(miss.status == 200 && miss.headers["x-keel-cache"] == "miss")
            let hit = try await keel.post(stream.path, json: body, headers: stream.headers)
            #expect(hit.status == 200 && hit.headers["x-keel-cache"] == "hit")
            #expect(hit.headers["content-type"]?.hasPrefix("text/event-stream") == true)
            #expect(hit.body == miss.body, "the stream as the first client received it")
            let answer = try stream.answer(hit)
            #expect(answer.terminated && answer.errorEvent == nil && !answer.text.isEmpty)
            #expect(answer.text == (try stream.answer(miss)).text)

            // The same request without streaming is a different request: a miss.
            let plainBody = body.replacingOccurrences(of: #""stream":true"#, with: #""stream":false"#)
            #expect(
                try await keel.post(stream.path, json: plainBody, headers: stream.headers).headers["x-keel-cache"]
                    == "miss"
            )

            await keel.shutdown()
            let records = try await keel.records()
            #expect(records.count == 3)
            #expect(records.filter(\.cacheHit).count == 1)
            let hitRecord = try #require(records.first { $0.cacheHit })
            let missRecord = try #require(records.first { $0.id.rawValue == miss.headers["x-keel-request-id"] })
            #expect(hitRecord.outcome == .success && hitRecord.stream && hitRecord.attempts == 0)
            #expect(hitRecord.usage == missRecord.usage && hitRecord.usage.outputTokens > 0)
            #expect(hitRecord.cost == .zero && hitRecord.cacheSavedCost == missRecord.cost && missRecord.cost > .zero)
            #expect(hitRecord.ttftMicros != nil)
        }
    }

    @Test(arguments: ["openai", "anthropic"])
    func aBrokenStreamIsNeverCached(dialect: String) async throws {
        let stream =
            dialect == "openai"
            ? StreamCase(dialect: "openai", model: "keel-sim-chat")
            : StreamCase(dialect: "anthropic", model: "via-anthropic")
        try await TestKeel.run(configure: Self.cacheOn()) { keel in
            // Paced, so content reaches the client before the cut (no failover after that).
            keel.simulator.script.enqueue(
                try SimulatorDirectives(parsing: "fault=truncate after_tokens=3 tokens=12 tps=50"),
                count: 1
            )
            let body = stream.body("tell me about tides")
            let broken = try await keel.post(stream.path, json: body, headers: stream.headers)
            #expect(broken.status == 200 && broken.headers["x-keel-cache"] == "miss")
            #expect(!(try stream.answer(broken)).terminated)
            let whole = try await keel.post(stream.path, json: body, headers: stream.headers)
            #expect(whole.headers["x-keel-cache"] == "miss", "the broken stream was not stored")
            #expect(try stream.answer(whole).terminated)
            let hit = try await keel.post(stream.path, json: body, headers: stream.headers)
            #expect(hit.headers["x-keel-cache"] == "hit")
            #expect(hit.body == whole.body)

            await keel.shutdown()
            let records = try await keel.records()
            #expect(records.map(\.outcome).sorted { $0.rawValue < $1.rawValue } == [.interrupted, .success, .success])
            #expect(records.filter(\.cacheHit).count == 1)
        }
    }

    @Test func aStreamTheClientAbandonedIsNeverCached() async throws {
        try await TestKeel.run(configure: Self.cacheOn()) { keel in
            // 200 tokens at 20/s: the client is gone long before the stream could end.
            keel.simulator.script.enqueue(try SimulatorDirectives(parsing: "tokens=200 tps=20"), count: 1)
            let body = chatBody("a story to walk away from", extra: #""stream":true"#)
            try await StreamingClient.readThenDisconnect(
                port: keel.port,
                path: Self.chatPath,
                body: body,
                key: TestKeel.adminKey,
                bytes: 600
            )
            // Once its record is written, the abandoned stream's relay has ended.
            try await Self.waitForRecords(keel, count: 1)
            let again = try await keel.post(Self.chatPath, json: body)
            #expect(again.headers["x-keel-cache"] == "miss", "the partial stream was not stored")
            #expect(try DialectAnswer.openAI(again).terminated)
            #expect(keel.simulator.requestCount(path: Self.chatPath) == 2)

            await keel.shutdown()
            let records = try await keel.records()
            #expect(Set(records.map(\.outcome)) == [.cancelled, .success])
            #expect(!records.contains { $0.cacheHit })
        }
    }

    /// Records are written off the request path; waits until `count` are visible to the admin API.
    static func waitForRecords(_ keel: TestGateway, count: Int) async throws {
        #expect(
            try await keel.waitForRecords(count),
            "only \(keel.app.recordsWritten) of \(count) records were written"
        )
    }
}
