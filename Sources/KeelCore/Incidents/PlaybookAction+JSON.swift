extension PlaybookStep {
    /// The step as playbooks write it: `{"action": "throttle", "requests_per_minute": 10,
    /// "duration_minutes": 30, "approval": false, "keep": false}`.
    public var json: JSONValue {
        var members: [JSONValue.Member] = [.init(key: "action", value: .string(self.action.name))]
        func add(_ key: String, _ value: JSONValue?) {
            if let value { members.append(.init(key: key, value: value)) }
        }
        switch self.action {
        case .notify(let message): add("message", message.map(JSONValue.string))
        case .escalate(let minutes): add("after_minutes", .int(minutes))
        case .failover(let provider, let minutes):
            add("provider", provider.map(JSONValue.string))
            add("duration_minutes", minutes.map { .int($0) })
        case .throttle(let rpm, let minutes):
            add("requests_per_minute", .int(rpm))
            add("duration_minutes", minutes.map { .int($0) })
        case .suspendKey, .suspendAgent, .freezeEvidence: break
        case .pinModel(let model, let deployment):
            add("model", model.map(JSONValue.string))
            add("deployment", .string(deployment))
        case .blockPattern(let pattern): add("pattern", .string(pattern))
        case .requireApproval(let reason): add("reason", reason.map(JSONValue.string))
        case .webhook(let url, let slack):
            add("url", .string(url))
            add("format", .string(slack ? "slack" : "json"))
        }
        if self.approval { add("approval", .bool(true)) }
        if self.keep { add("keep", .bool(true)) }
        return .object(members)
    }
}

extension Playbook {
    /// The playbook as the admin API shows it and the store keeps it.
    public var json: JSONValue {
        .object([
            "id": .string(self.id),
            "object": .string("playbook"),
            "name": self.name.map(JSONValue.string) ?? .null,
            "category": .string(self.category.rawValue),
            "min_severity": .string(self.minimumSeverity.rawValue),
            "enabled": .bool(self.enabled),
            "dry_run": .bool(self.dryRun),
            "source": .string(self.source.rawValue),
            "steps": .array(self.steps.map(\.json)),
        ])
    }
}
