import KeelCore
import KeelOps

/// A game day for one incident category: the fault it injects through the gateway, and what it
/// saw — when the incident was detected, when it was contained, each playbook step it ran.
struct Drill: Sendable {
    enum State: String, Sendable {
        case running, passed, failed
    }

    /// One playbook step as the drill left it.
    struct Step: Sendable {
        var playbook: String
        var step: Int
        var action: String
        var state: String
        var result: String?
        /// When the step last changed, after the fault began.
        var afterMs: Int64
        var approvedByDrill: Bool
    }

    var id: String
    var category: IncidentCategory
    var model: String
    var state: State = .running
    /// Unix µs.
    var startedAt: Int64
    var endedAt: Int64?
    /// What was injected.
    var fault: String = ""
    /// Requests the drill sent through the gateway (tagged `drill=<id>`).
    var requests = 0
    var incidentID: String?
    var detector: String?
    /// From the first fault request to the drill seeing the incident (polled every 100 ms).
    var detectedAfterMs: Int64?
    /// From the first fault request to the incident's move to `contained`.
    var containedAfterMs: Int64?
    /// From the first fault request to the drill resolving the incident.
    var resolvedAfterMs: Int64?
    var steps: [Step] = []
    var notes: [String] = []
    var error: String?

    var json: JSONValue {
        var members: [JSONValue.Member] = [
            .init(key: "id", value: .string(self.id)),
            .init(key: "category", value: .string(self.category.rawValue)),
            .init(key: "model", value: .string(self.model)),
            .init(key: "state", value: .string(self.state.rawValue)),
            .init(key: "started_at", value: .string(RFC3339.string(micros: self.startedAt))),
            .init(key: "ended_at", value: self.endedAt.map { .string(RFC3339.string(micros: $0)) } ?? .null),
            .init(key: "fault", value: .string(self.fault)),
            .init(key: "requests", value: .int(self.requests)),
            .init(key: "incident", value: self.incidentID.map(JSONValue.string) ?? .null),
            .init(key: "detector", value: self.detector.map(JSONValue.string) ?? .null),
            .init(key: "detected_after_ms", value: self.detectedAfterMs.map { .int(Int($0)) } ?? .null),
            .init(key: "contained_after_ms", value: self.containedAfterMs.map { .int(Int($0)) } ?? .null),
            .init(key: "resolved_after_ms", value: self.resolvedAfterMs.map { .int(Int($0)) } ?? .null),
        ]
        members.append(
            .init(
                key: "steps",
                value: .array(
                    self.steps.map { step in
                        .object([
                            "playbook": .string(step.playbook),
                            "step": .int(step.step),
                            "action": .string(step.action),
                            "state": .string(step.state),
                            "result": step.result.map(JSONValue.string) ?? .null,
                            "after_ms": .int(Int(step.afterMs)),
                            "approved_by_drill": .bool(step.approvedByDrill),
                        ])
                    }
                )
            )
        )
        members.append(.init(key: "notes", value: .array(self.notes.map(JSONValue.string))))
        members.append(.init(key: "error", value: self.error.map(JSONValue.string) ?? .null))
        return .object(members)
    }
}
