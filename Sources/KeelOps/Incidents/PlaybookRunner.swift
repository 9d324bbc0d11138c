public import KeelCore
public import KeelStorage
public import Logging

/// Runs playbooks for incidents: starts the playbooks that apply when an incident opens (or its
/// severity rises into a playbook's range), walks each playbook's steps in order, holds steps for
/// approval, fires escalations when an incident stays unacknowledged, and undoes temporary
/// actions when the incident resolves or their duration ends.
///
/// Steps live in the store (``IncidentAction``); moving one is atomic, so of several instances
/// exactly one runs each step. A step that fails is recorded and the playbook goes on.
public final class PlaybookRunner: Sendable {
    public enum Failure: Error, Sendable, Equatable {
        case notFound
        /// The step is not waiting for approval.
        case notAwaitingApproval
    }

    private let engine: IncidentEngine
    private let handles: any IncidentHandles
    private let notifier: any IncidentNotifier
    private let trail: (any IncidentAuditTrail)?
    private let playbooks: @Sendable () -> [Playbook]
    private let logger: Logger

    /// `playbooks` gives the playbooks in force (defaults, configuration and API, merged).
    public init(
        engine: IncidentEngine,
        handles: any IncidentHandles,
        notifier: any IncidentNotifier,
        trail: (any IncidentAuditTrail)?,
        playbooks: @escaping @Sendable () -> [Playbook],
        logger: Logger
    ) {
        self.engine = engine
        self.handles = handles
        self.notifier = notifier
        self.trail = trail
        self.playbooks = playbooks
        self.logger = logger
    }

    private var store: any IncidentStore { self.engine.store }

    /// Starts the playbooks that apply to `incident` and runs what they can.
    public func start(_ incident: Incident, at now: Int64) async {
        let applying = self.playbooks().filter { $0.applies(to: incident) }
        guard !applying.isEmpty else { return }
        var actions: [IncidentAction] = []
        for playbook in applying {
            for (index, step) in playbook.steps.enumerated() {
                actions.append(
                    IncidentAction(
                        incidentID: incident.id,
                        playbookID: playbook.id,
                        step: index,
                        definition: step,
                        state: playbook.dryRun ? .dryRun : .pending,
                        result: playbook.dryRun ? "Dry run: would \(Self.describe(step))" : nil,
                        updatedAt: now
                    )
                )
            }
        }
        do {
            let existing = Set(try await self.store.actions(of: incident.id).map(\.playbookID))
            let new = actions.filter { !existing.contains($0.playbookID) }
            guard !new.isEmpty else { return }
            try await self.store.insert(new)
            var events: [IncidentEvent] = []
            for playbook in applying where !existing.contains(playbook.id) {
                events.append(
                    IncidentEvent(
                        incidentID: incident.id,
                        at: now,
                        actor: "playbook:\(playbook.id)",
                        kind: .action,
                        text: (playbook.dryRun ? "Playbook started (dry run): " : "Playbook started: ")
                            + (playbook.name ?? playbook.id),
                        data: .object(["playbook": .string(playbook.id), "dry_run": .bool(playbook.dryRun)])
                    )
                )
            }
            for action in new where action.state == .dryRun {
                events.append(self.event(action, at: now, text: action.result ?? ""))
            }
            try await self.store.append(events)
        } catch {
            self.logger.error(
                "A playbook could not start",
                metadata: ["keel.incident": "\(incident.id)", "error.message": "\(error)"]
            )
            return
        }
        await self.advance(incident.id, at: now)
    }

    /// Runs every step that can run now, in order, per playbook: a step held for approval, or
    /// running elsewhere, holds the steps after it.
    public func advance(_ incidentID: String, at now: Int64) async {
        do {
            guard let incident = try await self.store.incident(id: incidentID), incident.state.isOpen else { return }
            let actions = try await self.store.actions(of: incidentID)
            let byPlaybook = Dictionary(grouping: actions, by: \.playbookID)
            for playbookID in byPlaybook.keys.sorted() {
                for action in byPlaybook[playbookID]!.sorted(by: { $0.step < $1.step }) {
                    guard try await self.run(action, of: incident, at: now) else { break }
                }
            }
        } catch {
            self.logger.error(
                "A playbook could not go on",
                metadata: ["keel.incident": "\(incidentID)", "error.message": "\(error)"]
            )
        }
    }

    /// Runs one step if it is pending; returns whether the steps after it may run.
    private func run(_ action: IncidentAction, of incident: Incident, at now: Int64) async throws -> Bool {
        switch action.state {
        case .done, .failed, .skipped, .undone, .dryRun, .waiting: return true
        case .awaitingApproval, .running: return false
        case .pending: break
        }
        let step = action.definition
        var next = action
        next.updatedAt = now
        if step.approval || { if case .requireApproval = step.action { return true } else { return false } }() {
            next.state = .awaitingApproval
            guard try await self.store.move(next, from: [.pending]) else { return false }
            let text = "Waiting for approval: \(Self.describe(step))"
            try await self.store.append([self.event(next, at: now, text: text)])
            await self.notifier.notify(
                .init(event: .approvalRequested, incident: incident, text: "\(text) (approve \(action.reference))")
            )
            return false
        }
        if case .escalate(let minutes) = step.action {
            next.state = .waiting
            next.dueAt = incident.openedAt + Int64(minutes) * 60_000_000
            guard try await self.store.move(next, from: [.pending]) else { return true }
            try await self.store.append([
                self.event(next, at: now, text: "Escalates in \(minutes) min unless acknowledged")
            ])
            // Already due (an escalation after 0 minutes, or a run resumed late): now.
            if next.dueAt! <= now { await self.fireEscalation(next, at: now) }
            return true
        }
        next.state = .running
        guard try await self.store.move(next, from: [.pending]) else { return false }
        do {
            let outcome = try await self.handles.perform(step.action, for: incident)
            next.state = .done
            next.result = outcome.text
            next.undo = outcome.undo
            if step.action.isTemporary, let minutes = step.action.durationMinutes {
                next.dueAt = now + Int64(minutes) * 60_000_000
            }
        } catch let failure as IncidentActionFailure where failure.notApplicable {
            next.state = .skipped
            next.result = "Skipped: \(failure.reason)"
        } catch {
            next.state = .failed
            next.result = "Failed: \(error)"
        }
        _ = try await self.store.move(next, from: [.running])
        try await self.store.append([self.event(next, at: now, text: next.result ?? "")])
        if next.state == .done, step.action.isTemporary {
            await self.contained(incident.id, by: next, at: now)
        }
        await self.trail?.record(
            action: "incidents.action",
            incidentID: incident.id,
            summary: .object([
                "playbook": .string(next.playbookID),
                "step": .int(next.step),
                "action": .string(step.action.name),
                "state": .string(next.state.rawValue),
                "result": .string(next.result ?? ""),
            ])
        )
        return true
    }

    /// The first containing step done (a temporary change of the data plane: failover, throttle,
    /// suspension, pin, block) moves an incident still `detected` or `acknowledged` to
    /// `contained`.
    private func contained(_ incidentID: String, by action: IncidentAction, at now: Int64) async {
        do {
            guard let current = try await self.store.incident(id: incidentID),
                current.state == .detected || current.state == .acknowledged
            else { return }
            try await self.engine.move(
                incidentID,
                to: .contained,
                actor: "playbook:\(action.playbookID)",
                note: Self.describe(action.definition),
                byPerson: false,
                at: now
            )
        } catch {
            // Moved by someone else meanwhile: their state stands.
            self.logger.debug(
                "An incident was not marked contained",
                metadata: ["keel.incident": "\(incidentID)", "error.message": "\(error)"]
            )
        }
    }

    /// A human approves (`true`) or denies a held step. Approved, it runs (a `require_approval`
    /// step is done); denied, it is skipped, and a denied `require_approval` skips the rest of
    /// its playbook.
    @discardableResult
    public func decide(
        incidentID: String,
        reference: String,
        approve: Bool,
        actor: String,
        reason: String?,
        at now: Int64
    ) async throws -> IncidentAction {
        let actions = try await self.store.actions(of: incidentID)
        guard let action = actions.first(where: { $0.reference == reference }) else { throw Failure.notFound }
        guard action.state == .awaitingApproval else { throw Failure.notAwaitingApproval }
        var next = action
        next.updatedAt = now
        let gate: Bool = { if case .requireApproval = action.definition.action { return true } else { return false } }()
        if approve {
            next.state = gate ? .done : .pending
            next.result = "Approved by \(actor)" + (reason.map { ": \($0)" } ?? "")
            // The step runs as approved, not held again.
            next.definition.approval = false
        } else {
            next.state = .skipped
            next.result = "Denied by \(actor)" + (reason.map { ": \($0)" } ?? "")
        }
        guard try await self.store.move(next, from: [.awaitingApproval]) else { throw Failure.notAwaitingApproval }
        var events = [
            self.event(next, at: now, text: "\(Self.describe(action.definition)): \(next.result ?? "")", actor: actor)
        ]
        if !approve, gate {
            for later in actions
            where later.playbookID == action.playbookID && later.step > action.step && later.state == .pending {
                var skipped = later
                skipped.state = .skipped
                skipped.result = "Skipped: an approval before it was denied"
                skipped.updatedAt = now
                if try await self.store.move(skipped, from: [.pending]) {
                    events.append(self.event(skipped, at: now, text: skipped.result!))
                }
            }
        }
        try await self.store.append(events)
        // Approved, the step is pending again without its hold (the store keeps the definition
        // with it), so whichever instance advances first runs it.
        await self.advance(incidentID, at: now)
        return next
    }

    /// Fires escalations that fell due and undoes temporary actions whose duration ended; goes on
    /// with runs left pending (a restart, another instance gone).
    public func tick(now: Int64) async {
        do {
            for action in try await self.store.dueActions(at: now) {
                switch action.state {
                case .waiting: await self.fireEscalation(action, at: now)
                case .done: await self.undo(action, at: now, why: "its duration ended")
                default: break
                }
            }
            for incidentID in try await self.store.incidentsWithPendingActions() {
                await self.advance(incidentID, at: now)
            }
        } catch {
            self.logger.warning("Playbook timers could not be checked", metadata: ["error.message": "\(error)"])
        }
    }

    /// Undoes every temporary action done for the incident, except those kept.
    public func resolved(_ incident: Incident, at now: Int64) async {
        do {
            let actions = try await self.store.actions(of: incident.id)
            for action in actions
            where action.state == .done && action.definition.action.isTemporary && !action.definition.keep {
                await self.undo(action, at: now, why: "the incident resolved")
            }
            // Steps not reached will not run any more.
            for action in actions
            where action.state == .pending || action.state == .awaitingApproval || action.state == .waiting {
                var skipped = action
                skipped.state = .skipped
                skipped.result = "Skipped: the incident resolved"
                skipped.updatedAt = now
                if try await self.store.move(skipped, from: [action.state]) {
                    try await self.store.append([self.event(skipped, at: now, text: skipped.result!)])
                }
            }
        } catch {
            self.logger.error(
                "Playbook actions could not be undone",
                metadata: ["keel.incident": "\(incident.id)", "error.message": "\(error)"]
            )
        }
    }

    private func undo(_ action: IncidentAction, at now: Int64, why: String) async {
        guard action.definition.action.isTemporary, let token = action.undo else { return }
        var next = action
        next.state = .undone
        next.updatedAt = now
        next.dueAt = nil
        do {
            guard try await self.store.move(next, from: [.done]) else { return }
            guard let incident = try await self.store.incident(id: action.incidentID) else { return }
            let text: String
            do {
                text =
                    "Undone (\(why)): "
                    + (try await self.handles.undo(action.definition.action, token: token, for: incident))
            } catch {
                text = "Undo failed (\(why)): \(error)"
            }
            next.result = text
            _ = try await self.store.move(next, from: [.undone])
            try await self.store.append([self.event(next, at: now, text: text)])
            await self.trail?.record(
                action: "incidents.undo",
                incidentID: incident.id,
                summary: .object([
                    "playbook": .string(action.playbookID),
                    "step": .int(action.step),
                    "action": .string(action.definition.action.name),
                    "result": .string(text),
                ])
            )
        } catch {
            self.logger.error("A playbook action could not be undone", metadata: ["error.message": "\(error)"])
        }
    }

    /// An escalation fell due: the next on-call target is told when the incident is still
    /// unacknowledged; otherwise it is skipped.
    private func fireEscalation(_ action: IncidentAction, at now: Int64) async {
        do {
            guard let incident = try await self.store.incident(id: action.incidentID) else { return }
            var next = action
            next.updatedAt = now
            next.dueAt = nil
            // Contained by a playbook but acknowledged by nobody: it still escalates.
            guard incident.state.isOpen, incident.acknowledgedAt == nil else {
                next.state = .skipped
                next.result = "Not escalated: acknowledged in time"
                if try await self.store.move(next, from: [.waiting]) {
                    try await self.store.append([self.event(next, at: now, text: next.result!)])
                }
                return
            }
            next.state = .done
            next.result = "Escalated"
            guard try await self.store.move(next, from: [.waiting]) else { return }
            guard
                let escalated = try await self.store.update(
                    id: incident.id,
                    { incident in
                        incident.escalationLevel += 1
                        incident.updatedAt = now
                        return [
                            IncidentEvent(
                                incidentID: incident.id,
                                at: now,
                                actor: "playbook:\(action.playbookID)",
                                kind: .escalated,
                                text: "Escalated to on-call level \(incident.escalationLevel): unacknowledged",
                                data: .object(["level": .int(incident.escalationLevel)])
                            )
                        ]
                    }
                )
            else { return }
            await self.notifier.notify(
                .init(
                    event: .escalated,
                    incident: escalated,
                    text: "Unacknowledged since \(RFC3339.string(micros: incident.openedAt)): escalated",
                    onCallLevel: escalated.escalationLevel
                )
            )
        } catch {
            self.logger.error("An escalation could not fire", metadata: ["error.message": "\(error)"])
        }
    }

    private func event(_ action: IncidentAction, at now: Int64, text: String, actor: String? = nil) -> IncidentEvent {
        IncidentEvent(
            incidentID: action.incidentID,
            at: now,
            actor: actor ?? "playbook:\(action.playbookID)",
            kind: .action,
            text: text,
            data: .object([
                "playbook": .string(action.playbookID),
                "step": .int(action.step),
                "action": .string(action.definition.action.name),
                "state": .string(action.state.rawValue),
            ])
        )
    }

    /// A step in words: "throttle to 30 requests per minute for 60 min".
    public static func describe(_ step: PlaybookStep) -> String {
        switch step.action {
        case .notify(let message): message.map { "notify: \($0)" } ?? "notify the receivers"
        case .escalate(let minutes): "escalate after \(minutes) min unacknowledged"
        case .failover(let provider, let minutes):
            "fail over from \(provider.map { "provider '\($0)'" } ?? "the incident's provider")"
                + (minutes.map { " for \($0) min" } ?? "")
        case .throttle(let rpm, let minutes):
            "throttle to \(rpm) requests per minute" + (minutes.map { " for \($0) min" } ?? "")
        case .suspendKey: "suspend the incident's key"
        case .suspendAgent: "suspend the incident's agent"
        case .pinModel(let model, let deployment):
            "pin \(model.map { "model '\($0)'" } ?? "the incident's model") to '\(deployment)'"
        case .blockPattern(let pattern): "block prompts containing '\(pattern)'"
        case .requireApproval(let reason): "hold the next steps for approval" + (reason.map { ": \($0)" } ?? "")
        case .freezeEvidence: "freeze the evidence"
        case .webhook(let url, _): "post the incident to \(url)"
        }
    }
}
