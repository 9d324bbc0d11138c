import KeelCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Incidents in `incident`, `incident_event`, `incident_detection` and `incident_record`, on
/// either backend. Reports and updates run under the lock `incident`, so instances sharing the
/// database open one incident per category and scope and number each timeline without gaps.
struct SQLIncidentStore: IncidentStore {
    let database: any SQLDatabase

    private static let columns: SQLStatement = """
        id, category, severity, state, org_id, team_id, key_id, agent_id, model, provider, title, owner, detections, \
        escalation_level, \(sqlite: "clocks, evidence, review", postgres: "clocks::text AS clocks, evidence::text AS evidence, review::text AS review"), \
        opened_at, acknowledged_at, contained_at, resolved_at, closed_at, updated_at
        """

    func report(_ detection: Detection, newID: String) async throws -> IncidentReport {
        try await self.database.transaction { tx in
            try await tx.lock("incident")
            let open = try await tx.row(
                """
                SELECT \(Self.columns) FROM incident
                WHERE category = \(detection.category.rawValue) AND grouping_key = \(detection.scope.groupingKey) \
                AND state IN ('detected', 'acknowledged', 'contained')
                """,
                Self.incident(from:)
            )
            var report: IncidentReport
            var events: [IncidentEvent]
            if var incident = open {
                let raised = incident.join(detection)
                try await tx.run(
                    """
                    UPDATE incident SET severity = \(incident.severity.rawValue), detections = \(Int64(incident.detections)), \
                    updated_at = \(incident.updatedAt) WHERE id = \(incident.id)
                    """
                )
                report = IncidentReport(incident: incident, opened: false, severityRaised: raised)
                events = [
                    IncidentEvent(
                        incidentID: incident.id,
                        at: detection.at,
                        actor: IncidentEvent.engineActor,
                        kind: .detectionJoined,
                        text: detection.summary,
                        data: Self.eventData(of: detection)
                    )
                ]
                if raised {
                    events.append(
                        IncidentEvent(
                            incidentID: incident.id,
                            at: detection.at,
                            actor: IncidentEvent.engineActor,
                            kind: .severityRaised,
                            text: "Severity raised to \(incident.severity.rawValue)",
                            data: .object(["severity": .string(incident.severity.rawValue)])
                        )
                    )
                }
            } else {
                let incident = Incident(id: newID, opening: detection)
                try await Self.insert(incident, in: tx)
                report = IncidentReport(incident: incident, opened: true, severityRaised: false)
                events = [
                    IncidentEvent(
                        incidentID: incident.id,
                        at: detection.at,
                        actor: IncidentEvent.engineActor,
                        kind: .detected,
                        text: detection.summary,
                        data: Self.eventData(of: detection)
                    )
                ]
            }
            let id = report.incident.id
            try await tx.run(
                """
                INSERT INTO incident_detection (incident_id, sequence, at, detector, severity, summary, scope, request_ids, measured)
                VALUES (\(id), \(Int64(report.incident.detections)), \(detection.at), \(detection.detector), \
                \(detection.severity.rawValue), \(detection.summary), \(json: try Self.json(detection.scope)), \
                \(json: try Self.json(detection.requestIDs)), \(json: try Self.json(detection.values)))
                """
            )
            try await Self.link(detection.requestIDs, to: id, at: detection.at, in: tx)
            try await Self.append(events, in: tx)
            return report
        }
    }

    func incident(id: String) async throws -> Incident? {
        try await self.database.row("SELECT \(Self.columns) FROM incident WHERE id = \(id)", Self.incident(from:))
    }

    func incidents(matching query: IncidentQuery) async throws -> [Incident] {
        var conditions: [SQLStatement] = []
        if let state = query.state { conditions.append("state = \(state.rawValue)") }
        switch query.open {
        case true?: conditions.append("state IN ('detected', 'acknowledged', 'contained')")
        case false?: conditions.append("state IN ('resolved', 'closed')")
        case nil: break
        }
        if let category = query.category { conditions.append("category = \(category.rawValue)") }
        if let minimum = query.minimumSeverity {
            let severities = IncidentSeverity.allCases.filter { $0 >= minimum }.map(\.rawValue)
            conditions.append("severity IN (\(list: severities))")
        }
        if let org = query.org { conditions.append("org_id = \(org)") }
        if let team = query.team { conditions.append("team_id = \(team)") }
        if let agent = query.agent { conditions.append("agent_id = \(agent)") }
        if let model = query.model { conditions.append("model = \(model)") }
        if let provider = query.provider { conditions.append("provider = \(provider)") }
        if let owner = query.owner { conditions.append("owner = \(owner)") }
        if let since = query.since { conditions.append("opened_at >= \(since)") }
        let filter: SQLStatement =
            conditions.isEmpty ? "" : "WHERE \(SQLStatement.joined(conditions, separator: " AND "))"
        return try await self.database.rows(
            "SELECT \(Self.columns) FROM incident \(filter) ORDER BY opened_at DESC, id DESC LIMIT \(Int64(query.limit))",
            Self.incident(from:)
        )
    }

    func update(
        id: String,
        _ change: @Sendable (inout Incident) throws -> [IncidentEvent]
    ) async throws -> Incident? {
        try await self.database.transaction { tx in
            try await tx.lock("incident")
            guard
                var incident = try await tx.row(
                    "SELECT \(Self.columns) FROM incident WHERE id = \(id)",
                    Self.incident(from:)
                )
            else { return nil }
            let events = try change(&incident)
            try await tx.run(
                """
                UPDATE incident SET severity = \(incident.severity.rawValue), state = \(incident.state.rawValue), \
                title = \(incident.title), owner = \(incident.owner), detections = \(Int64(incident.detections)), \
                escalation_level = \(Int64(incident.escalationLevel)), clocks = \(json: try Self.json(incident.clocks)), \
                evidence = \(json: try incident.evidence.map(Self.json)), review = \(json: try incident.review.map(Self.json)), \
                acknowledged_at = \(incident.acknowledgedAt), contained_at = \(incident.containedAt), \
                resolved_at = \(incident.resolvedAt), closed_at = \(incident.closedAt), updated_at = \(incident.updatedAt)
                WHERE id = \(id)
                """
            )
            try await Self.append(events, in: tx)
            return incident
        }
    }

    func append(_ events: [IncidentEvent]) async throws {
        guard !events.isEmpty else { return }
        try await self.database.transaction { tx in
            try await tx.lock("incident")
            try await Self.append(events, in: tx)
        }
    }

    func timeline(of id: String) async throws -> [IncidentEvent] {
        try await self.database.rows(
            """
            SELECT incident_id, sequence, at, actor, kind, text, \(sqlite: "data", postgres: "data::text AS data")
            FROM incident_event WHERE incident_id = \(id) ORDER BY sequence
            """
        ) { row in
            let kindText: String = try row.decode("kind")
            guard let kind = IncidentEvent.Kind(rawValue: kindText) else {
                throw StorageError.invalidStoredValue(table: "incident_event", column: "kind")
            }
            let dataText: String? = try row.decode("data")
            let sequence: Int = try row.decode("sequence")
            return IncidentEvent(
                incidentID: try row.decode("incident_id"),
                sequence: sequence,
                at: try row.decode("at"),
                actor: try row.decode("actor"),
                kind: kind,
                text: try row.decode("text"),
                data: try dataText.map { text in
                    do { return try JSONValue(parsing: text) } catch {
                        throw StorageError.invalidStoredValue(table: "incident_event", column: "data")
                    }
                }
            )
        }
    }

    func detections(of id: String) async throws -> [Detection] {
        let incident = try await self.incident(id: id)
        guard let incident else { return [] }
        return try await self.database.rows(
            """
            SELECT at, detector, severity, summary, \
            \(sqlite: "scope, request_ids, measured", postgres: "scope::text AS scope, request_ids::text AS request_ids, measured::text AS measured")
            FROM incident_detection WHERE incident_id = \(id) ORDER BY sequence
            """
        ) { row in
            let severityText: String = try row.decode("severity")
            guard let severity = IncidentSeverity(rawValue: severityText) else {
                throw StorageError.invalidStoredValue(table: "incident_detection", column: "severity")
            }
            return Detection(
                category: incident.category,
                severity: severity,
                scope: try Self.decode(IncidentScope.self, row, "scope", table: "incident_detection"),
                detector: try row.decode("detector"),
                summary: try row.decode("summary"),
                requestIDs: try Self.decode([String].self, row, "request_ids", table: "incident_detection"),
                values: try Self.decode([String: Double].self, row, "measured", table: "incident_detection"),
                at: try row.decode("at")
            )
        }
    }

    func requestIDs(of id: String, limit: Int) async throws -> [String] {
        try await self.database.rows(
            """
            SELECT request_id FROM incident_record WHERE incident_id = \(id)
            ORDER BY linked_at, request_id LIMIT \(Int64(limit))
            """
        ) { try $0.decode("request_id") }
    }

    func openIncidents() async throws -> [Incident] {
        try await self.database.rows(
            """
            SELECT \(Self.columns) FROM incident WHERE state IN ('detected', 'acknowledged', 'contained')
            ORDER BY opened_at
            """,
            Self.incident(from:)
        )
    }

    func incidentsWithRunningClocks() async throws -> [Incident] {
        // Few incidents are ever classified; the clocks are read from their JSON here.
        try await self.database.rows(
            """
            SELECT \(Self.columns) FROM incident WHERE state <> 'closed' AND \
            \(sqlite: "json_array_length(clocks) > 0", postgres: "jsonb_array_length(clocks) > 0")
            ORDER BY opened_at
            """,
            Self.incident(from:)
        ).filter { $0.clocks.contains { $0.reportedAt == nil } }
    }

    // MARK: - Rows

    private static func insert(_ incident: Incident, in tx: any SQLTransaction) async throws {
        let scope = incident.scope
        try await tx.run(
            """
            INSERT INTO incident (id, category, severity, state, grouping_key, org_id, team_id, key_id, agent_id, model, \
            provider, title, owner, detections, escalation_level, clocks, evidence, review, opened_at, acknowledged_at, \
            contained_at, resolved_at, closed_at, updated_at)
            VALUES (\(incident.id), \(incident.category.rawValue), \(incident.severity.rawValue), \
            \(incident.state.rawValue), \(scope.groupingKey), \(scope.org), \(scope.team), \(scope.key), \(scope.agent), \
            \(scope.model), \(scope.provider), \(incident.title), \(incident.owner), \(Int64(incident.detections)), \
            \(Int64(incident.escalationLevel)), \(json: try Self.json(incident.clocks)), \
            \(json: try incident.evidence.map(Self.json)), \(json: try incident.review.map(Self.json)), \
            \(incident.openedAt), \(incident.acknowledgedAt), \(incident.containedAt), \(incident.resolvedAt), \
            \(incident.closedAt), \(incident.updatedAt))
            """
        )
    }

    /// Links requests to an incident, up to ``IncidentStore/maximumLinkedRequests``.
    private static func link(
        _ requestIDs: [String],
        to id: String,
        at time: Int64,
        in tx: any SQLTransaction
    ) async throws {
        guard !requestIDs.isEmpty else { return }
        let linked: Int =
            try await tx.row("SELECT COUNT(*) AS n FROM incident_record WHERE incident_id = \(id)") {
                try $0.decode("n")
            } ?? 0
        let room = Self.maximumLinkedRequests - linked
        guard room > 0 else { return }
        for requestID in Set(requestIDs).sorted().prefix(room) {
            try await tx.run(
                """
                INSERT INTO incident_record (incident_id, request_id, linked_at) VALUES (\(id), \(requestID), \(time))
                ON CONFLICT (incident_id, request_id) DO NOTHING
                """
            )
        }
    }

    private static func append(_ events: [IncidentEvent], in tx: any SQLTransaction) async throws {
        var next: [String: Int] = [:]
        for event in events {
            let sequence: Int
            if let known = next[event.incidentID] {
                sequence = known
            } else {
                sequence =
                    try await tx.row(
                        "SELECT COALESCE(MAX(sequence), 0) + 1 AS next FROM incident_event WHERE incident_id = \(event.incidentID)"
                    ) { try $0.decode("next") } ?? 1
            }
            next[event.incidentID] = sequence + 1
            try await tx.run(
                """
                INSERT INTO incident_event (incident_id, sequence, at, actor, kind, text, data)
                VALUES (\(event.incidentID), \(Int64(sequence)), \(event.at), \(event.actor), \(event.kind.rawValue), \
                \(event.text), \(json: event.data.map(\.jsonText)))
                """
            )
        }
    }

    private static func eventData(of detection: Detection) -> JSONValue {
        .object([
            "detector": .string(detection.detector),
            "severity": .string(detection.severity.rawValue),
            "requests": .int(detection.requestIDs.count),
            "values": .object(
                detection.values.sorted { $0.key < $1.key }.map {
                    JSONValue.Member(key: $0.key, value: .double($0.value))
                }
            ),
        ])
    }

    private static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ row: SQLRow, _ column: String, table: String) throws -> T
    {
        let text: String = try row.decode(column)
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw StorageError.invalidStoredValue(table: table, column: column)
        }
    }

    private static func decodeIfPresent<T: Decodable>(_ type: T.Type, _ row: SQLRow, _ column: String) throws -> T? {
        let text: String? = try row.decode(column)
        guard let text else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw StorageError.invalidStoredValue(table: "incident", column: column)
        }
    }

    private static func incident(from row: SQLRow) throws -> Incident {
        let category: String = try row.decode("category")
        let severity: String = try row.decode("severity")
        let state: String = try row.decode("state")
        guard let category = IncidentCategory(rawValue: category) else {
            throw StorageError.invalidStoredValue(table: "incident", column: "category")
        }
        guard let severity = IncidentSeverity(rawValue: severity) else {
            throw StorageError.invalidStoredValue(table: "incident", column: "severity")
        }
        guard let state = Incident.State(rawValue: state) else {
            throw StorageError.invalidStoredValue(table: "incident", column: "state")
        }
        let detections: Int = try row.decode("detections")
        let level: Int = try row.decode("escalation_level")
        return Incident(
            id: try row.decode("id"),
            category: category,
            severity: severity,
            scope: IncidentScope(
                org: try row.decode("org_id"),
                team: try row.decode("team_id"),
                key: try row.decode("key_id"),
                agent: try row.decode("agent_id"),
                model: try row.decode("model"),
                provider: try row.decode("provider")
            ),
            state: state,
            title: try row.decode("title"),
            owner: try row.decode("owner"),
            detections: detections,
            escalationLevel: level,
            clocks: try Self.decode([RegulatoryClock].self, row, "clocks", table: "incident"),
            evidence: try Self.decodeIfPresent(Incident.Evidence.self, row, "evidence"),
            review: try Self.decodeIfPresent(Incident.Review.self, row, "review"),
            openedAt: try row.decode("opened_at"),
            acknowledgedAt: try row.decode("acknowledged_at"),
            containedAt: try row.decode("contained_at"),
            resolvedAt: try row.decode("resolved_at"),
            closedAt: try row.decode("closed_at"),
            updatedAt: try row.decode("updated_at")
        )
    }
}

// MARK: - Playbooks and their runs

extension SQLIncidentStore {
    func playbooks() async throws -> [Playbook] {
        try await self.database.rows(
            "SELECT \(sqlite: "definition", postgres: "definition::text AS definition") FROM playbook ORDER BY id"
        ) { row in
            let text: String = try row.decode("definition")
            do {
                return try Playbook(json: try JSONValue(parsing: text), source: .api)
            } catch {
                throw StorageError.invalidStoredValue(table: "playbook", column: "definition")
            }
        }
    }

    func save(_ playbook: Playbook, at time: Int64) async throws {
        try await self.database.run(
            """
            INSERT INTO playbook (id, definition, updated_at) VALUES (\(playbook.id), \(json: playbook.json.jsonText), \(time))
            ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at
            """
        )
    }

    func deletePlaybook(id: String) async throws -> Bool {
        try await self.database.run("DELETE FROM playbook WHERE id = \(id)") > 0
    }

    func playbookStamp() async throws -> String {
        try await self.database.row("SELECT COUNT(*) AS n, COALESCE(MAX(updated_at), 0) AS t FROM playbook") { row in
            let count: Int64 = try row.decode("n")
            let time: Int64 = try row.decode("t")
            return "\(count):\(time)"
        } ?? "0:0"
    }

    func insert(_ actions: [IncidentAction]) async throws {
        guard !actions.isEmpty else { return }
        try await self.database.transaction { tx in
            for action in actions {
                try await tx.run(
                    """
                    INSERT INTO incident_action (incident_id, playbook_id, step, definition, state, result, undo, due_at, updated_at)
                    VALUES (\(action.incidentID), \(action.playbookID), \(Int64(action.step)), \
                    \(json: action.definition.json.jsonText), \(action.state.rawValue), \(action.result), \
                    \(json: action.undo?.jsonText), \(action.dueAt), \(action.updatedAt))
                    ON CONFLICT (incident_id, playbook_id, step) DO NOTHING
                    """
                )
            }
        }
    }

    func actions(of incidentID: String) async throws -> [IncidentAction] {
        try await self.database.rows(
            "SELECT \(Self.actionColumns) FROM incident_action WHERE incident_id = \(incidentID) ORDER BY playbook_id, step",
            Self.action(from:)
        )
    }

    func move(_ action: IncidentAction, from: Set<IncidentAction.State>) async throws -> Bool {
        try await self.database.run(
            """
            UPDATE incident_action SET state = \(action.state.rawValue), result = \(action.result), \
            definition = \(json: action.definition.json.jsonText), \
            undo = \(json: action.undo?.jsonText), due_at = \(action.dueAt), updated_at = \(action.updatedAt)
            WHERE incident_id = \(action.incidentID) AND playbook_id = \(action.playbookID) AND step = \(Int64(action.step)) \
            AND state IN (\(list: from.map(\.rawValue).sorted()))
            """
        ) > 0
    }

    func dueActions(at time: Int64) async throws -> [IncidentAction] {
        try await self.database.rows(
            """
            SELECT \(Self.actionColumns) FROM incident_action
            WHERE state IN ('waiting', 'done') AND due_at IS NOT NULL AND due_at <= \(time)
            ORDER BY due_at, incident_id, playbook_id, step
            """,
            Self.action(from:)
        )
    }

    func incidentsWithPendingActions() async throws -> [String] {
        try await self.database.rows(
            """
            SELECT DISTINCT a.incident_id AS id FROM incident_action a JOIN incident i ON i.id = a.incident_id
            WHERE a.state = 'pending' AND i.state IN ('detected', 'acknowledged', 'contained') ORDER BY a.incident_id
            """
        ) { try $0.decode("id") }
    }

    private static let actionColumns: SQLStatement = """
        incident_id, playbook_id, step, \(sqlite: "definition, undo", postgres: "definition::text AS definition, undo::text AS undo"), \
        state, result, due_at, updated_at
        """

    private static func action(from row: SQLRow) throws -> IncidentAction {
        let stateText: String = try row.decode("state")
        guard let state = IncidentAction.State(rawValue: stateText) else {
            throw StorageError.invalidStoredValue(table: "incident_action", column: "state")
        }
        let definitionText: String = try row.decode("definition")
        let definition: PlaybookStep
        do {
            definition = try PlaybookStep(json: try JSONValue(parsing: definitionText), path: "definition")
        } catch {
            throw StorageError.invalidStoredValue(table: "incident_action", column: "definition")
        }
        let undoText: String? = try row.decode("undo")
        let undo: JSONValue?
        do {
            undo = try undoText.map { text throws(JSONScanner.SyntaxError) in try JSONValue(parsing: text) }
        } catch {
            throw StorageError.invalidStoredValue(table: "incident_action", column: "undo")
        }
        let step: Int = try row.decode("step")
        return IncidentAction(
            incidentID: try row.decode("incident_id"),
            playbookID: try row.decode("playbook_id"),
            step: step,
            definition: definition,
            state: state,
            result: try row.decode("result"),
            undo: undo,
            dueAt: try row.decode("due_at"),
            updatedAt: try row.decode("updated_at")
        )
    }
}
