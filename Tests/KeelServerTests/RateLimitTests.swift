import Foundation
import KeelCore
import KeelServer
import KeelSimulator
import KeelTesting
import NIOHTTP1
import Testing

/// Rate limits end to end: a real gateway in front of the simulator over loopback, rules from the
/// configuration and the admin API, refusals in both dialects.
@Suite("Rate limits")
struct RateLimitTests {
    static let searchKey = "sk-test-search-0123456789abcdef"
    static let adsKey = "sk-test-ads-0123456789abcdef"

    /// Two static keys, of teams `search` and `ads`, and `rules`.
    static func configure(_ rules: [RateLimitRule]) -> @Sendable (inout KeelConfiguration) -> Void {
        { configuration in
            configuration.keys = [
                .init(key: Secret(Self.searchKey), team: "search"),
                .init(key: Secret(Self.adsKey), team: "ads"),
            ]
            configuration.rateLimits = rules
        }
    }

    @Test func aRequestLimitRefusesWithRetryAfterInBothDialectsAndHeadersDescribeTheTightestRule() async throws {
        try await Self.awayFromWindowEdge(3_600)
        let rules = [
            RateLimitRule(id: "search-rpm", teamID: "search", requestsPerWindow: 3, windowSeconds: 3_600),
            RateLimitRule(id: "chat-rpm", model: "keel-sim-chat", requestsPerWindow: 100, windowSeconds: 3_600),
        ]
        try await TestKeel.run(configure: Self.configure(rules)) { keel in
            for expected in [2, 1] {
                let answer = try await keel.post("/v1/chat/completions", json: chatBody("hello"), key: Self.searchKey)
                #expect(answer.status == 200)
                // The team's rule is the tightest: 3 per hour, not the model's 100.
                #expect(answer.headers["x-ratelimit-limit-requests"] == "3")
                #expect(answer.headers["x-ratelimit-remaining-requests"] == String(expected))
                let reset = try #require(answer.headers["x-ratelimit-reset-requests"])
                // Minutes and seconds (`59m58s`); in the window's last minute (a slow run that
                // crosses it), seconds alone.
                #expect(reset.hasSuffix("s") && (reset.contains("m") || Double(reset.dropLast()) != nil), "\(reset)")
            }
            let anthropic = try await keel.post(
                "/v1/messages",
                json: #"{"model":"via-anthropic","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}"#,
                key: Self.searchKey,
                headers: [("anthropic-version", "2023-06-01")]
            )
            #expect(anthropic.status == 200)
            #expect(anthropic.headers["x-ratelimit-remaining-requests"] == "0")

            let refused = try await keel.post("/v1/chat/completions", json: chatBody("again"), key: Self.searchKey)
            #expect(refused.status == 429)
            let error = try #require(refused.json?["error"] as? [String: Any])
            #expect(error["code"] as? String == "rate_limit_exceeded")
            #expect((error["message"] as? String)?.contains("search-rpm") == true)
            let retryAfter = try #require(refused.headers["retry-after"].flatMap { Int($0) })
            #expect(retryAfter >= 1 && retryAfter <= 3_600)

            let refusedAnthropic = try await keel.post(
                "/v1/messages",
                json: #"{"model":"via-anthropic","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}"#,
                key: Self.searchKey,
                headers: [("anthropic-version", "2023-06-01")]
            )
            #expect(refusedAnthropic.status == 429)
            #expect(refusedAnthropic.json?["type"] as? String == "error")
            #expect((refusedAnthropic.json?["error"] as? [String: Any])?["type"] as? String == "rate_limit_error")
            #expect(refusedAnthropic.headers["retry-after"] != nil)

            // Another team is not covered by the team's rule; the model's rule counts it, with the
            // search team's two chats. The refused chat took nothing from the model's rule.
            let other = try await keel.post("/v1/chat/completions", json: chatBody("hello"), key: Self.adsKey)
            #expect(other.status == 200)
            #expect(other.headers["x-ratelimit-limit-requests"] == "100")
            #expect(other.headers["x-ratelimit-remaining-requests"] == "97")

            await keel.shutdown()
            let records = try await keel.records()
            // Refused requests are admitted requests: each leaves its record, as a 429.
            #expect(records.filter { $0.status == 429 && $0.errorClass == "rate_limit_exceeded" }.count == 2)
        }
    }

    @Test func tokensAreReservedAtAdmissionAndCorrectedByRealUsage() async throws {
        try await Self.awayFromWindowEdge(3_600)
        let rules = [RateLimitRule(id: "search-tpm", teamID: "search", tokensPerWindow: 1_500, windowSeconds: 3_600)]
        try await TestKeel.run(configure: Self.configure(rules)) { keel in
            let body = chatBody("count my tokens please", extra: #""max_tokens":1000"#)
            let reserved = body.utf8.count / 4 + 1_000
            let first = try await keel.post("/v1/chat/completions", json: body, key: Self.searchKey)
            #expect(first.status == 200)
            #expect(first.headers["x-ratelimit-limit-tokens"] == "1500")
            #expect(first.headers["x-ratelimit-remaining-tokens"] == String(1_500 - reserved))
            let used = try #require((first.json?["usage"] as? [String: Any])?["total_tokens"] as? Int)
            #expect(used < 200)

            // Without the correction the first reservation would still hold 1,000+ tokens and the
            // second would not fit; it fits because the first was settled at its real usage.
            let second = try await keel.post("/v1/chat/completions", json: body, key: Self.searchKey)
            #expect(second.status == 200)
            #expect(second.headers["x-ratelimit-remaining-tokens"] == String(1_500 - used - reserved))

            // A request that reserves more than the whole limit can never fit: no retry-after.
            let huge = try await keel.post(
                "/v1/chat/completions",
                json: chatBody("big", extra: #""max_tokens":2000"#),
                key: Self.searchKey
            )
            #expect(huge.status == 429)
            #expect(huge.headers["retry-after"] == nil)
            #expect((huge.json?["error"] as? [String: Any])?["message"] as? String ?? "" != "")
        }
    }

    @Test func aResponseCacheHitCountsAsARequestButUsesNoTokens() async throws {
        try await Self.awayFromWindowEdge(3_600)
        let rules = [RateLimitRule(id: "search-tpm", teamID: "search", tokensPerWindow: 5_000, windowSeconds: 3_600)]
        try await TestKeel.run(configure: { configuration in
            Self.configure(rules)(&configuration)
            configuration.cache.enabled = true
        }) { keel in
            let body = chatBody("cache me", extra: #""max_tokens":100"#)
            let reserved = body.utf8.count / 4 + 100
            let miss = try await keel.post("/v1/chat/completions", json: body, key: Self.searchKey)
            #expect(miss.headers["x-keel-cache"] == "miss")
            let used = try #require((miss.json?["usage"] as? [String: Any])?["total_tokens"] as? Int)
            let hit = try await keel.post("/v1/chat/completions", json: body, key: Self.searchKey)
            #expect(hit.headers["x-keel-cache"] == "hit")
            #expect(hit.headers["x-ratelimit-remaining-tokens"] == String(5_000 - used - reserved))
            // The hit gave its reservation back whole: only the miss's tokens are spent.
            let other = try await keel.post(
                "/v1/chat/completions",
                json: chatBody("something else", extra: #""max_tokens":100"#),
                key: Self.searchKey
            )
            let otherReserved = chatBody("something else", extra: #""max_tokens":100"#).utf8.count / 4 + 100
            #expect(other.headers["x-ratelimit-remaining-tokens"] == String(5_000 - used - otherReserved))
        }
    }

    @Test func theConcurrencyLimitCountsStreamsUntilTheyEnd() async throws {
        let rules = [RateLimitRule(id: "search-parallel", teamID: "search", maxConcurrent: 2)]
        try await TestKeel.run(configure: Self.configure(rules)) { keel in
            // Long enough that both still hold their slots when the third asks, on a loaded machine.
            let slow = chatBody("[sim ttft_ms=15000 tokens=5] slow", extra: #""stream":true"#)
            async let one = keel.post("/v1/chat/completions", json: slow, key: Self.searchKey)
            async let two = keel.post("/v1/chat/completions", json: slow, key: Self.searchKey)
            // Both streams admitted (their upstream calls made) before the third asks: with both
            // cores busy, a fixed pause once let the third in first.
            try await eventually(within: .seconds(10)) {
                keel.simulator.requestCount(path: "/v1/chat/completions") >= 2
            }
            let third = try await keel.post("/v1/chat/completions", json: chatBody("now"), key: Self.searchKey)
            #expect(third.status == 429)
            #expect(third.headers["retry-after"] == "1")
            #expect((third.json?["error"] as? [String: Any])?["message"] as? String ?? "" != "")
            let streams = try await [one, two]
            #expect(streams.map(\.status) == [200, 200])
            #expect(streams.allSatisfy { $0.body.contains("[DONE]") })
            let after = try await keel.post("/v1/chat/completions", json: chatBody("now"), key: Self.searchKey)
            #expect(after.status == 200)
        }
    }

    @Test func aStreamCarriesTheHeadersAndTokensAreCorrectedWhenItEnds() async throws {
        try await Self.awayFromWindowEdge(3_600)
        let rules = [
            RateLimitRule(
                id: "search",
                teamID: "search",
                requestsPerWindow: 10,
                tokensPerWindow: 5_000,
                windowSeconds: 3_600
            )
        ]
        try await TestKeel.run(configure: Self.configure(rules)) { keel in
            let body = chatBody(
                "[sim tokens=7] stream",
                extra: #""stream":true,"max_tokens":500,"stream_options":{"include_usage":true}"#
            )
            let stream = try await keel.post("/v1/chat/completions", json: body, key: Self.searchKey)
            #expect(stream.status == 200)
            #expect(stream.headers["x-ratelimit-remaining-requests"] == "9")
            #expect(stream.headers["x-ratelimit-remaining-tokens"] == String(5_000 - body.utf8.count / 4 - 500))
            let usage = try #require(stream.jsonEvents.last?["usage"] as? [String: Any])
            let used = try #require(usage["total_tokens"] as? Int)
            let next = try await keel.post(
                "/v1/chat/completions",
                json: chatBody("x", extra: #""max_tokens":10"#),
                key: Self.searchKey
            )
            let nextReserved = chatBody("x", extra: #""max_tokens":10"#).utf8.count / 4 + 10
            #expect(next.headers["x-ratelimit-remaining-tokens"] == String(5_000 - used - nextReserved))
        }
    }

    @Test func aStreamThatOutgrowsItsReservationIsEndedWhenTheTokenLimitSaysNo() async throws {
        try await Self.awayFromWindowEdge(3_600)
        let rules = [RateLimitRule(id: "search-tpm", teamID: "search", tokensPerWindow: 600, windowSeconds: 3_600)]
        try await TestKeel.run(configure: { configuration in
            Self.configure(rules)(&configuration)
            configuration.budgets.reserveOutputTokens = 20
        }) { keel in
            // No max_tokens: 20 answer tokens are reserved, the simulator streams 3,000; after 20
            // content events the stream asks for 1,024 more, which a limit of 600 cannot give.
            let body = chatBody("[sim tokens=3000 tps=20000] long", extra: #""stream":true"#)
            let stream = try await keel.post("/v1/chat/completions", json: body, key: Self.searchKey)
            #expect(stream.status == 200)
            // Ended early: nowhere near the 3,000 tokens the upstream would have sent.
            #expect(stream.streamedText.split(separator: " ").count < 200)
            #expect(stream.body.contains("rate_limit_exceeded"), "\(stream.body.suffix(300))")
            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(record.outcome == .interrupted)
            #expect(record.errorClass == "rate_limit_exceeded")
        }
    }

    @Test func embeddingsReserveTheirInputAndTheWindowNeverAdmitsMoreThanItsTokens() async throws {
        try await Self.awayFromWindowEdge(3_600)
        let rules = [
            RateLimitRule(id: "embed-tpm", model: "keel-sim-embed", tokensPerWindow: 250, windowSeconds: 3_600)
        ]
        try await TestKeel.run(configure: Self.configure(rules)) { keel in
            let words = (0..<40).map { "word\($0)" }.joined(separator: " ")
            let body = #"{"model":"keel-sim-embed","input":"\#(words)"}"#
            var used: [Int] = []
            var refusal: TestResponse?
            for _ in 0..<10 where refusal == nil {
                let answer = try await keel.post("/v1/embeddings", json: body, key: Self.searchKey)
                if answer.status == 200 {
                    used.append(try #require((answer.json?["usage"] as? [String: Any])?["total_tokens"] as? Int))
                } else {
                    refusal = answer
                }
            }
            let refused = try #require(refusal)
            #expect(refused.status == 429)
            #expect(refused.headers["retry-after"] != nil)
            // Each request reserved body bytes / 4 (76) and was settled at its real usage (80 here:
            // the estimate's shortfall is the stated source of token overshoot), then refused when
            // the next reservation no longer fit.
            #expect(used.count >= 2, "used \(used), reserved \(body.utf8.count / 4) each")
            #expect(used.reduce(0, +) <= 250)
            #expect(used.reduce(0, +) + body.utf8.count / 4 > 250)
        }
    }

    /// Waits, when needed, until the current window of `seconds` has at least 40 s left, so a
    /// test's requests fall into one window.
    static func awayFromWindowEdge(_ seconds: Int) async throws {
        let now = Date().timeIntervalSince1970
        let left = Double(seconds) - now.truncatingRemainder(dividingBy: Double(seconds))
        if left < 40 { try await Task.sleep(for: .milliseconds(Int((left + 0.5) * 1_000))) }
    }
}
