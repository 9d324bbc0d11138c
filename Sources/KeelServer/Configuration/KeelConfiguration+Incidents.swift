public import KeelCore
public import KeelOps

extension KeelConfiguration {
    /// `incidents:` — incident response: where incidents are announced, the on-call targets
    /// escalations go to, and which alerts open incidents.
    public struct Incidents: Sendable {
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
        /// Playbooks of the file: replace the defaults of the same id; the admin API's replace
        /// these.
        public var playbooks: [Playbook]
        /// How often playbooks and routing overrides made on other instances are read again.
        public var syncIntervalMs: Int
        /// The detectors over request records (`incidents.detectors`).
        public var detectors = RecordDetectors.Configuration()
        /// Canary probes (`incidents.canaries`).
        public var canaries: [Canary] = []
        /// Canary tokens (`incidents.canary_tokens`): secrets placed in system prompts; one in an
        /// answer is a data-exposure detection.
        public var canaryTokens: [CanaryToken] = []
        /// The model drills send their faults to (`incidents.drills.model`): one served by the
        /// built-in simulator; `nil` picks the first such model.
        public var drillModel: String?

        public init(
            enabled: Bool = true,
            webhooks: [Monitoring.Webhook]? = nil,
            onCall: [OnCall] = [],
            tickIntervalMs: Int = 10_000,
            alertCategories: [String: IncidentCategory?] = [:],
            playbooks: [Playbook] = [],
            syncIntervalMs: Int = 2_000
        ) {
            self.playbooks = playbooks
            self.syncIntervalMs = syncIntervalMs
            self.enabled = enabled
            self.webhooks = webhooks
            self.onCall = onCall
            self.tickIntervalMs = tickIntervalMs
            self.alertCategories = alertCategories
        }
    }

    /// Reads `incidents:` {`enabled` (true), `webhooks` [{`url`, `format` (json|slack)}],
    /// `on_call` [{`name`, `url`, `format`}], `tick_interval_ms` (10000, 100 to 600000),
    /// `alert_categories` {rule name: category or `none`}, `playbooks` [playbook documents, see
    /// ``Playbook/init(json:defaultID:source:)``], `sync_interval_ms` (2000, 100 to 60000),
    /// `detectors` {`max_cost_scopes` (200), `max_models` (100), `injection_burst` (5),
    /// `injection_window_seconds` (300), `repeat_interval_seconds` (60)}, `canaries` (below),
    /// `canary_tokens` [{`name`, `token`}], `drills` {`model`}}.
    static func readIncidents(_ node: ConfigNode, models: Set<String> = []) -> Incidents {
        node.expectKeys([
            "enabled", "webhooks", "on_call", "tick_interval_ms", "alert_categories", "playbooks", "sync_interval_ms",
            "detectors", "canaries", "canary_tokens", "drills",
        ])
        let detectors = node.child("detectors")
        detectors.expectKeys([
            "max_cost_scopes", "max_models", "injection_burst", "injection_window_seconds", "repeat_interval_seconds",
        ])
        var incidents = Incidents(
            enabled: node.child("enabled").bool(default: true),
            tickIntervalMs: node.child("tick_interval_ms").int(default: 10_000, range: 100...600_000),
            syncIntervalMs: node.child("sync_interval_ms").int(default: 2_000, range: 100...60_000)
        )
        incidents.detectors.maximumCostScopes = detectors.child("max_cost_scopes").int(default: 200, range: 0...100_000)
        incidents.detectors.maximumModels = detectors.child("max_models").int(default: 100, range: 0...10_000)
        incidents.detectors.injectionBurst = detectors.child("injection_burst").int(default: 5, range: 1...10_000)
        incidents.detectors.injectionWindow =
            Int64(detectors.child("injection_window_seconds").int(default: 300, range: 10...86_400)) * 1_000_000
        incidents.detectors.repeatInterval =
            Int64(detectors.child("repeat_interval_seconds").int(default: 60, range: 0...86_400)) * 1_000_000
        incidents.canaries = Self.readCanaries(node.child("canaries"), models: models)
        for entry in node.child("canary_tokens").elements {
            entry.expectKeys(["name", "token"])
            guard let token = entry.child("token").requiredString() else { continue }
            let name = entry.child("name").string(default: "token-\(incidents.canaryTokens.count)")!
            if !CanaryToken.isValid(token) {
                entry.context.report(
                    entry.child("token").path,
                    "must be 8 to 128 letters, digits, '-', '_', '.' or ':'"
                )
            }
            if incidents.canaryTokens.contains(where: { $0.name == name }) {
                entry.context.report(entry.child("name").path, "is used by another canary token: '\(name)'")
            }
            incidents.canaryTokens.append(CanaryToken(name: name, token: token))
        }
        let drills = node.child("drills")
        drills.expectKeys(["model"])
        if let model = drills.child("model").text {
            if !models.contains(model) {
                drills.context.report(drills.child("model").path, "'\(model)' is not a configured model")
            }
            incidents.drillModel = model
        }
        for (index, entry) in node.child("playbooks").elements.enumerated() {
            do {
                let playbook = try Playbook(json: entry.jsonValue, defaultID: "config-\(index)", source: .config)
                if incidents.playbooks.contains(where: { $0.id == playbook.id }) {
                    entry.context.report(entry.child("id").path, "is used by another playbook: '\(playbook.id)'")
                }
                incidents.playbooks.append(playbook)
            } catch {
                entry.context.report(error.path.isEmpty ? entry.path : "\(entry.path).\(error.path)", error.reason)
            }
        }
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

extension KeelConfiguration {
    /// A canary probe: a fixed prompt sent to a model on a schedule, through the gateway's own
    /// data plane, whose answer must meet an expectation; a failed one is a model-degradation
    /// detection.
    public struct Canary: Sendable {
        public var name: String
        public var model: String
        public var system: String?
        public var prompt: String
        public var expectation: CanaryExpectation
        public var intervalSeconds: Int
        public var maxTokens: Int
        /// What the probe may spend a day (UTC), in USD; past it, it waits for the next day.
        public var dailyBudgetUSD: Double

        public init(
            name: String,
            model: String,
            system: String? = nil,
            prompt: String,
            expectation: CanaryExpectation,
            intervalSeconds: Int = 300,
            maxTokens: Int = 256,
            dailyBudgetUSD: Double = 1
        ) {
            self.name = name
            self.model = model
            self.system = system
            self.prompt = prompt
            self.expectation = expectation
            self.intervalSeconds = intervalSeconds
            self.maxTokens = maxTokens
            self.dailyBudgetUSD = dailyBudgetUSD
        }
    }

    /// Reads `incidents.canaries` [{`name`, `model`, `system`, `prompt`, `expect` {`contains`,
    /// `not_contains`, `matches` (a regular expression), `json_valid`, `min_chars`, `max_chars`,
    /// `min_words`, `max_words`}, `interval_seconds` (300, 10 to 86400), `max_tokens` (256, 1 to
    /// 4096), `daily_budget_usd` (1)}]; models must be configured.
    static func readCanaries(_ node: ConfigNode, models: Set<String>) -> [Canary] {
        var canaries: [Canary] = []
        for entry in node.elements {
            entry.expectKeys([
                "name", "model", "system", "prompt", "expect", "interval_seconds", "max_tokens", "daily_budget_usd",
            ])
            guard let name = entry.child("name").requiredString(), let model = entry.child("model").requiredString(),
                let prompt = entry.child("prompt").requiredString()
            else { continue }
            if !models.contains(model) {
                entry.context.report(entry.child("model").path, "'\(model)' is not a configured model")
            }
            if canaries.contains(where: { $0.name == name }) {
                entry.context.report(entry.child("name").path, "is used by another canary: '\(name)'")
            }
            let expect = entry.child("expect")
            expect.expectKeys([
                "contains", "not_contains", "matches", "json_valid", "min_chars", "max_chars", "min_words", "max_words",
            ])
            var checks: [CanaryExpectation.Check] = []
            if let text = expect.child("contains").text { checks.append(.contains(text)) }
            if let text = expect.child("not_contains").text { checks.append(.notContains(text)) }
            if let pattern = expect.child("matches").text { checks.append(.matches(pattern)) }
            if expect.child("json_valid").bool(default: false) { checks.append(.jsonValid) }
            let minChars = expect.child("min_chars").optionalInt(range: 0...1_000_000)
            let maxChars = expect.child("max_chars").optionalInt(range: 0...1_000_000)
            let minWords = expect.child("min_words").optionalInt(range: 0...1_000_000)
            let maxWords = expect.child("max_words").optionalInt(range: 0...1_000_000)
            if minChars != nil || maxChars != nil || minWords != nil || maxWords != nil {
                checks.append(
                    .lengthRange(
                        characters: minChars != nil || maxChars != nil
                            ? (minChars ?? 0)...max(minChars ?? 0, maxChars ?? Int.max) : nil,
                        words: minWords != nil || maxWords != nil
                            ? (minWords ?? 0)...max(minWords ?? 0, maxWords ?? Int.max) : nil
                    )
                )
            }
            let expectation: CanaryExpectation
            do {
                expectation = try CanaryExpectation(checks)
            } catch {
                entry.context.report(expect.path, "\(error)")
                continue
            }
            let budget = entry.child("daily_budget_usd").text.flatMap(Double.init) ?? 1
            if budget <= 0 { entry.context.report(entry.child("daily_budget_usd").path, "must be above zero") }
            canaries.append(
                Canary(
                    name: name,
                    model: model,
                    system: entry.child("system").text,
                    prompt: prompt,
                    expectation: expectation,
                    intervalSeconds: entry.child("interval_seconds").int(default: 300, range: 10...86_400),
                    maxTokens: entry.child("max_tokens").int(default: 256, range: 1...4_096),
                    dailyBudgetUSD: budget
                )
            )
        }
        return canaries
    }
}
