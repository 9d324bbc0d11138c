import Foundation
import KeelCore
import KeelServer
import KeelTesting
import NIOHTTP1
import Testing

@Suite("Prometheus /metrics")
struct MetricsEndpointTests {
    /// `name{labels} value` lines of a Prometheus text exposition, with its HELP/TYPE names.
    struct Exposition {
        var samples: [(name: String, labels: [String: String], value: Double)] = []
        var types: [String: String] = [:]

        init(_ text: String) throws {
            for line in text.split(separator: "\n") {
                if line.hasPrefix("# TYPE ") {
                    let parts = line.split(separator: " ")
                    self.types[String(parts[2])] = String(parts[3])
                    continue
                }
                guard !line.hasPrefix("#") else { continue }
                let valueStart = try #require(line.lastIndex(of: " "))
                let series = line[..<valueStart]
                let value = try #require(Double(line[line.index(after: valueStart)...]))
                var labels: [String: String] = [:]
                var name = String(series)
                if let open = series.firstIndex(of: "{") {
                    name = String(series[..<open])
                    let body = series[series.index(after: open)..<series.index(before: series.endIndex)]
                    for pair in body.split(separator: ",") {
                        let kv = pair.split(separator: "=", maxSplits: 1)
                        labels[String(kv[0])] = String(kv[1]).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                    }
                }
                self.samples.append((name, labels, value))
            }
        }

        func sum(_ name: String, where match: ([String: String]) -> Bool = { _ in true }) -> Double {
            self.samples.filter { $0.name == name && match($0.labels) }.reduce(0) { $0 + $1.value }
        }
    }

    @Test func metricsCountEveryRequestWithBoundedLabelsAndNoTenants() async throws {
        try await TestKeel.run { keel in
            for content in ["one", "two", "three"] {
                #expect(try await keel.post("/v1/chat/completions", json: chatBody(content, model: "via-anthropic")).status == 200)
            }
            #expect(try await keel.post("/v1/chat/completions", json: chatBody("[sim status=400]")).status == 400)
            // Records reach the engine from the recorder, a flush interval after they are made.
            var exposition = try Exposition("")
            let deadline = ContinuousClock.now + .seconds(5)
            repeat {
                try await Task.sleep(for: .milliseconds(50))
                let response = try await keel.send(.GET, "/metrics", key: nil)
                #expect(response.status == 200)
                #expect(response.headers["content-type"]?.hasPrefix("text/plain") == true)
                exposition = try Exposition(response.body)
            } while exposition.sum("keel_requests_total") < 4 && ContinuousClock.now < deadline

            #expect(exposition.sum("keel_requests_total") == 4)
            #expect(exposition.sum("keel_requests_total") { $0["gen_ai_provider_name"] == "sim-anthropic" } == 3)
            #expect(exposition.sum("keel_errors_total") >= 1)
            #expect(exposition.types["gen_ai_server_request_duration_seconds"] == "histogram")
            #expect(exposition.sum("gen_ai_client_token_usage_sum") > 0 || exposition.sum("gen_ai_client_token_usage_total") > 0)
            // Bounded labels only: no keys, teams or users.
            let labelNames = Set(exposition.samples.flatMap { $0.labels.keys })
            #expect(labelNames.isDisjoint(with: ["team", "key", "key_id", "user", "project"]))
            #expect(!exposition.samples.contains { $0.labels.values.contains("admin") })
        }
    }

    @Test func theShippedGrafanaDashboardQueriesOnlyMetricsAndLabelsKeelExposes() async throws {
        let dashboardURL = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/grafana/keel-dashboard.json")
        let dashboard = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dashboardURL)) as? [String: Any])
        let expressions = (dashboard["panels"] as? [[String: Any]] ?? []).flatMap { panel in
            (panel["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String }
        }
        #expect(expressions.count >= 9)
        let names = Set(expressions.flatMap { expression in
            expression.matches(of: /(keel|gen_ai)_[a-z_]+/).map { match -> String in
                var name = String(match.output.0)
                for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
                return name
            }
        }.filter { !["gen_ai_provider_name", "gen_ai_request_model", "gen_ai_token_type"].contains($0) })
        try await TestKeel.run { keel in
            #expect(try await keel.post("/v1/chat/completions", json: chatBody("dash", extra: #""stream":true"#)).status == 200)
            var exposition = try Exposition("")
            let deadline = ContinuousClock.now + .seconds(5)
            repeat {
                try await Task.sleep(for: .milliseconds(50))
                exposition = try Exposition(try await keel.send(.GET, "/metrics", key: nil).body)
            } while exposition.sum("keel_requests_total") < 1 && ContinuousClock.now < deadline
            for name in names {
                #expect(exposition.types[name] != nil, "the dashboard queries \(name), which /metrics does not expose")
            }
        }
    }
}

