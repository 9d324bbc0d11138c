/// A playbook that cannot run: where (`steps[2].requests_per_minute`) and why.
public struct PlaybookError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(_ path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(self.path): \(self.reason)" }
}

extension Playbook {
    /// Reads a playbook document (the admin API's body, a store row, a configuration entry):
    /// `{"id", "name", "category", "min_severity" (low), "enabled" (true), "dry_run" (false),
    /// "steps": [step, …]}` (1 to 20 steps; see ``PlaybookStep/init(json:path:)``).
    public init(json: JSONValue, defaultID: String? = nil, source: Source) throws(PlaybookError) {
        let reader = Reader(json, path: "")
        try reader.expectKeys([
            "id", "object", "name", "category", "min_severity", "enabled", "dry_run", "source", "steps",
        ])
        guard let id = try reader.string("id") ?? defaultID else { throw PlaybookError("id", "is required") }
        guard ChosenID.isValid(id) else {
            throw PlaybookError(
                "id",
                "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        }
        guard let categoryText = try reader.string("category") else { throw PlaybookError("category", "is required") }
        guard let category = IncidentCategory(rawValue: categoryText) else {
            throw PlaybookError(
                "category",
                "must be one of \(IncidentCategory.allCases.map(\.rawValue).joined(separator: ", ")), got '\(categoryText)'"
            )
        }
        var minimum = IncidentSeverity.low
        if let text = try reader.string("min_severity") {
            guard let severity = IncidentSeverity(rawValue: text) else {
                throw PlaybookError("min_severity", "must be low, medium, high or critical, got '\(text)'")
            }
            minimum = severity
        }
        guard case .array(let items)? = json["steps"], (1...20).contains(items.count) else {
            throw PlaybookError("steps", "must be a list of 1 to 20 steps")
        }
        var steps: [PlaybookStep] = []
        for (index, item) in items.enumerated() {
            steps.append(try PlaybookStep(json: item, path: "steps[\(index)]"))
        }
        self.init(
            id: id,
            name: try reader.string("name"),
            category: category,
            minimumSeverity: minimum,
            enabled: try reader.bool("enabled") ?? true,
            dryRun: try reader.bool("dry_run") ?? false,
            steps: steps,
            source: source
        )
    }
}

extension PlaybookStep {
    /// Reads a step: `action` and its parameters (``PlaybookAction``), `approval` and `keep`
    /// (booleans, false by default).
    public init(json: JSONValue, path: String) throws(PlaybookError) {
        let reader = Reader(json, path: path)
        guard case .object = json else { throw PlaybookError(path, "must be a mapping with an 'action'") }
        guard let name = try reader.string("action") else { throw PlaybookError(path + ".action", "is required") }
        let action: PlaybookAction
        var allowed: Set<String> = ["action", "approval", "keep"]
        switch name {
        case "notify":
            allowed.insert("message")
            action = .notify(message: try reader.string("message"))
        case "escalate":
            allowed.insert("after_minutes")
            action = .escalate(afterMinutes: try reader.int("after_minutes", in: 0...10_080) ?? 15)
        case "failover":
            allowed.formUnion(["provider", "duration_minutes"])
            action = .failover(
                provider: try reader.string("provider"),
                durationMinutes: try reader.int("duration_minutes", in: 1...10_080)
            )
        case "throttle":
            allowed.formUnion(["requests_per_minute", "duration_minutes"])
            guard let rpm = try reader.int("requests_per_minute", in: 1...1_000_000) else {
                throw PlaybookError(path + ".requests_per_minute", "is required")
            }
            action = .throttle(
                requestsPerMinute: rpm,
                durationMinutes: try reader.int("duration_minutes", in: 1...10_080)
            )
        case "suspend_key": action = .suspendKey
        case "suspend_agent": action = .suspendAgent
        case "pin_model":
            allowed.formUnion(["model", "deployment"])
            guard let deployment = try reader.string("deployment"), !deployment.isEmpty else {
                throw PlaybookError(path + ".deployment", "is required: the upstream model to route to")
            }
            action = .pinModel(model: try reader.string("model"), deployment: deployment)
        case "block_pattern":
            allowed.insert("pattern")
            guard let pattern = try reader.string("pattern"), (3...512).contains(pattern.count) else {
                throw PlaybookError(path + ".pattern", "is required: 3 to 512 characters")
            }
            action = .blockPattern(pattern: pattern)
        case "require_approval":
            allowed.insert("reason")
            action = .requireApproval(reason: try reader.string("reason"))
        case "freeze_evidence": action = .freezeEvidence
        case "webhook":
            allowed.formUnion(["url", "format"])
            guard let url = try reader.string("url"), url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw PlaybookError(path + ".url", "is required: an http:// or https:// URL")
            }
            let format = try reader.string("format") ?? "json"
            guard format == "json" || format == "slack" else {
                throw PlaybookError(path + ".format", "must be json or slack, got '\(format)'")
            }
            action = .webhook(url: url, slack: format == "slack")
        default:
            throw PlaybookError(
                path + ".action",
                "must be one of \(PlaybookAction.names.joined(separator: ", ")), got '\(name)'"
            )
        }
        try reader.expectKeys(allowed)
        self.init(action, approval: try reader.bool("approval") ?? false, keep: try reader.bool("keep") ?? false)
    }
}

/// Typed members of a playbook document, with errors that name their path.
private struct Reader {
    let value: JSONValue
    let path: String

    init(_ value: JSONValue, path: String) {
        self.value = value
        self.path = path
    }

    private func at(_ key: String) -> String { self.path.isEmpty ? key : "\(self.path).\(key)" }

    func expectKeys(_ allowed: Set<String>) throws(PlaybookError) {
        guard case .object(let members) = self.value else {
            throw PlaybookError(self.path.isEmpty ? "(playbook)" : self.path, "must be a mapping")
        }
        for member in members where !allowed.contains(member.key) {
            throw PlaybookError(
                self.at(member.key),
                "unknown key (allowed: \(allowed.sorted().joined(separator: ", ")))"
            )
        }
    }

    func string(_ key: String) throws(PlaybookError) -> String? {
        switch self.value[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw PlaybookError(self.at(key), "must be a string")
        }
    }

    func bool(_ key: String) throws(PlaybookError) -> Bool? {
        switch self.value[key] {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        default: throw PlaybookError(self.at(key), "must be true or false")
        }
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(PlaybookError) -> Int? {
        guard let member = self.value[key], member != .null else { return nil }
        guard let number = member.int, range.contains(number) else {
            throw PlaybookError(self.at(key), "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}
