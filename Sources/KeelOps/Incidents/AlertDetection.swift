public import KeelCore

/// Firing alerts as detections: the gateway's own alerts (agent loops, tool definitions that
/// changed, policies failing their probes, budgets running out within a day) and the monitoring
/// rules of the configuration, by what they watch.
///
/// Alerts that are notices, not incidents (a budget's soft limit, a forecast that a budget runs
/// out before its period ends, an approval asked for, an audit gap, which compliance status
/// shows), make no detection; a budget running out within 24 hours at its last hour's rate does.
public enum AlertDetection {
    /// The detection a firing alert makes, if any. `rules` are the configured monitoring rules
    /// (a rule's metric says what it is about); `category` overrides them per rule name.
    public static func detection(
        of notification: AlertNotification,
        rules: [AlertRule],
        overrides: [String: IncidentCategory?] = [:],
        providerOfDeployment: (String) -> String? = { _ in nil }
    ) -> Detection? {
        guard notification.status == .firing else { return nil }
        let category: IncidentCategory?
        if let override = overrides[notification.rule] {
            category = override
        } else {
            category = Self.category(of: notification, rules: rules)
        }
        guard let category else { return nil }
        let labels = notification.labels
        var scope = IncidentScope(
            org: labels["org"],
            team: labels["team"],
            key: labels["key"],
            agent: labels["agent"],
            model: labels["model"],
            provider: labels["provider"] ?? labels["deployment"].flatMap(providerOfDeployment)
        )
        if category == .costSpike, let budgetScope = labels["scope"] {
            // Budgets name their scope as `kind:value`.
            let parts = budgetScope.split(separator: ":", maxSplits: 1).map(String.init)
            if parts.count == 2 {
                switch parts[0] {
                case "org": scope.org = parts[1]
                case "team": scope.team = parts[1]
                case "key": scope.key = parts[1]
                case "agent": scope.agent = parts[1]
                default: break
                }
            }
        }
        var values = notification.details
        if let value = notification.value { values["value"] = value }
        values["threshold"] = notification.threshold
        return Detection(
            category: category,
            severity: Self.severity(of: notification.severity),
            scope: scope,
            detector: "alert:" + notification.rule,
            summary: notification.summary,
            requestIDs: notification.requestIDs,
            values: values,
            at: notification.startsAtMicros
        )
    }

    static func severity(of severity: AlertSeverity) -> IncidentSeverity {
        switch severity {
        case .page: .high
        case .ticket: .medium
        case .info: .low
        }
    }

    static func category(of notification: AlertNotification, rules: [AlertRule]) -> IncidentCategory? {
        switch notification.rule {
        case "agent_loop", "agent_success_drop": return .agentMisbehaviour
        case "tool_definition_changed", "tool_poisoning": return .supplyChain
        case "policy_probe_failed": return .dataExposure
        case "budget_exhaustion_imminent": return .costSpike
        case "budget_soft_limit", "budget_projected_exhaustion", "approval_requested", "audit_gap": return nil
        default: break
        }
        guard let rule = rules.first(where: { $0.name == notification.rule }) else { return nil }
        let byProvider = notification.labels["provider"] != nil || notification.labels["deployment"] != nil
        switch rule.condition {
        case .burnRate: return .providerOutage
        case .threshold(let metric, _, let comparison, _), .rateOfChange(let metric, _, let comparison, _):
            switch metric {
            case .errorRate: return .providerOutage
            case .latencySeconds: return byProvider ? .providerOutage : .modelDegradation
            case .outputTokensPerSecond: return .modelDegradation
            case .costPerMinuteUSD, .costPerRequestUSD, .tokensPerMinute:
                return comparison == .above ? .costSpike : nil
            case .requestsPerMinute: return comparison == .above ? .costSpike : .providerOutage
            case .agentTaskSuccessRate: return .agentMisbehaviour
            }
        }
    }
}
