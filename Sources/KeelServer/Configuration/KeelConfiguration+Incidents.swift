public import KeelCore

extension KeelConfiguration {
    /// `incidents:` — incident response: where incidents are announced, the on-call targets
    /// escalations go to, and which alerts open incidents.
    public struct Incidents: Sendable, Equatable {
        /// An on-call target: a receiver notified when an incident is escalated to its level.
        public struct OnCall: Sendable, Equatable {
            public var name: String
            public var webhook: Monitoring.Webhook

            public init(name: String, webhook: Monitoring.Webhook) {
                self.name = name
                self.webhook = webhook
            }
        }

        /// Off: no detections are turned into incidents (alerts still fire).
        public var enabled: Bool
        /// Receivers of incident notifications (opened, severity raised, resolved, clock
        /// reminders); `monitoring.webhooks` when not set.
        public var webhooks: [Monitoring.Webhook]?
        /// Escalation levels, first first: level 0 is told when an incident opens, the next when
        /// a playbook's `escalate` step finds it unacknowledged.
        public var onCall: [OnCall]
        /// How often clocks, escalations and temporary actions are checked.
        public var tickIntervalMs: Int
        /// Alert rules mapped to a category (`null`: the rule opens no incident), over the
        /// built-in mapping.
        public var alertCategories: [String: IncidentCategory?]

        public init(
            enabled: Bool = true,
            webhooks: [Monitoring.Webhook]? = nil,
            onCall: [OnCall] = [],
            tickIntervalMs: Int = 10_000,
            alertCategories: [String: IncidentCategory?] = [:]
        ) {
            self.enabled = enabled
            self.webhooks = webhooks
            self.onCall = onCall
            self.tickIntervalMs = tickIntervalMs
            self.alertCategories = alertCategories
        }
    }

    /// Reads `incidents:` {`enabled` (true), `webhooks` [{`url`, `format` (json|slack)}],
    /// `on_call` [{`name`, `url`, `format`}], `tick_interval_ms` (10000, 100 to 600000),
    /// `alert_categories` {rule name: category or `none`}}.
    static func readIncidents(_ node: ConfigNode) -> Incidents {
        node.expectKeys(["enabled", "webhooks", "on_call", "tick_interval_ms", "alert_categories"])
        var incidents = Incidents(
            enabled: node.child("enabled").bool(default: true),
            tickIntervalMs: node.child("tick_interval_ms").int(default: 10_000, range: 100...600_000)
        )
        if node.child("webhooks").isPresent {
            incidents.webhooks = node.child("webhooks").elements.compactMap { Self.readWebhook($0, extraKeys: []) }
        }
        for entry in node.child("on_call").elements {
            guard let webhook = Self.readWebhook(entry, extraKeys: ["name"]) else { continue }
            let name = entry.child("name").string(default: "level-\(incidents.onCall.count)")!
            incidents.onCall.append(.init(name: name, webhook: webhook))
        }
        let categories = node.child("alert_categories")
        for rule in categories.mappingKeys {
            let text = categories.child(rule).string(default: "none")!
            if text == "none" {
                incidents.alertCategories[rule] = .some(nil)
            } else if let category = IncidentCategory(rawValue: text) {
                incidents.alertCategories[rule] = category
            } else {
                categories.context.report(
                    categories.child(rule).path,
                    "must be none or one of \(IncidentCategory.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'"
                )
            }
        }
        return incidents
    }
}
