public import KeelCore

extension Incident {
    /// The incident as the admin API and webhooks show it (snake_case; times RFC 3339 UTC).
    public var json: JSONValue {
        func time(_ micros: Int64?) -> JSONValue { micros.map { .string(RFC3339.string(micros: $0)) } ?? .null }
        let scope = JSONValue.object(self.scope.parts.map { .init(key: $0.name, value: .string($0.value)) })
        let clocks = JSONValue.array(
            self.clocks.map { clock in
                .object([
                    "classification": .string(clock.classification.rawValue),
                    "authority": .string(clock.classification.authority),
                    "started_at": time(clock.startedAt),
                    "deadline": time(clock.deadline),
                    "reported_at": time(clock.reportedAt),
                    "announced": .array(clock.announced.map { .string($0.rawValue) }),
                ])
            }
        )
        let evidence: JSONValue =
            self.evidence.map { evidence in
                .object([
                    "frozen_at": time(evidence.frozenAt),
                    "tree_size": evidence.treeSize.map { .int($0) } ?? .null,
                    "root_hash": evidence.rootHash.map(JSONValue.string) ?? .null,
                    "checkpoint": evidence.checkpoint.map(JSONValue.string) ?? .null,
                    "entries": .object(
                        evidence.entries.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: .int($0.value)) }
                    ),
                ])
            } ?? .null
        let review: JSONValue =
            self.review.map { review in
                .object([
                    "summary": .string(review.summary),
                    "root_cause": review.rootCause.map(JSONValue.string) ?? .null,
                    "actions": .array(review.actions.map(JSONValue.string)),
                ])
            } ?? .null
        return .object([
            "id": .string(self.id),
            "object": .string("incident"),
            "category": .string(self.category.rawValue),
            "severity": .string(self.severity.rawValue),
            "state": .string(self.state.rawValue),
            "title": .string(self.title),
            "scope": scope,
            "owner": self.owner.map(JSONValue.string) ?? .null,
            "detections": .int(self.detections),
            "escalation_level": .int(self.escalationLevel),
            "opened_at": time(self.openedAt),
            "acknowledged_at": time(self.acknowledgedAt),
            "contained_at": time(self.containedAt),
            "resolved_at": time(self.resolvedAt),
            "closed_at": time(self.closedAt),
            "updated_at": time(self.updatedAt),
            "clocks": clocks,
            "evidence": evidence,
            "review": review,
        ])
    }
}

extension IncidentEvent {
    public var json: JSONValue {
        .object([
            "sequence": .int(self.sequence),
            "at": .string(RFC3339.string(micros: self.at)),
            "actor": .string(self.actor),
            "kind": .string(self.kind.rawValue),
            "text": .string(self.text),
            "data": self.data ?? .null,
        ])
    }
}

extension Detection {
    public var json: JSONValue {
        .object([
            "detector": .string(self.detector),
            "category": .string(self.category.rawValue),
            "severity": .string(self.severity.rawValue),
            "scope": .object(self.scope.parts.map { .init(key: $0.name, value: .string($0.value)) }),
            "summary": .string(self.summary),
            "request_ids": .array(self.requestIDs.map(JSONValue.string)),
            "values": .object(
                self.values.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: .double($0.value)) }
            ),
            "at": .string(RFC3339.string(micros: self.at)),
        ])
    }
}

extension IncidentNotification {
    /// The body of a generic JSON webhook: `{"version":"1","type":"incident","event","text",
    /// "incident":{…}}` (the incident as the admin API shows it).
    public func genericWebhookBody() -> [UInt8] {
        let body = JSONValue.object([
            "version": .string("1"),
            "type": .string("incident"),
            "event": .string(self.event.rawValue),
            "text": .string(self.text),
            "incident": self.incident.json,
        ])
        return Array(body.jsonText.utf8)
    }

    /// The body of a Slack incoming webhook: a `text` fallback and `blocks` with a header and the
    /// incident's fields.
    public func slackWebhookBody() -> [UInt8] {
        let incident = self.incident
        let title =
            "INCIDENT \(self.event.rawValue.uppercased()) [\(incident.severity.rawValue)] \(incident.category.rawValue)"
        var fields: [JSONValue] = [
            AlertNotification.slackField("Incident", incident.id),
            AlertNotification.slackField("State", incident.state.rawValue),
            AlertNotification.slackField("Opened", RFC3339.string(micros: incident.openedAt)),
        ]
        if let owner = incident.owner { fields.append(AlertNotification.slackField("Owner", owner)) }
        for part in incident.scope.parts { fields.append(AlertNotification.slackField(part.name, part.value)) }
        let body = AlertNotification.slackMessage(
            title: title,
            fallback: "\(title): \(self.text)",
            text: incident.title + "\n" + self.text,
            fields: fields
        )
        return Array(body.jsonText.utf8)
    }

}
