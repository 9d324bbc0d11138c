import Hummingbird
import KeelCore
import KeelOps
import KeelStorage

/// `/admin/v1/incidents`: list and filter, read one with its timeline, detections and records,
/// and respond: acknowledge, assign, move, comment, classify, mark reported, freeze evidence.
/// Admins and auditors read every incident, viewers and team admins those of their scope; admins
/// respond to any, team admins to their team's. Every change is an `admin_change` in the audit
/// log (the audit middleware), and an event with its actor on the incident's timeline.
struct IncidentAPI: Sendable {
    let engine: IncidentEngine
    let admin: AdminAPI

    static func add(to router: Router<BasicRequestContext>, api: IncidentAPI) {
        router.get("admin/v1/incidents") { request, _ in try await api.list(request) }
        router.get("admin/v1/incidents/stats") { request, _ in try await api.statistics(request) }
        router.get("admin/v1/incidents/{id}") { request, context in
            try await api.show(request, id: try context.parameters.require("id"))
        }
        for verb in [
            "acknowledge", "assign", "transition", "resolve", "close", "comments", "classify", "report", "freeze",
        ] {
            router.post("admin/v1/incidents/{id}/\(verb)") { request, context in
                try await api.change(request, id: try context.parameters.require("id"), verb: verb)
            }
        }
    }

    /// `GET /admin/v1/incidents?state&open&category&severity&org&team&agent&model&provider&owner&since&limit`:
    /// newest first; `severity` is a minimum; `since` Unix seconds.
    func list(_ request: Request) async throws -> Response {
        let caller = try self.admin.authenticate(request, .read, .incident)
        let parameters = request.uri.queryParameters
        var query = IncidentQuery()
        if let state = parameters["state"] {
            guard let parsed = Incident.State(rawValue: String(state)) else {
                throw KeelError.invalidRequest(
                    "Invalid 'state': \(Incident.State.allCases.map(\.rawValue).joined(separator: ", ")).",
                    param: "state"
                )
            }
            query.state = parsed
        }
        if let open = parameters["open"] {
            guard open == "true" || open == "false" else {
                throw KeelError.invalidRequest("Invalid 'open': true or false.", param: "open")
            }
            query.open = open == "true"
        }
        if let category = parameters["category"] { query.category = try Self.category(String(category)) }
        if let severity = parameters["severity"] {
            guard let parsed = IncidentSeverity(rawValue: String(severity)) else {
                throw KeelError.invalidRequest("Invalid 'severity': low, medium, high or critical.", param: "severity")
            }
            query.minimumSeverity = parsed
        }
        query.org = parameters["org"].map(String.init)
        query.team = parameters["team"].map(String.init)
        query.agent = parameters["agent"].map(String.init)
        query.model = parameters["model"].map(String.init)
        query.provider = parameters["provider"].map(String.init)
        query.owner = parameters["owner"].map(String.init)
        if let since = parameters["since"] {
            guard let seconds = Int64(since), seconds >= 0 else {
                throw KeelError.invalidRequest("Invalid 'since': Unix seconds.", param: "since")
            }
            query.since = seconds * 1_000_000
        }
        if let limit = parameters["limit"] {
            guard let value = Int(limit), (1...1_000).contains(value) else {
                throw KeelError.invalidRequest("Invalid 'limit': 1 to 1000.", param: "limit")
            }
            query.limit = value
        }
        let visible = try await self.engine.store.incidents(matching: query).filter {
            AdminAuthorization.allows(caller, .read, .incident, in: Self.scope(of: $0))
        }
        return Gateway.json(JSONValue.object(["data": .array(visible.map(\.json))]).jsonText)
    }

    /// `GET /admin/v1/incidents/{id}`: the incident with `timeline`, `detections` and
    /// `request_ids` (the first 1,000 linked).
    func show(_ request: Request, id: String) async throws -> Response {
        let caller = try self.admin.authenticate(request, .read, .incident)
        let incident = try await self.existing(id)
        try self.admin.require(caller, .read, .incident, in: Self.scope(of: incident))
        return Gateway.json(try await self.detail(incident).jsonText)
    }

    /// `GET /admin/v1/incidents/stats?since`: per category and in total, incidents opened, open,
    /// acknowledged and resolved, with the mean seconds to acknowledge (MTTA) and to resolve
    /// (MTTR). Admins and auditors only: it covers every scope.
    func statistics(_ request: Request) async throws -> Response {
        let caller = try self.admin.authenticate(request, .read, .incident)
        guard caller.role == .admin || caller.role == .auditor else {
            throw KeelError.permissionDenied("Incident statistics cover every scope: admins and auditors only.")
        }
        var since: Int64?
        if let text = request.uri.queryParameters["since"] {
            guard let seconds = Int64(text), seconds >= 0 else {
                throw KeelError.invalidRequest("Invalid 'since': Unix seconds.", param: "since")
            }
            since = seconds * 1_000_000
        }
        let statistics = try await self.engine.statistics(since: since)
        var categories: [JSONValue.Member] = []
        for category in IncidentCategory.allCases {
            if let figures = statistics.byCategory[category] {
                categories.append(.init(key: category.rawValue, value: Self.json(figures)))
            }
        }
        return Gateway.json(
            JSONValue.object(["total": Self.json(statistics.total), "categories": .object(categories)]).jsonText
        )
    }

    /// The `POST /admin/v1/incidents/{id}/…` changes:
    /// - `acknowledge` {}; `resolve` {`note`}; `close` {`review`: {`summary`, `root_cause`,
    ///   `actions`}}; `transition` {`state`, `note`, `review`}
    /// - `assign` {`owner`}; `comments` {`text`}
    /// - `classify` {`classification`, `aware_at` (Unix seconds)}; `report` {`classification`,
    ///   `reference`}
    /// - `freeze` {}: captures the audit log's checkpoint and the linked records' indices again.
    func change(_ request: Request, id: String, verb: String) async throws -> Response {
        let caller = try self.admin.authenticate(request, .update, .incident)
        let incident = try await self.existing(id)
        try self.admin.require(caller, .update, .incident, in: Self.scope(of: incident))
        let body = try JSONValue.object(
            try await request.body.collect(upTo: 64 << 10),
            allowEmpty: true,
            shape: "the change (state, note, review, owner, text, classification, aware_at, reference)"
        )
        let actor = caller.keyID.map { "key:\($0.rawValue)" } ?? "admin"
        let now = WallClock.unixMicros()
        let changed: Incident
        do {
            switch verb {
            case "acknowledge":
                changed = try await self.engine.acknowledge(id, actor: actor, at: now)
            case "resolve":
                changed = try await self.engine.move(
                    id,
                    to: .resolved,
                    actor: actor,
                    note: try body.optionalString("note"),
                    at: now
                )
            case "close":
                changed = try await self.engine.move(
                    id,
                    to: .closed,
                    actor: actor,
                    note: try body.optionalString("note"),
                    review: try Self.review(body),
                    at: now
                )
            case "transition":
                guard let text = try body.optionalString("state"), let state = Incident.State(rawValue: text) else {
                    throw KeelError.invalidRequest(
                        "A transition needs 'state': \(Incident.State.allCases.map(\.rawValue).joined(separator: ", ")).",
                        param: "state"
                    )
                }
                changed = try await self.engine.move(
                    id,
                    to: state,
                    actor: actor,
                    note: try body.optionalString("note"),
                    review: try Self.review(body),
                    at: now
                )
            case "assign":
                guard let owner = try body.optionalString("owner"), !owner.isEmpty, owner.count <= 200 else {
                    throw KeelError.invalidRequest("Assigning needs 'owner': 1 to 200 characters.", param: "owner")
                }
                changed = try await self.engine.assign(id, to: owner, actor: actor, at: now)
            case "comments":
                guard let text = try body.optionalString("text"), !text.isEmpty, text.utf8.count <= 16_384 else {
                    throw KeelError.invalidRequest("A comment needs 'text': 1 to 16384 bytes.", param: "text")
                }
                changed = try await self.engine.comment(id, text, actor: actor, at: now)
            case "classify":
                let classification = try Self.classification(body)
                let awareAt = try body.optionalInt("aware_at", in: 0...Int(Int32.max) * 4).map { Int64($0) * 1_000_000 }
                if let awareAt, awareAt > now {
                    throw KeelError.invalidRequest("Invalid 'aware_at': it cannot be in the future.", param: "aware_at")
                }
                changed = try await self.engine.classify(
                    id,
                    as: classification,
                    awareAt: awareAt,
                    actor: actor,
                    at: now
                )
            case "report":
                let classification = try Self.classification(body)
                changed = try await self.engine.markReported(
                    id,
                    classification,
                    reference: try body.optionalString("reference"),
                    actor: actor,
                    at: now
                )
            default:  // "freeze"
                changed = try await self.engine.freezeEvidence(of: id, actor: actor, at: now)
            }
        } catch let failure as IncidentEngine.Failure {
            throw Self.error(failure)
        }
        return Gateway.json(try await self.detail(changed).jsonText)
    }

    // MARK: -

    private func existing(_ id: String) async throws -> Incident {
        guard let incident = try await self.engine.store.incident(id: id) else {
            throw KeelError.notFound("No incident with id '\(id)'.")
        }
        return incident
    }

    private func detail(_ incident: Incident) async throws -> JSONValue {
        let timeline = try await self.engine.store.timeline(of: incident.id)
        let detections = try await self.engine.store.detections(of: incident.id)
        let requests = try await self.engine.store.requestIDs(of: incident.id, limit: 1_000)
        let actions = try await self.engine.store.actions(of: incident.id)
        guard case .object(var members) = incident.json else { return incident.json }
        members.append(.init(key: "actions", value: .array(actions.map(PlaybookAPI.json))))
        members.append(.init(key: "timeline", value: .array(timeline.map(\.json))))
        members.append(.init(key: "detection_list", value: .array(detections.map(\.json))))
        members.append(.init(key: "request_ids", value: .array(requests.map(JSONValue.string))))
        return .object(members)
    }

    static func scope(of incident: Incident) -> AdminScope {
        AdminScope(orgID: incident.scope.org.map { OrgID($0) }, teamID: incident.scope.team.map { TeamID($0) })
    }

    static func category(_ text: String) throws(KeelError) -> IncidentCategory {
        guard let category = IncidentCategory(rawValue: text) else {
            throw .invalidRequest(
                "Invalid 'category': \(IncidentCategory.allCases.map(\.rawValue).joined(separator: ", ")).",
                param: "category"
            )
        }
        return category
    }

    private static func classification(_ body: JSONValue) throws(KeelError) -> RegulatoryClock.Classification {
        guard let text = try body.optionalString("classification"),
            let classification = RegulatoryClock.Classification(rawValue: text)
        else {
            throw .invalidRequest(
                "Invalid 'classification': \(RegulatoryClock.Classification.allCases.map(\.rawValue).joined(separator: ", ")).",
                param: "classification"
            )
        }
        return classification
    }

    private static func review(_ body: JSONValue) throws(KeelError) -> Incident.Review? {
        guard let review = body["review"], review != .null else { return nil }
        guard case .object = review, let summary = try review.optionalString("summary"), !summary.isEmpty else {
            throw .invalidRequest("Invalid 'review': an object with a non-empty 'summary'.", param: "review")
        }
        var actions: [String] = []
        if let list = review["actions"], list != .null {
            guard case .array(let items) = list else {
                throw .invalidRequest("Invalid 'review.actions': an array of strings.", param: "review")
            }
            for item in items {
                guard case .string(let text) = item else {
                    throw .invalidRequest("Invalid 'review.actions': an array of strings.", param: "review")
                }
                actions.append(text)
            }
        }
        return Incident.Review(summary: summary, rootCause: try review.optionalString("root_cause"), actions: actions)
    }

    private static func error(_ failure: IncidentEngine.Failure) -> KeelError {
        switch failure {
        case .notFound: .notFound("No such incident.")
        case .transition(.notAllowed(let from, let to)):
            .conflict("An incident cannot move from '\(from.rawValue)' to '\(to.rawValue)'.", param: "state")
        case .transition(.reviewRequired):
            .invalidRequest("Closing an incident needs a post-incident 'review' with a 'summary'.", param: "review")
        case .alreadyClassified: .conflict("The incident already has this classification.", param: "classification")
        case .notClassified:
            .conflict("The incident has no open clock of this classification.", param: "classification")
        }
    }

    private static func json(_ figures: IncidentStatistics.Figures) -> JSONValue {
        .object([
            "opened": .int(figures.opened),
            "open": .int(figures.open),
            "acknowledged": .int(figures.acknowledged),
            "resolved": .int(figures.resolved),
            "mtta_seconds": figures.meanSecondsToAcknowledge.map(JSONValue.double) ?? .null,
            "mttr_seconds": figures.meanSecondsToResolve.map(JSONValue.double) ?? .null,
        ])
    }
}
