import KeelCore
import KeelOps
import Testing

/// A small parser of the Prometheus text format 0.0.4, strict enough to catch what a scraper
/// would reject.
struct PrometheusExposition {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    enum ParseError: Error { case malformed(String) }

    var help: [String: String] = [:]
    var types: [String: String] = [:]
    var samples: [Sample] = []

    init(_ text: String) throws {
        #expect(text.hasSuffix("\n"))
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                guard let space = rest.firstIndex(of: " ") else { throw ParseError.malformed(String(line)) }
                self.help[String(rest[..<space])] = String(rest[rest.index(after: space)...])
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                guard parts.count == 2, ["counter", "gauge", "histogram", "summary", "untyped"].contains(String(parts[1])) else {
                    throw ParseError.malformed(String(line))
                }
                guard self.types[String(parts[0])] == nil else { throw ParseError.malformed("duplicate TYPE \(line)") }
                self.types[String(parts[0])] = String(parts[1])
            } else if line.hasPrefix("#") {
                continue
            } else {
                self.samples.append(try Self.sample(Substring(line)))
                let name = self.samples.last!.name
                guard self.family(of: name) != nil else { throw ParseError.malformed("sample before its TYPE: \(line)") }
            }
        }
    }

    /// The declared family a sample name belongs to (`x_bucket` belongs to histogram `x`).
    func family(of name: String) -> String? {
        if self.types[name] != nil { return name }
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if self.types[base] == "histogram" { return base }
        }
        return nil
    }

    static func sample(_ line: Substring) throws -> Sample {
        var index = line.startIndex
        while index < line.endIndex, line[index].isLetter || line[index].isNumber || line[index] == "_" || line[index] == ":" {
            index = line.index(after: index)
        }
        let name = String(line[..<index])
        guard let first = name.first, first.isLetter || first == "_" else { throw ParseError.malformed(String(line)) }
        var labels: [String: String] = [:]
        if index < line.endIndex, line[index] == "{" {
            index = line.index(after: index)
            while line[index] != "}" {
                let equals = try #require(line[index...].firstIndex(of: "="))
                let label = String(line[index..<equals])
                guard label.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { throw ParseError.malformed(String(line)) }
                index = line.index(after: equals)
                guard line[index] == "\"" else { throw ParseError.malformed(String(line)) }
                index = line.index(after: index)
                var value = ""
                while line[index] != "\"" {
                    if line[index] == "\\" {
                        index = line.index(after: index)
                        switch line[index] {
                        case "n": value.append("\n")
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        default: throw ParseError.malformed(String(line))
                        }
                    } else {
                        value.append(line[index])
                    }
                    index = line.index(after: index)
                }
                guard labels[label] == nil else { throw ParseError.malformed("duplicate label in \(line)") }
                labels[label] = value
                index = line.index(after: index)
                if line[index] == "," { index = line.index(after: index) }
            }
            index = line.index(after: index)
        }
        guard index < line.endIndex, line[index] == " " else { throw ParseError.malformed(String(line)) }
        let text = line[line.index(after: index)...]
        let value: Double? =
            switch text {
            case "+Inf": .infinity
            case "-Inf": -.infinity
            case "NaN": .nan
            default: Double(text)
            }
        guard let value else { throw ParseError.malformed(String(line)) }
        return Sample(name: name, labels: labels, value: value)
    }

    func samples(_ name: String, _ labels: [String: String] = [:]) -> [Sample] {
        self.samples.filter { sample in sample.name == name && labels.allSatisfy { key, value in sample.labels[key] == value } }
    }

    func value(_ name: String, _ labels: [String: String]) -> Double? {
        let matching = self.samples(name, labels)
        return matching.count == 1 ? matching[0].value : nil
    }
}

@Suite("Prometheus exposition")
struct PrometheusExpositionTests {
    typealias F = MonitoringFixtures

    static func makeEngine() throws -> MonitoringEngine {
        let clock = ManualMonitoringClock(F.start)
        let engine = try MonitoringEngine(configuration: .init(maxDeploymentSeries: 2), clock: clock)
        var generator = SeededGenerator(seed: 7)
        for index in 0..<500 {
            let total = Int64.random(in: 50_000...30_000_000, using: &generator)
            engine.ingest(
                F.record(
                    endingAt: F.start + Int64(index),
                    deployment: index % 2 == 0 ? "east" : "we\"st\\",
                    team: "secret-team-\(index)",
                    totalMicros: total,
                    ttftMicros: total / 4,
                    outputTokens: Int64(index % 700) + 2,
                    inputTokens: 1_000,
                    cost: 1_234_567,
                    errorClass: index % 10 == 0 ? "upstream_timeout" : (index % 25 == 1 ? "made_up_code" : nil),
                    status: index % 10 == 0 ? 504 : (index % 25 == 1 ? 500 : nil)
                )
            )
        }
        // A third deployment past the cap of two.
        engine.ingest(F.record(endingAt: F.start, provider: "anthropic", model: "claude", deployment: "haiku"))
        return engine
    }

    @Test func everySampleHasHelpAndTypeAndOnlyBoundedLabels() throws {
        let engine = try Self.makeEngine()
        let text = engine.prometheusText(
            extraGauges: MonitoringGauges(deployments: [
                DeploymentStatus(provider: "openai", model: "gpt-test", deployment: "east", healthy: false, breaker: .open)
            ])
        )
        let exposition = try PrometheusExposition(text)
        #expect(
            Set(exposition.types.keys) == [
                "keel_requests_total", "keel_errors_total", "keel_cost_usd_total", "gen_ai_client_token_usage",
                "gen_ai_server_request_duration_seconds", "gen_ai_server_time_to_first_token_seconds",
                "gen_ai_server_time_per_output_token_seconds", "keel_deployment_healthy", "keel_circuit_breaker_state",
                "keel_cache_hits_total", "keel_cache_saved_usd_total",
            ]
        )
        #expect(Set(exposition.help.keys) == Set(exposition.types.keys))
        #expect(exposition.types["gen_ai_server_request_duration_seconds"] == "histogram")
        #expect(exposition.types["keel_requests_total"] == "counter")
        #expect(exposition.types["keel_deployment_healthy"] == "gauge")
        let allowed: Set<String> = [
            "gen_ai_provider_name", "gen_ai_request_model", "deployment", "error_type", "error_class", "status_class",
            "gen_ai_token_type", "le", "state",
        ]
        for sample in exposition.samples {
            #expect(Set(sample.labels.keys).isSubset(of: allowed), "\(sample)")
            #expect(!sample.labels.values.contains { $0.hasPrefix("secret-team") })
        }
        #expect(!text.contains("secret-team"))
        // The escaped deployment name survives the round trip.
        let cost = try #require(exposition.value("keel_cost_usd_total", ["deployment": "we\"st\\"]))
        #expect(abs(cost - 0.30864175) < 1e-12)
        #expect(text.contains(#"keel_cost_usd_total{gen_ai_provider_name="openai",gen_ai_request_model="gpt-test",deployment="we\"st\\"} 0.308641750"#))
        #expect(exposition.value("keel_deployment_healthy", ["deployment": "east"]) == 0)
        #expect(exposition.samples("keel_circuit_breaker_state").map(\.value).sorted() == [0, 0, 1])
        #expect(exposition.value("keel_circuit_breaker_state", ["state": "open"]) == 1)
    }

    @Test func countersMatchWhatWasIngested() throws {
        let exposition = try PrometheusExposition(try Self.makeEngine().prometheusText())
        let east = ["deployment": "east"]
        // Even indexes: 50 of 250 are timeouts (every tenth) and 10 made-up 500s (26, 76, …).
        #expect(exposition.value("keel_requests_total", east.merging(["status_class": "5xx"]) { a, _ in a }) == 60)
        #expect(exposition.value("keel_requests_total", east.merging(["status_class": "2xx"]) { a, _ in a }) == 190)
        #expect(exposition.value("keel_errors_total", east.merging(["error_type": "upstream_timeout"]) { a, _ in a }) == 50)
        #expect(exposition.value("keel_errors_total", ["deployment": "we\"st\\", "error_type": "other", "error_class": "upstream"]) == 10)
        // Past the cap: counted under other, never under its own name.
        #expect(exposition.value("keel_requests_total", ["deployment": "other", "status_class": "2xx"]) == 1)
        #expect(exposition.samples("keel_requests_total", ["deployment": "haiku"]).isEmpty)
        #expect(exposition.value("gen_ai_client_token_usage_count", east.merging(["gen_ai_token_type": "input"]) { a, _ in a }) == 250)
        #expect(exposition.value("gen_ai_client_token_usage_sum", east.merging(["gen_ai_token_type": "input"]) { a, _ in a }) == 250_000)
    }

    @Test func histogramsAreCumulativeAndEndWithTheirCount() throws {
        let exposition = try PrometheusExposition(try Self.makeEngine().prometheusText())
        var checked = 0
        for (family, type) in exposition.types where type == "histogram" {
            // One histogram per distinct label set without `le`.
            var series: [[String: String]: [(Double, Double)]] = [:]
            for sample in exposition.samples(family + "_bucket") {
                var labels = sample.labels
                let removed = labels.removeValue(forKey: "le")
                let bound = try #require(removed)
                series[labels, default: []].append((bound == "+Inf" ? .infinity : try #require(Double(bound)), sample.value))
            }
            #expect(!series.isEmpty, "\(family) has no buckets")
            for (labels, buckets) in series {
                #expect(buckets.map(\.0) == buckets.map(\.0).sorted(), "bounds ascend in \(family)")
                #expect(buckets.last?.0 == .infinity)
                for (lower, upper) in zip(buckets, buckets.dropFirst()) {
                    #expect(lower.1 <= upper.1, "\(family) \(labels) buckets are cumulative")
                }
                let count = exposition.samples.filter { $0.name == family + "_count" && $0.labels == labels }
                #expect(count.count == 1 && buckets.last?.1 == count.first?.value, "\(family) \(labels) _count")
                let sum = exposition.samples.filter { $0.name == family + "_sum" && $0.labels == labels }
                #expect(sum.count == 1 && sum[0].value >= 0, "\(family) \(labels) _sum")
                checked += 1
            }
        }
        #expect(checked >= 8)
        // Request duration has the OpenTelemetry GenAI advice bounds: 0.01 s to 81.92 s.
        let bounds = Set(exposition.samples("gen_ai_server_request_duration_seconds_bucket").compactMap { $0.labels["le"] })
        #expect(bounds == ["0.01", "0.02", "0.04", "0.08", "0.16", "0.32", "0.64", "1.28", "2.56", "5.12", "10.24", "20.48", "40.96", "81.92", "+Inf"])
    }
}
