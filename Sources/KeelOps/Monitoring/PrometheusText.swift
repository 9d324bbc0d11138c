/// Writes the Prometheus text exposition format 0.0.4
/// (https://prometheus.io/docs/instrumenting/exposition_formats/).
///
/// Metric names follow the OpenTelemetry GenAI semantic conventions as Prometheus spells them
/// (dots become underscores, the unit is a suffix). Labels are bounded: provider, model and
/// deployment from configuration, error type and class, status class, token type. Never a
/// tenant, team, key or user.
package enum PrometheusText {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    enum Name {
        static let tokenUsage = "gen_ai_client_token_usage"
        static let requestDuration = "gen_ai_server_request_duration_seconds"
        static let timeToFirstToken = "gen_ai_server_time_to_first_token_seconds"
        static let timePerOutputToken = "gen_ai_server_time_per_output_token_seconds"
        static let requests = "keel_requests_total"
        static let errors = "keel_errors_total"
        static let cost = "keel_cost_usd_total"
        static let cacheHits = "keel_cache_hits_total"
        static let cacheSaved = "keel_cache_saved_usd_total"
        static let deploymentHealthy = "keel_deployment_healthy"
        static let breakerState = "keel_circuit_breaker_state"
    }

    static func write(_ registry: PrometheusRegistry, gauges: MonitoringGauges) -> String {
        var out = ""
        let series = registry.series.sorted { $0.key < $1.key }

        self.header(&out, Name.requests, "counter", "Requests completed, by deployment and HTTP status class.")
        for (key, value) in series {
            for (statusClass, count) in value.requestsByStatusClass.sorted(by: { $0.key < $1.key }) {
                self.sample(&out, Name.requests, self.labels(key) + [("status_class", statusClass)], String(count))
            }
        }

        self.header(&out, Name.errors, "counter", "Failed requests, by error type (KeelError code) and error class.")
        for (key, value) in series {
            for (labels, count) in value.errors.sorted(by: { $0.key < $1.key }) {
                let extra = [("error_type", labels.errorType), ("error_class", labels.errorClass.rawValue)]
                self.sample(&out, Name.errors, self.labels(key) + extra, String(count))
            }
        }

        self.header(&out, Name.cost, "counter", "Cost of requests in US dollars.")
        for (key, value) in series {
            self.sample(&out, Name.cost, self.labels(key), self.dollars(value.costNanos))
        }

        self.header(&out, Name.cacheHits, "counter", "Requests answered by the response cache (no upstream call).")
        for (key, value) in series where value.cacheHits > 0 {
            self.sample(&out, Name.cacheHits, self.labels(key), String(value.cacheHits))
        }

        self.header(&out, Name.cacheSaved, "counter", "What response-cache hits saved: the cost of the cached answers, in US dollars.")
        for (key, value) in series where value.cacheHits > 0 {
            self.sample(&out, Name.cacheSaved, self.labels(key), self.dollars(value.cacheSavedNanos))
        }

        self.header(&out, Name.tokenUsage, "histogram", "Tokens used per request, by token type (input, output).")
        for (key, value) in series where value.inputTokens.count > 0 {
            self.histogram(&out, Name.tokenUsage, self.labels(key) + [("gen_ai_token_type", "input")], value.inputTokens)
            self.histogram(&out, Name.tokenUsage, self.labels(key) + [("gen_ai_token_type", "output")], value.outputTokens)
        }

        self.header(&out, Name.requestDuration, "histogram", "Request duration in seconds, as the client saw it.")
        for (key, value) in series {
            for (errorType, histogram) in value.durations.sorted(by: { ($0.key ?? "") < ($1.key ?? "") }) {
                let extra = errorType.map { [("error_type", $0)] } ?? []
                self.histogram(&out, Name.requestDuration, self.labels(key) + extra, histogram)
            }
        }

        self.header(&out, Name.timeToFirstToken, "histogram", "Time to the first output token in seconds, for successful streams.")
        for (key, value) in series where value.timeToFirstToken.count > 0 {
            self.histogram(&out, Name.timeToFirstToken, self.labels(key), value.timeToFirstToken)
        }

        self.header(&out, Name.timePerOutputToken, "histogram", "Time per output token after the first, in seconds.")
        for (key, value) in series where value.timePerOutputToken.count > 0 {
            self.histogram(&out, Name.timePerOutputToken, self.labels(key), value.timePerOutputToken)
        }

        let deployments = gauges.deployments.sorted { $0.key < $1.key }
        if !deployments.isEmpty {
            self.header(&out, Name.deploymentHealthy, "gauge", "1 when the router considers the deployment healthy, else 0.")
            for status in deployments {
                self.sample(&out, Name.deploymentHealthy, self.labels(status.key), status.healthy ? "1" : "0")
            }
            self.header(&out, Name.breakerState, "gauge", "1 for the state the deployment's circuit breaker is in, 0 for the others.")
            for status in deployments {
                for state in CircuitBreakerGaugeState.allCases {
                    let value = state == status.breaker ? "1" : "0"
                    self.sample(&out, Name.breakerState, self.labels(status.key) + [("state", state.rawValue)], value)
                }
            }
        }
        return out
    }

    private static func labels(_ key: DeploymentSeriesKey) -> [(String, String)] {
        [("gen_ai_provider_name", key.provider), ("gen_ai_request_model", key.model), ("deployment", key.deployment)]
    }

    package static func header(_ out: inout String, _ name: String, _ type: String, _ help: String) {
        out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    private static func histogram(_ out: inout String, _ name: String, _ labels: [(String, String)], _ histogram: PrometheusHistogram) {
        for (bound, count) in histogram.cumulativeBuckets {
            self.sample(&out, name + "_bucket", labels + [("le", bound)], String(count))
        }
        self.sample(&out, name + "_sum", labels, self.number(histogram.sum))
        self.sample(&out, name + "_count", labels, String(histogram.count))
    }

    package static func sample(_ out: inout String, _ name: String, _ labels: [(String, String)], _ value: String) {
        out += name
        if !labels.isEmpty {
            out += "{"
            for (index, label) in labels.enumerated() {
                if index > 0 { out += "," }
                out += label.0 + "=\"" + self.escape(label.1) + "\""
            }
            out += "}"
        }
        out += " " + value + "\n"
    }

    /// Label values escape backslash, double quote and line feed.
    static func escape(_ value: String) -> String {
        var result = ""
        result.reserveCapacity(value.utf8.count)
        for character in value.unicodeScalars {
            switch character {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }

    package static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value.rounded() == value && abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// Nano-dollars as dollars, exactly (no binary floating point on the way).
    static func dollars(_ nanos: Int64) -> String {
        USDText.decimal(nanos)
    }
}

enum USDText {
    static func decimal(_ nanos: Int64) -> String {
        let negative = nanos < 0
        let magnitude = nanos.magnitude
        let fraction = String(magnitude % 1_000_000_000)
        return (negative ? "-" : "") + "\(magnitude / 1_000_000_000)." + String(repeating: "0", count: 9 - fraction.count) + fraction
    }
}
