public import KeelCore
public import KeelStorage
public import Logging
import Synchronization

/// Incident response's engine: turns detections into incidents (one per category and scope
/// while open), freezes their evidence, notifies, keeps their timelines, and runs the human side
/// of the response (acknowledge, assign, move, comment, classify) and the regulatory clocks.
///
/// Detections arrive from anywhere through ``report(_:)``, which never blocks: they queue (at
/// most ``queueCapacity``; past it the oldest waiting are kept and the newest counted as
/// dropped) and ``run()`` handles them one at a time. ``tick(now:)`` announces clock reminders.
/// State lives in the incident store, shared by every instance.
public final class IncidentEngine: Sendable {
    public enum Failure: Error, Sendable, Equatable {
        case notFound
        case transition(Incident.TransitionError)
        /// The incident already has a clock of this classification.
        case alreadyClassified
        /// No clock of this classification to mark reported.
        case notClassified
    }

    private struct State {
        var dropped = 0
        var opened: [IncidentCategory: Int] = [:]
        var statistics = IncidentStatistics([])
        /// When `statistics` was last read (Unix µs).
        var statisticsReadAt: Int64?
    }

    public static let queueCapacity = 10_000

    public let store: any IncidentStore
    private let audit: (any AuditLogStore)?
    private let notifier: any IncidentNotifier
    private let trail: (any IncidentAuditTrail)?
    private let newID: @Sendable () -> String
    private let logger: Logger
    private let queue: AsyncStream<Detection>
    private let continuation: AsyncStream<Detection>.Continuation
    private let state = Mutex(State())
    /// Called after an incident opened (playbooks start here) and after one resolved.
    private let observers: Mutex<[@Sendable (IncidentObservation) async -> Void]> = Mutex([])

    public init(
        store: any IncidentStore,
        audit: (any AuditLogStore)?,
        notifier: any IncidentNotifier,
        trail: (any IncidentAuditTrail)?,
        newID: @escaping @Sendable () -> String = IncidentEngine.randomID,
        logger: Logger
    ) {
        self.store = store
        self.audit = audit
        self.notifier = notifier
        self.trail = trail
        self.newID = newID
        self.logger = logger
        (self.queue, self.continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(Self.queueCapacity))
    }

    /// `inc_` and 16 random hex digits.
    public static func randomID() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return "inc_" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Queues a detection; returns at once.
    public func report(_ detection: Detection) {
        if case .dropped = self.continuation.yield(detection) {
            self.state.withLock { $0.dropped += 1 }
        }
    }

    /// Registers what runs after an incident opened or resolved (the playbook runner).
    public func observe(_ observer: @escaping @Sendable (IncidentObservation) async -> Void) {
        self.observers.withLock { $0.append(observer) }
    }

    /// Handles queued detections until ``finish()``.
    public func run() async {
        for await detection in self.queue {
            _ = await self.handle(detection)
        }
    }

    /// Ends ``run()`` once the detections queued are handled.
    public func finish() { self.continuation.finish() }

    /// Detections dropped because the queue was full.
    public var droppedDetections: Int { self.state.withLock { $0.dropped } }

    /// Incidents opened by this instance since it started, per category.
    public var openedHere: [IncidentCategory: Int] { self.state.withLock { $0.opened } }

    /// Handles one detection now: opens or joins its incident, freezes evidence, notifies.
    @discardableResult
    public func handle(_ detection: Detection) async -> IncidentReport? {
        let report: IncidentReport
        do {
            report = try await self.store.report(detection, newID: self.newID())
        } catch {
            self.logger.error(
                "A detection could not be stored; its incident is not opened",
                metadata: ["keel.detector": "\(detection.detector)", "error.message": "\(error)"]
            )
            return nil
        }
        var incident = report.incident
        if report.opened {
            self.state.withLock { $0.opened[incident.category, default: 0] += 1 }
            self.logger.notice(
                "Incident opened",
                metadata: [
                    "keel.incident": "\(incident.id)", "keel.incident.category": "\(incident.category.rawValue)",
                    "keel.incident.severity": "\(incident.severity.rawValue)",
                ]
            )
            await self.trail?.record(
                action: "incidents.open",
                incidentID: incident.id,
                summary: .object([
                    "category": .string(incident.category.rawValue),
                    "severity": .string(incident.severity.rawValue),
                    "detector": .string(detection.detector),
                    "scope": .string(incident.scope.groupingKey),
                ])
            )
            if let frozen = try? await self.freezeEvidence(
                of: incident.id,
                requestIDs: detection.requestIDs,
                actor: IncidentEvent.engineActor,
                at: detection.at
            ) {
                incident = frozen
            }
            await self.notifier.notify(
                .init(event: .opened, incident: incident, text: detection.summary, onCallLevel: 0)
            )
            await self.tellObservers(.opened(incident, detection))
        } else if report.severityRaised {
            await self.notifier.notify(
                .init(
                    event: .severityRaised,
                    incident: incident,
                    text: "Severity raised to \(incident.severity.rawValue): \(detection.summary)"
                )
            )
            await self.tellObservers(.severityRaised(incident, detection))
        }
        return report
    }

    /// Captures, for the incident, the audit log's latest checkpoint and the log indices of
    /// `requestIDs` (at most 1,000; the incident's linked requests when empty), and records it on
    /// the timeline. Without an audit log, the records stay pinned and nothing more is captured.
    @discardableResult
    public func freezeEvidence(
        of id: String,
        requestIDs: [String] = [],
        actor: String,
        at now: Int64
    ) async throws -> Incident {
        let requests =
            requestIDs.isEmpty ? try await self.store.requestIDs(of: id, limit: 1_000) : Array(requestIDs.prefix(1_000))
        var evidence = Incident.Evidence(frozenAt: now)
        if let audit {
            if let checkpoint = try await audit.latestCheckpoint() {
                evidence.checkpoint = checkpoint.note
                evidence.treeSize = checkpoint.treeSize
                evidence.rootHash = checkpoint.rootHash.base64
            }
            for request in requests {
                if let entry = try await audit.entry(forRequest: RequestID(request)) {
                    evidence.entries[request] = entry.index
                }
            }
        }
        let frozen = evidence
        let text =
            frozen.treeSize.map {
                "Evidence frozen: \(requests.count) records pinned, audit log checkpoint at size \($0)"
            }
            ?? "Evidence frozen: \(requests.count) records pinned"
        guard
            let incident = try await self.store.update(
                id: id,
                { incident in
                    // Entries frozen earlier stay; the checkpoint is the latest.
                    var merged = frozen
                    merged.entries.merge(incident.evidence?.entries ?? [:]) { new, _ in new }
                    incident.evidence = merged
                    return [
                        IncidentEvent(
                            incidentID: id,
                            at: now,
                            actor: actor,
                            kind: .evidenceFrozen,
                            text: text,
                            data: .object([
                                "records": .int(requests.count),
                                "indexed": .int(frozen.entries.count),
                                "tree_size": frozen.treeSize.map { .int($0) } ?? .null,
                            ])
                        )
                    ]
                }
            )
        else { throw Failure.notFound }
        return incident
    }

    // MARK: - The human side

    /// Moves an incident; a resolution notifies and lets playbooks undo what they did.
    @discardableResult
    public func move(
        _ id: String,
        to next: Incident.State,
        actor: String,
        note: String? = nil,
        review: Incident.Review? = nil,
        byPerson: Bool = true,
        at now: Int64
    ) async throws -> Incident {
        let incident = try await self.change(id) { incident in
            let before = incident.state
            do throws(Incident.TransitionError) {
                try incident.move(to: next, at: now, review: review, byPerson: byPerson)
            } catch {
                throw Failure.transition(error)
            }
            var data: [JSONValue.Member] = [
                .init(key: "from", value: .string(before.rawValue)), .init(key: "to", value: .string(next.rawValue)),
            ]
            if let note { data.append(.init(key: "note", value: .string(note))) }
            return [
                IncidentEvent(
                    incidentID: id,
                    at: now,
                    actor: actor,
                    kind: .stateChanged,
                    text: "State: \(before.rawValue) → \(next.rawValue)" + (note.map { ": \($0)" } ?? ""),
                    data: .object(data)
                )
            ]
        }
        if next == .resolved {
            await self.notifier.notify(
                .init(event: .resolved, incident: incident, text: note ?? "Resolved by \(actor)")
            )
            await self.tellObservers(.resolved(incident))
        }
        return incident
    }

    /// A person acknowledges: `detected` moves to `acknowledged`; an incident a playbook already
    /// contained keeps its state and gets its acknowledgement (which stops its escalation).
    public func acknowledge(_ id: String, actor: String, at now: Int64) async throws -> Incident {
        if let current = try await self.store.incident(id: id), current.state == .contained,
            current.acknowledgedAt == nil
        {
            return try await self.change(id) { incident in
                guard incident.state == .contained, incident.acknowledgedAt == nil else { return [] }
                incident.acknowledgedAt = now
                incident.updatedAt = now
                return [
                    IncidentEvent(
                        incidentID: id,
                        at: now,
                        actor: actor,
                        kind: .stateChanged,
                        text: "Acknowledged (already contained)",
                        data: .object([.init(key: "acknowledged", value: .bool(true))])
                    )
                ]
            }
        }
        return try await self.move(id, to: .acknowledged, actor: actor, at: now)
    }

    public func assign(_ id: String, to owner: String, actor: String, at now: Int64) async throws -> Incident {
        try await self.change(id) { incident in
            incident.owner = owner
            incident.updatedAt = now
            return [
                IncidentEvent(
                    incidentID: id,
                    at: now,
                    actor: actor,
                    kind: .assigned,
                    text: "Assigned to \(owner)",
                    data: .object(["owner": .string(owner)])
                )
            ]
        }
    }

    public func comment(_ id: String, _ text: String, actor: String, at now: Int64) async throws -> Incident {
        try await self.change(id) { incident in
            incident.updatedAt = now
            return [IncidentEvent(incidentID: id, at: now, actor: actor, kind: .comment, text: text)]
        }
    }

    /// Classifies an incident under a regulation, starting its clock at `awareAt` (when the
    /// organisation became aware; `now` by default).
    public func classify(
        _ id: String,
        as classification: RegulatoryClock.Classification,
        awareAt: Int64? = nil,
        actor: String,
        at now: Int64
    ) async throws -> Incident {
        try await self.change(id) { incident in
            guard !incident.clocks.contains(where: { $0.classification == classification }) else {
                throw Failure.alreadyClassified
            }
            let clock = RegulatoryClock(classification: classification, startedAt: awareAt ?? now)
            incident.clocks.append(clock)
            incident.updatedAt = now
            return [
                IncidentEvent(
                    incidentID: id,
                    at: now,
                    actor: actor,
                    kind: .classified,
                    text:
                        "Classified \(classification.rawValue): report to \(classification.authority) by the deadline",
                    data: .object([
                        "classification": .string(classification.rawValue),
                        "started_at": .int(clock.startedAt),
                        "deadline": .int(clock.deadline),
                    ])
                )
            ]
        }
    }

    /// Marks a classification's report filed: its clock stops.
    public func markReported(
        _ id: String,
        _ classification: RegulatoryClock.Classification,
        reference: String?,
        actor: String,
        at now: Int64
    ) async throws -> Incident {
        try await self.change(id) { incident in
            guard
                let index = incident.clocks.firstIndex(where: {
                    $0.classification == classification && $0.reportedAt == nil
                })
            else { throw Failure.notClassified }
            incident.clocks[index].reportedAt = now
            incident.updatedAt = now
            return [
                IncidentEvent(
                    incidentID: id,
                    at: now,
                    actor: actor,
                    kind: .reported,
                    text: "Reported under \(classification.rawValue)" + (reference.map { " (\($0))" } ?? ""),
                    data: .object([
                        "classification": .string(classification.rawValue),
                        "reference": reference.map(JSONValue.string) ?? .null,
                    ])
                )
            ]
        }
    }

    // MARK: - Clocks

    /// Announces the regulatory clocks' reminders (50 %, 80 %) and deadlines due at `now`, once
    /// each, on the timeline and to the receivers.
    public func tick(now: Int64) async {
        // The figures `/metrics` shows read every incident: once a minute is enough.
        let due = self.state.withLock { state in
            if let last = state.statisticsReadAt, now - last < 60_000_000 { return false }
            state.statisticsReadAt = now
            return true
        }
        if due { await self.refreshStatistics() }
        do {
            for incident in try await self.store.incidentsWithRunningClocks() {
                guard incident.clocks.contains(where: { !$0.dueMarks(at: now).isEmpty }) else { continue }
                let updated = try await self.store.update(id: incident.id) { incident in
                    var events: [IncidentEvent] = []
                    for index in incident.clocks.indices {
                        for mark in incident.clocks[index].dueMarks(at: now) {
                            incident.clocks[index].announced.append(mark)
                            events.append(
                                Self.clockEvent(incident.clocks[index], mark, incidentID: incident.id, at: now)
                            )
                        }
                    }
                    return events
                }
                guard let updated else { continue }
                // What this update announced: the marks now announced that were not before.
                var announced: [(RegulatoryClock, RegulatoryClock.Mark)] = []
                for clock in updated.clocks {
                    let earlier = incident.clocks.first { $0.classification == clock.classification }?.announced ?? []
                    for mark in clock.announced where !earlier.contains(mark) { announced.append((clock, mark)) }
                }
                for (clock, mark) in announced {
                    await self.notifier.notify(
                        .init(
                            event: mark == .deadline ? .clockOverdue : .clockReminder,
                            incident: updated,
                            text: Self.clockEvent(clock, mark, incidentID: updated.id, at: now).text
                        )
                    )
                }
            }
        } catch {
            self.logger.warning("Incident clocks could not be checked", metadata: ["error.message": "\(error)"])
        }
    }

    private static func clockEvent(
        _ clock: RegulatoryClock,
        _ mark: RegulatoryClock.Mark,
        incidentID: String,
        at now: Int64
    ) -> IncidentEvent {
        let text =
            mark == .deadline
            ? "Overdue: the \(clock.classification.rawValue) report to \(clock.classification.authority) was due"
            : "\(mark.rawValue) of the \(clock.classification.rawValue) deadline used: report to \(clock.classification.authority)"
        return IncidentEvent(
            incidentID: incidentID,
            at: now,
            actor: IncidentEvent.engineActor,
            kind: mark == .deadline ? .clockOverdue : .clockReminder,
            text: text,
            data: .object([
                "classification": .string(clock.classification.rawValue),
                "mark": .string(mark.rawValue),
                "deadline": .int(clock.deadline),
            ])
        )
    }

    // MARK: - Statistics

    /// Reads the figures `/metrics` shows (at most once a minute from ``tick(now:)``; `/metrics`
    /// never waits for the store).
    public func refreshStatistics() async {
        do {
            let statistics = try await self.statistics(since: nil)
            self.state.withLock { $0.statistics = statistics }
        } catch {
            self.logger.warning("Incident statistics could not be read", metadata: ["error.message": "\(error)"])
        }
    }

    /// `/metrics` lines: incidents open, opened here, MTTA and MTTR per category (from the
    /// store, as of the last read), detections dropped.
    public func prometheusText() -> String {
        let (statistics, opened, dropped) = self.state.withLock { ($0.statistics, $0.opened, $0.dropped) }
        var text = ""
        func perCategory(_ name: String, _ type: String, _ help: String, _ value: (IncidentCategory) -> String?) {
            PrometheusText.header(&text, name, type, help)
            for category in IncidentCategory.allCases {
                guard let value = value(category) else { continue }
                PrometheusText.sample(&text, name, [("category", category.rawValue)], value)
            }
        }
        perCategory(
            "keel_incidents_open",
            "gauge",
            "Incidents open (detected, acknowledged or contained), per category."
        ) {
            String(statistics.byCategory[$0]?.open ?? 0)
        }
        perCategory("keel_incidents_opened_total", "counter", "Incidents this instance opened, per category.") {
            String(opened[$0] ?? 0)
        }
        perCategory(
            "keel_incident_mtta_seconds",
            "gauge",
            "Mean seconds from detection to acknowledgement, per category."
        ) {
            statistics.byCategory[$0]?.meanSecondsToAcknowledge.map(PrometheusText.number)
        }
        perCategory("keel_incident_mttr_seconds", "gauge", "Mean seconds from detection to resolution, per category.") {
            statistics.byCategory[$0]?.meanSecondsToResolve.map(PrometheusText.number)
        }
        PrometheusText.header(
            &text,
            "keel_incident_detections_dropped_total",
            "counter",
            "Detections dropped: the engine's queue was full."
        )
        PrometheusText.sample(&text, "keel_incident_detections_dropped_total", [], String(dropped))
        return text
    }

    /// MTTA and MTTR per category over the incidents opened since `since` (at most 10,000).
    public func statistics(since: Int64?) async throws -> IncidentStatistics {
        IncidentStatistics(try await self.store.incidents(matching: IncidentQuery(since: since, limit: 10_000)))
    }

    // MARK: -

    private func change(
        _ id: String,
        _ body: @escaping @Sendable (inout Incident) throws -> [IncidentEvent]
    ) async throws -> Incident {
        guard let incident = try await self.store.update(id: id, body) else { throw Failure.notFound }
        return incident
    }

    private func tellObservers(_ observation: IncidentObservation) async {
        for observer in self.observers.withLock({ $0 }) { await observer(observation) }
    }
}

/// What the engine tells its observers.
public enum IncidentObservation: Sendable {
    case opened(Incident, Detection)
    case severityRaised(Incident, Detection)
    case resolved(Incident)
}
