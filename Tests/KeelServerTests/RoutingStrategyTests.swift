import Foundation
import KeelCore
import KeelServer
import KeelSimulator
import KeelTesting
import NIOHTTP1
import Testing

/// Routing strategies, circuit breakers and per-deployment limits, end to end over loopback.
@Suite("Routing strategies and breakers")
struct RoutingStrategyTests {
    @Test func aDeploymentThatKeepsFailingIsBenchedAndTheBreakerShowsInDeploymentsAndMetrics() async throws {
        try await TestKeel.run(configure: { configuration in
            configuration.providers.append(.init(name: "dead", kind: .openai, baseURL: "http://127.0.0.1:1/v1"))
            configuration.models.append(
                .init(
                    name: "ha",
                    routes: [.init(provider: "dead", model: "keel-sim-chat"), .init(provider: "sim", model: "keel-sim-chat")],
                    maxRetries: 0,
                    breaker: .init(allowedFailures: 2, cooldown: .seconds(60))
                )
            )
        }) { keel in
            // Three connection failures in a row open the dead deployment's breaker…
            for index in 0..<3 {
                let response = try await keel.post("/v1/chat/completions", json: chatBody("failover \(index)", model: "ha"))
                #expect(response.status == 200)
                #expect(response.headers["x-keel-attempts"] == "2")
            }
            // …so later requests go straight to the healthy one.
            for index in 0..<3 {
                let response = try await keel.post("/v1/chat/completions", json: chatBody("benched \(index)", model: "ha"))
                #expect(response.status == 200)
                #expect(response.headers["x-keel-attempts"] == "1")
                #expect(response.headers["x-keel-provider"] == "sim")
            }
            let deployments = try await keel.send(.GET, "/admin/v1/deployments")
            #expect(deployments.status == 200)
            let ha = try #require((deployments.json?["data"] as? [[String: Any]])?.first { $0["model"] as? String == "ha" })
            #expect(ha["strategy"] as? String == "priority")
            let states = (ha["deployments"] as? [[String: Any]] ?? []).map { ($0["provider"] as? String ?? "", $0["breaker"] as? String ?? "") }
            #expect(states.map(\.0) == ["dead", "sim"])
            #expect(states.map(\.1) == ["open", "closed"])
            let dead = try #require((ha["deployments"] as? [[String: Any]])?.first)
            #expect(dead["healthy"] as? Bool == false)
            #expect((dead["reopens_in_ms"] as? Int ?? 0) > 50_000)
            #expect(dead["trips"] as? Int == 1)

            let metrics = try await keel.send(.GET, "/metrics", key: nil)
            #expect(metrics.body.contains(#"keel_circuit_breaker_state{gen_ai_provider_name="dead",gen_ai_request_model="ha",deployment="keel-sim-chat",state="open"} 1"#))
            #expect(metrics.body.contains(#"keel_deployment_healthy{gen_ai_provider_name="sim",gen_ai_request_model="ha",deployment="keel-sim-chat"} 1"#))
        }
    }

    @Test func whenEveryDeploymentIsBenchedOneIsStillTriedRatherThanRefusingEveryone() async throws {
        try await TestKeel.run(configure: { configuration in
            configuration.providers.append(.init(name: "dead", kind: .openai, baseURL: "http://127.0.0.1:1/v1"))
            configuration.models.append(
                .init(name: "doomed", routes: [.init(provider: "dead", model: "x")], maxRetries: 0, breaker: .init(allowedFailures: 0, cooldown: .seconds(60)))
            )
        }) { keel in
            for _ in 0..<3 {
                let response = try await keel.post("/v1/chat/completions", json: chatBody("hello", model: "doomed"))
                // Still one real attempt each (the last resort), so the client sees the upstream's failure.
                #expect(response.status == 502)
                #expect(response.headers["x-keel-attempts"] == nil || response.headers["x-keel-attempts"] == "1")
            }
            await keel.shutdown()
            let records = try await keel.records()
            #expect(records.count == 3 && records.allSatisfy { $0.attempts == 1 && $0.errorClass == "upstream_unavailable" })
        }
    }

    @Test func weightedRoutingSplitsTrafficByWeight() async throws {
        try await TestKeel.run(configure: { configuration in
            configuration.models.append(
                .init(
                    name: "split",
                    routes: [.init(provider: "sim", model: "keel-sim-chat", weight: 3), .init(provider: "sim-anthropic", model: "keel-sim-chat", weight: 1)],
                    strategy: .weighted
                )
            )
        }) { keel in
            var counts: [String: Int] = [:]
            for index in 0..<200 {
                let response = try await keel.post("/v1/chat/completions", json: chatBody("split \(index)", model: "split"))
                counts[response.headers["x-keel-provider"] ?? "?", default: 0] += 1
            }
            // 150 expected on the weight-3 deployment; ±5 σ of a binomial(200, 0.75) is about ±31.
            #expect((119...181).contains(counts["sim"] ?? 0), "\(counts)")
            #expect((counts["sim"] ?? 0) + (counts["sim-anthropic"] ?? 0) == 200)
        }
    }

    @Test func aDeploymentAtItsRequestsPerMinuteIsSkippedForTheNext() async throws {
        try await TestKeel.run(configure: { configuration in
            configuration.models.append(
                .init(
                    name: "limited",
                    routes: [.init(provider: "sim", model: "keel-sim-chat", rpm: 3), .init(provider: "sim-anthropic", model: "keel-sim-chat")]
                )
            )
        }) { keel in
            var providers: [String] = []
            for index in 0..<6 {
                let response = try await keel.post("/v1/chat/completions", json: chatBody("limit \(index)", model: "limited"))
                #expect(response.status == 200)
                providers.append(response.headers["x-keel-provider"] ?? "?")
            }
            #expect(providers == ["sim", "sim", "sim", "sim-anthropic", "sim-anthropic", "sim-anthropic"])
        }
    }

    @Test func routingKeysAreReadFromYAMLAndCheckedWithTheirKeyPaths() throws {
        let yaml = """
            providers: [ { name: sim, kind: simulator } ]
            models:
              - name: m
                strategy: least_latency
                routes: [ { provider: sim, model: a, weight: 2, rpm: 100, tpm: 20000 } ]
                breaker: { allowed_failures: 5, failure_rate: 0.25, min_requests: 20, cooldown_ms: 1000, max_cooldown_ms: 8000 }
            """
        let configuration = try KeelConfiguration.parse(yaml: yaml, environment: [:])
        let model = try #require(configuration.models.first)
        #expect(model.strategy == .leastLatency)
        #expect(model.routes.first == .init(provider: "sim", model: "a", weight: 2, rpm: 100, tpm: 20_000))
        #expect(model.breaker == .init(allowedFailures: 5, failureRate: 0.25, minRequests: 20, cooldown: .seconds(1), maxCooldown: .seconds(8)))

        let bad = """
            providers: [ { name: sim, kind: simulator } ]
            models:
              - { name: m, strategy: fastest, routes: [ { provider: sim, model: a } ], breaker: { failure_rate: 2 } }
            """
        do {
            _ = try KeelConfiguration.parse(yaml: bad, environment: [:])
            Issue.record("expected a ConfigurationError")
        } catch let error as ConfigurationError {
            let keys = Set(error.issues.map(\.key))
            #expect(keys.isSuperset(of: ["models[0].strategy", "models[0].breaker.failure_rate"]))
        }
    }

    @Test func leastLatencySendsStreamsToTheDeploymentWithTheFasterFirstToken() async throws {
        let models = SimulatedModel.defaults + [
            // Far apart, so that a loaded test machine cannot make the fast one look slower.
            SimulatedModel(name: "slow-first-token", kind: .chat, ttftMs: 1_500),
            SimulatedModel(name: "fast-first-token", kind: .chat, ttftMs: 0),
        ]
        try await TestKeel.run(simulator: SimulatorConfiguration(models: models), configure: { configuration in
            configuration.models.append(
                .init(
                    name: "quickest",
                    routes: [.init(provider: "sim", model: "slow-first-token"), .init(provider: "sim-anthropic", model: "fast-first-token")],
                    strategy: .leastLatency
                )
            )
        }) { keel in
            var providers: [String] = []
            for index in 0..<8 {
                let response = try await keel.post("/v1/chat/completions", json: chatBody("quick \(index)", model: "quickest", extra: #""stream":true"#))
                #expect(response.status == 200)
                providers.append(response.headers["x-keel-provider"] ?? "?")
            }
            // Both are measured first (unmeasured deployments are explored), then the one whose
            // first token comes sooner takes the traffic.
            #expect(Set(providers.prefix(2)) == ["sim", "sim-anthropic"])
            #expect(providers.dropFirst(2).allSatisfy { $0 == "sim-anthropic" }, "\(providers)")
            let deployments = try await keel.send(.GET, "/admin/v1/deployments")
            let quickest = try #require((deployments.json?["data"] as? [[String: Any]])?.first { $0["model"] as? String == "quickest" })
            let ttfts = (quickest["deployments"] as? [[String: Any]] ?? []).map { $0["ttft_ewma_ms"] as? Double ?? -1 }
            #expect(ttfts.count == 2 && ttfts[0] > ttfts[1] && ttfts[0] >= 1_500)
        }
    }

    @Test func anOpenBreakerSendsOneProbeAfterItsCooldownAndClosesOrReopensOnItsOutcome() async throws {
        try await TestKeel.run(configure: { configuration in
            configuration.models.append(
                .init(
                    name: "probed",
                    routes: [.init(provider: "sim", model: "keel-sim-chat"), .init(provider: "sim-anthropic", model: "keel-sim-reasoning")],
                    maxRetries: 0,
                    // Cooldowns long enough that two requests in a row never outlast one, even with
                    // both cores busy (a 3 s cooldown once ran out between them).
                    breaker: .init(allowedFailures: 0, cooldown: .seconds(8), maxCooldown: .seconds(60))
                )
            )
        }) { keel in
            func breaker() async throws -> (state: String, trips: Int) {
                let body = try await keel.send(.GET, "/admin/v1/deployments").json
                let model = try #require((body?["data"] as? [[String: Any]])?.first { $0["model"] as? String == "probed" })
                let first = try #require((model["deployments"] as? [[String: Any]])?.first)
                return (first["breaker"] as? String ?? "?", first["trips"] as? Int ?? -1)
            }
            func ask(_ text: String) async throws -> String {
                let response = try await keel.post("/v1/chat/completions", json: chatBody(text, model: "probed"))
                #expect(response.status == 200)
                return response.headers["x-keel-provider"] ?? "?"
            }
            // One 503 opens the first deployment's breaker (allowed_failures 0).
            keel.simulator.script.enqueue(try SimulatorDirectives(parsing: "status=503"), model: "keel-sim-chat", count: 1)
            #expect(try await ask("trip") == "sim-anthropic")
            #expect(try await breaker() == ("open", 1))
            #expect(try await ask("while open") == "sim-anthropic")

            // After the cooldown one probe goes to it; it fails, so the breaker reopens, longer.
            try await Task.sleep(for: .milliseconds(8_200))
            keel.simulator.script.enqueue(try SimulatorDirectives(parsing: "status=503"), model: "keel-sim-chat", count: 1)
            #expect(try await ask("failed probe") == "sim-anthropic")
            #expect(try await breaker() == ("open", 2))

            // The next cooldown is 16 s: the probe after it succeeds and closes the breaker.
            #expect(try await ask("still open") == "sim-anthropic")
            try await Task.sleep(for: .milliseconds(16_200))
            #expect(try await ask("good probe") == "sim")
            #expect(try await breaker().state == "closed")
            #expect(try await ask("recovered") == "sim")
        }
    }
}

