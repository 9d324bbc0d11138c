import Hummingbird
import KeelCore
import KeelOps
import KeelStorage

/// `/admin/v1/playbooks` (list, read, create, replace, delete, dry run) and the approval of held
/// steps (`/admin/v1/incidents/{id}/actions/{ref}/approve|deny`). Playbooks are read by whoever
/// reads incidents and changed by admins; every change is audited by the admin middleware.
struct PlaybookAPI: Sendable {
    let library: PlaybookLibrary
    let runner: PlaybookRunner
    let engine: IncidentEngine
    let admin: AdminAPI

    static func add(to router: Router<BasicRequestContext>, api: PlaybookAPI) {
        router.get("admin/v1/playbooks") { request, _ in try await api.list(request) }
        router.post("admin/v1/playbooks") { request, _ in try await api.save(request, id: nil) }
        router.get("admin/v1/playbooks/{id}") { request, context in
            try await api.show(request, id: try context.parameters.require("id"))
        }
        router.put("admin/v1/playbooks/{id}") { request, context in
            try await api.save(request, id: try context.parameters.require("id"))
        }
        router.delete("admin/v1/playbooks/{id}") { request, context in
            try await api.delete(request, id: try context.parameters.require("id"))
        }
        router.post("admin/v1/playbooks/{id}/dry-run") { request, context in
            try await api.dryRun(request, id: try context.parameters.require("id"))
        }
        router.post("admin/v1/incidents/{id}/actions/{ref}/approve") { request, context in
            try await api.decide(
                request,
                id: try context.parameters.require("id"),
                reference: try context.parameters.require("ref"),
                approve: true
            )
        }
        router.post("admin/v1/incidents/{id}/actions/{ref}/deny") { request, context in
            try await api.decide(
                request,
                id: try context.parameters.require("id"),
                reference: try context.parameters.require("ref"),
                approve: false
            )
        }
    }

    /// `GET /admin/v1/playbooks`: every playbook in force, with its `source` (`built_in`,
    /// `config`, `api`).
    func list(_ request: Request) async throws -> Response {
        _ = try self.admin.authenticate(request, .read, .incident)
        return Gateway.json(JSONValue.object(["data": .array(self.library.current.map(\.json))]).jsonText)
    }

    func show(_ request: Request, id: String) async throws -> Response {
        _ = try self.admin.authenticate(request, .read, .incident)
        guard let playbook = self.library.playbook(id: id) else {
            throw KeelError.notFound("No playbook with id '\(id)'.")
        }
        return Gateway.json(playbook.json.jsonText)
    }

    /// `POST /admin/v1/playbooks` (201) or `PUT /admin/v1/playbooks/{id}` (200, replacing the
    /// stored one, or overriding a default or configured one of that id): admins only.
    func save(_ request: Request, id: String?) async throws -> Response {
        let caller = try self.admin.authenticate(request, .update, .policy)
        guard caller.role == .admin else { throw KeelError.permissionDenied("Only admins change playbooks.") }
        let body = try JSONValue.object(
            try await request.body.collect(upTo: 256 << 10),
            shape: "a playbook (id, name, category, min_severity, enabled, dry_run, steps)"
        )
        let playbook: Playbook
        do {
            playbook = try Playbook(json: body, defaultID: id, source: .api)
        } catch {
            throw KeelError.invalidRequest("Invalid playbook: \(error).", param: error.path.isEmpty ? nil : error.path)
        }
        if let id, playbook.id != id {
            throw KeelError.invalidRequest("The body's 'id' must be the path's ('\(id)').", param: "id")
        }
        if id == nil, self.library.isStored(playbook.id) {
            throw KeelError.conflict("A playbook with id '\(playbook.id)' exists; replace it with PUT.", param: "id")
        }
        try await self.library.save(playbook, at: WallClock.unixMicros())
        var response = Gateway.json(playbook.json.jsonText)
        if id == nil { response.status = .created }
        return response
    }

    /// `DELETE /admin/v1/playbooks/{id}`: removes an API playbook (a default or configured one of
    /// the same id applies again; those themselves are turned off with `enabled: false`).
    func delete(_ request: Request, id: String) async throws -> Response {
        let caller = try self.admin.authenticate(request, .update, .policy)
        guard caller.role == .admin else { throw KeelError.permissionDenied("Only admins change playbooks.") }
        guard try await self.library.delete(id: id) else {
            throw KeelError.notFound("No playbook made through the API with id '\(id)'.")
        }
        return Gateway.json(
            JSONValue.object(["id": .string(id), "object": .string("playbook"), "deleted": .bool(true)]).jsonText
        )
    }

    /// `POST /admin/v1/playbooks/{id}/dry-run` with `{"incident": id}`: what the playbook would
    /// do for that incident, step by step, changing nothing: whether it applies, and each step
    /// with its description and whether it would wait for approval.
    func dryRun(_ request: Request, id: String) async throws -> Response {
        _ = try self.admin.authenticate(request, .read, .incident)
        guard let playbook = self.library.playbook(id: id) else {
            throw KeelError.notFound("No playbook with id '\(id)'.")
        }
        let body = try JSONValue.object(try await request.body.collect(upTo: 16 << 10), shape: "{\"incident\": id}")
        guard let incidentID = try body.optionalString("incident") else {
            throw KeelError.invalidRequest("A dry run needs 'incident': the incident to run it for.", param: "incident")
        }
        guard let incident = try await self.engine.store.incident(id: incidentID) else {
            throw KeelError.notFound("No incident with id '\(incidentID)'.")
        }
        let steps = playbook.steps.enumerated().map { index, step -> JSONValue in
            let held: Bool = step.approval || { if case .requireApproval = step.action { true } else { false } }()
            return .object([
                "step": .int(index),
                "action": .string(step.action.name),
                "would": .string(PlaybookRunner.describe(step)),
                "approval": .bool(held),
                "undone_on_resolve": .bool(step.action.isTemporary && !step.keep),
            ])
        }
        return Gateway.json(
            JSONValue.object([
                "playbook": .string(playbook.id),
                "incident": .string(incident.id),
                "applies": .bool(playbook.applies(to: incident)),
                "steps": .array(steps),
            ]).jsonText
        )
    }

    /// `POST /admin/v1/incidents/{id}/actions/{playbook}.{step}/approve` or `/deny` with
    /// optional `{"reason"}`: decides a held step. Who may respond to the incident may decide.
    func decide(_ request: Request, id: String, reference: String, approve: Bool) async throws -> Response {
        let caller = try self.admin.authenticate(request, .update, .incident)
        guard let incident = try await self.engine.store.incident(id: id) else {
            throw KeelError.notFound("No incident with id '\(id)'.")
        }
        try self.admin.require(caller, .update, .incident, in: IncidentAPI.scope(of: incident))
        let body = try JSONValue.object(
            try await request.body.collect(upTo: 16 << 10),
            allowEmpty: true,
            shape: "{\"reason\"}"
        )
        let actor = caller.keyID.map { "key:\($0.rawValue)" } ?? "admin"
        do {
            let action = try await self.runner.decide(
                incidentID: id,
                reference: reference,
                approve: approve,
                actor: actor,
                reason: try body.optionalString("reason"),
                at: WallClock.unixMicros()
            )
            let current =
                try await self.engine.store.actions(of: id).first { $0.reference == action.reference } ?? action
            return Gateway.json(Self.json(current).jsonText)
        } catch PlaybookRunner.Failure.notFound {
            throw KeelError.notFound("No step '\(reference)' in incident '\(id)'.")
        } catch PlaybookRunner.Failure.notAwaitingApproval {
            throw KeelError.conflict("Step '\(reference)' is not waiting for approval.")
        }
    }

    static func json(_ action: IncidentAction) -> JSONValue {
        .object([
            "id": .string(action.reference),
            "playbook": .string(action.playbookID),
            "step": .int(action.step),
            "action": .string(action.definition.action.name),
            "definition": action.definition.json,
            "state": .string(action.state.rawValue),
            "result": action.result.map(JSONValue.string) ?? .null,
            "due_at": action.dueAt.map { .string(RFC3339.string(micros: $0)) } ?? .null,
            "updated_at": .string(RFC3339.string(micros: action.updatedAt)),
        ])
    }
}
