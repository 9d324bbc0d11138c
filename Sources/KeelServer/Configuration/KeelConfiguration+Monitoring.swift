import KeelCore
import KeelOps

extension KeelConfiguration {
    /// Reads `monitoring:`.
    ///
    /// ```yaml
    /// monitoring:
    ///   max_deployment_series: 100
    ///   max_team_series: 100
    ///   alert_interval_ms: 15000
    ///   webhooks: [ { url: "https://hooks.slack.com/services/…", format: slack } ]
    ///   slos:                       # each gives an SRE-workbook page rule (14.4× over 1 h and 5 m)
    ///     - { name: availability, target: 0.999 }     # and ticket rule (6× over 6 h and 30 m)
    ///     - { name: fast-answers, target: 0.99, latency: ttft, threshold_ms: 2000, model: gpt-4o }
    ///   alerts:
    ///     - { name: errors, metric: error_rate, window: 5m, above: 0.05, for: 2m, severity: page, group_by: model }
    ///     - { name: latency-jump, metric: latency_p95, window: 10m, change: true, above: 0.5 }  # rose by 0.5 s
    /// ```
    static func readMonitoring(_ node: ConfigNode) -> Monitoring {
        node.expectKeys(["max_deployment_series", "max_team_series", "alert_interval_ms", "webhooks", "slos", "alerts"])
        var monitoring = Monitoring(
            maxDeploymentSeries: node.child("max_deployment_series").int(default: 100, range: 1...10_000),
            maxTeamSeries: node.child("max_team_series").int(default: 100, range: 1...10_000),
            alertInterval: node.child("alert_interval_ms").milliseconds(default: .seconds(15))
        )
        monitoring.webhooks = node.child("webhooks").elements.compactMap { Self.readWebhook($0, extraKeys: []) }
        for slo in node.child("slos").elements {
            slo.expectKeys([
                "name", "target", "latency", "threshold_ms", "provider", "model", "deployment", "team", "group_by",
            ])
            guard let name = slo.child("name").requiredString() else { continue }
            guard let targetText = slo.child("target").text, let target = Double(targetText), target > 0, target < 1
            else {
                slo.context.report(slo.child("target").path, "must be a fraction between 0 and 1, like 0.999")
                continue
            }
            let objective: ServiceLevelObjective
            if let measureText = slo.child("latency").text {
                guard let measure = LatencyMeasure(rawValue: measureText) else {
                    slo.context.report(
                        slo.child("latency").path,
                        "must be one of \(LatencyMeasure.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                    continue
                }
                guard slo.child("threshold_ms").isPresent else {
                    slo.context.report(slo.child("threshold_ms").path, "is required for a latency objective")
                    continue
                }
                objective = .latency(
                    name,
                    target: target,
                    measure: measure,
                    threshold: slo.child("threshold_ms").milliseconds(default: .zero)
                )
            } else {
                objective = .availability(name, target: target)
            }
            let selector = Self.readSelector(slo)
            let groupBy = Self.readGrouping(slo.child("group_by"))
            monitoring.rules.append(.burnRatePage(objective, selector: selector, groupBy: groupBy))
            monitoring.rules.append(.burnRateTicket(objective, selector: selector, groupBy: groupBy))
        }
        for alert in node.child("alerts").elements {
            alert.expectKeys([
                "name", "metric", "window", "above", "below", "for", "severity", "group_by", "provider", "model",
                "deployment", "team",
                "summary", "change",
            ])
            guard let name = alert.child("name").requiredString(),
                let metricText = alert.child("metric").requiredString()
            else { continue }
            guard let metric = Self.metric(metricText) else {
                alert.context.report(
                    alert.child("metric").path,
                    "unknown metric '\(metricText)'; use requests_per_minute, error_rate, tokens_per_minute, cost_per_minute_usd, "
                        + "cost_per_request_usd, or latency|ttft|upstream_latency|time_per_output_token _p50|_p95|_p99, or output_tokens_per_second_p50"
                )
                continue
            }
            let window = Self.duration(alert.child("window"), default: .seconds(300))
            let comparison: AlertComparison
            let threshold: Double
            if let above = alert.child("above").text.flatMap(Double.init) {
                (comparison, threshold) = (.above, above)
            } else if let below = alert.child("below").text.flatMap(Double.init) {
                (comparison, threshold) = (.below, below)
            } else {
                alert.context.report(alert.path, "needs a number in 'above' or 'below'")
                continue
            }
            let severityText = alert.child("severity").string(default: "page")!
            guard let severity = AlertSeverity(rawValue: severityText) else {
                alert.context.report(alert.child("severity").path, "must be page, ticket or info")
                continue
            }
            let rule = AlertRule(
                name: name,
                severity: severity,
                // `change: true` compares the metric's rise (or fall) against the window before.
                condition: alert.child("change").text == "true"
                    ? .rateOfChange(metric, window: window, comparison, threshold)
                    : .threshold(metric, window: window, comparison, threshold),
                selector: Self.readSelector(alert),
                groupBy: Self.readGrouping(alert.child("group_by")),
                pendingFor: Self.duration(alert.child("for"), default: .zero),
                summary: alert.child("summary").text
            )
            do {
                try rule.validate()
                monitoring.rules.append(rule)
            } catch {
                alert.context.report(alert.path, error.reason)
            }
        }
        return monitoring
    }

    /// `requests_per_minute`, `error_rate`, `latency_p99`, `ttft_p95`, … as a monitored metric.
    static func metric(_ text: String) -> MonitoredMetric? {
        switch text {
        case "requests_per_minute": return .requestsPerMinute
        case "error_rate": return .errorRate(nil)
        case "tokens_per_minute": return .tokensPerMinute
        case "cost_per_minute_usd": return .costPerMinuteUSD
        case "cost_per_request_usd": return .costPerRequestUSD
        case "agent_task_success_rate": return .agentTaskSuccessRate
        default: break
        }
        guard let underscore = text.lastIndex(of: "_"), text[text.index(after: underscore)...].hasPrefix("p"),
            let percentile = Double(text[text.index(underscore, offsetBy: 2)...])
        else { return nil }
        switch text[..<underscore] {
        case "latency": return .latencySeconds(.total, percentile: percentile)
        case "ttft": return .latencySeconds(.timeToFirstToken, percentile: percentile)
        case "upstream_latency": return .latencySeconds(.upstream, percentile: percentile)
        case "time_per_output_token": return .latencySeconds(.timePerOutputToken, percentile: percentile)
        case "output_tokens_per_second": return .outputTokensPerSecond(percentile: percentile)
        default: return nil
        }
    }

    /// `30s`, `5m`, `1h` (or a number of seconds).
    static func duration(_ node: ConfigNode, default value: Duration) -> Duration {
        guard let text = node.text else { return value }
        let units: [(suffix: String, seconds: Int64)] = [("ms", 0), ("s", 1), ("m", 60), ("h", 3_600)]
        for unit in units where text.hasSuffix(unit.suffix) {
            guard let number = Int64(text.dropLast(unit.suffix.count)), number >= 0 else { break }
            return unit.seconds == 0 ? .milliseconds(number) : .seconds(number * unit.seconds)
        }
        if let seconds = Int64(text), seconds >= 0 { return .seconds(seconds) }
        node.context.report(node.path, "must be a duration like 30s, 5m or 1h, got '\(text)'")
        return value
    }

    static func readSelector(_ node: ConfigNode) -> SeriesSelector {
        if let provider = node.child("provider").text { return .provider(provider) }
        if let model = node.child("model").text { return .model(model) }
        if let deployment = node.child("deployment").text { return .deployment(deployment) }
        if let team = node.child("team").text { return .team(team) }
        return .all
    }

    static func readGrouping(_ node: ConfigNode) -> MetricsGrouping? {
        guard let text = node.text else { return nil }
        guard let grouping = MetricsGrouping(rawValue: text) else {
            node.context.report(
                node.path,
                "must be one of \(MetricsGrouping.allCases.map(\.rawValue).joined(separator: ", "))"
            )
            return nil
        }
        return grouping
    }

    /// Reads one webhook receiver {`url` (http or https), `format` (`json` or `slack`)} and the
    /// `extraKeys` its list allows.
    static func readWebhook(_ node: ConfigNode, extraKeys: Set<String>) -> Monitoring.Webhook? {
        node.expectKeys(Set(["url", "format"]).union(extraKeys))
        guard let url = node.child("url").requiredString() else { return nil }
        if !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            node.context.report(node.child("url").path, "must start with http:// or https://")
        }
        let formatText = node.child("format").string(default: "json")!
        guard let format = Monitoring.Webhook.Format(rawValue: formatText) else {
            node.context.report(node.child("format").path, "must be json or slack, got '\(formatText)'")
            return nil
        }
        return .init(url: url, format: format)
    }
}
