import KeelCore
import KeelStorage
import Testing

@Suite("IncidentStore conformance")
struct IncidentStoreConformanceTests {
    static func detection(
        _ category: IncidentCategory = .costSpike,
        severity: IncidentSeverity = .medium,
        scope: IncidentScope = IncidentScope(org: "acme", agent: "triage"),
        requests: [String] = [],
        at: Int64
    ) -> Detection {
        Detection(
            category: category,
            severity: severity,
            scope: scope,
            detector: "cost_spike",
            summary: "Cost per minute 3.1× its norm ünï",
            requestIDs: requests,
            values: ["observed": 3.1, "expected": 1.0],
            at: at
        )
    }

    @Test(arguments: StoreBackend.enabled)
    func detectionsOfOneCategoryAndScopeJoinTheOpenIncident(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.incidents
            let first = try await store.report(Self.detection(requests: ["r1", "r2"], at: 100), newID: "inc_1")
            #expect(first.opened)
            #expect(first.incident.id == "inc_1")
            #expect(first.incident.state == .detected)
            #expect(first.incident.title == "Cost per minute 3.1× its norm ünï")

            // Same category and scope: joins, raising the severity.
            let second = try await store.report(
                Self.detection(severity: .critical, requests: ["r2", "r3"], at: 200),
                newID: "inc_2"
            )
            #expect(!second.opened)
            #expect(second.severityRaised)
            #expect(second.incident.id == "inc_1")
            #expect(second.incident.detections == 2)
            #expect(second.incident.severity == .critical)
            // Another scope or category: another incident.
            let other = try await store.report(
                Self.detection(scope: IncidentScope(org: "acme", agent: "billing"), at: 300),
                newID: "inc_3"
            )
            #expect(other.opened)
            let outage = try await store.report(
                Self.detection(.providerOutage, scope: IncidentScope(org: "acme", agent: "triage"), at: 400),
                newID: "inc_4"
            )
            #expect(outage.opened)

            #expect(try await store.requestIDs(of: "inc_1", limit: 10) == ["r1", "r2", "r3"])
            let detections = try await store.detections(of: "inc_1")
            #expect(detections.map(\.at) == [100, 200])
            #expect(detections[1].severity == .critical)
            #expect(detections[1].values == ["observed": 3.1, "expected": 1.0])
            #expect(detections[1].scope == IncidentScope(org: "acme", agent: "triage"))
            let timeline = try await store.timeline(of: "inc_1")
            #expect(timeline.map(\.kind) == [.detected, .detectionJoined, .severityRaised])
            #expect(timeline.map(\.sequence) == [1, 2, 3])
            #expect(timeline[0].data?["values"]?["observed"]?.double == 3.1)

            // Resolved, it is no longer joined: the next detection opens a new incident.
            let resolved = try await store.update(id: "inc_1") { incident in
                try incident.move(to: .resolved, at: 500)
                return [
                    IncidentEvent(
                        incidentID: incident.id,
                        at: 500,
                        actor: "admin",
                        kind: .stateChanged,
                        text: "Resolved"
                    )
                ]
            }
            #expect(resolved?.state == .resolved)
            #expect(resolved?.acknowledgedAt == 500)
            let again = try await store.report(Self.detection(at: 600), newID: "inc_5")
            #expect(again.opened)
            #expect(try await store.timeline(of: "inc_1").last?.sequence == 4)

            #expect(try await store.openIncidents().map(\.id) == ["inc_3", "inc_4", "inc_5"])
            #expect(try await store.incidents(matching: IncidentQuery(open: false)).map(\.id) == ["inc_1"])
            #expect(
                try await store.incidents(matching: IncidentQuery(category: .providerOutage)).map(\.id) == ["inc_4"]
            )
            #expect(
                try await store.incidents(matching: IncidentQuery(minimumSeverity: .high)).map(\.id) == ["inc_1"]
            )
            #expect(try await store.incidents(matching: IncidentQuery(agent: "billing")).map(\.id) == ["inc_3"])
            #expect(try await store.incidents(matching: IncidentQuery(since: 350, limit: 1)).map(\.id) == ["inc_5"])
            #expect(try await store.incident(id: "missing") == nil)
            #expect(try await store.update(id: "missing") { _ in [] } == nil)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func updatesKeepClocksEvidenceAndReviewAndAFailedChangeChangesNothing(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.incidents
            _ = try await store.report(Self.detection(at: 100), newID: "inc_1")
            struct Refused: Error {}
            await #expect(throws: Refused.self) {
                try await store.update(id: "inc_1") { incident in
                    incident.owner = "nobody"
                    throw Refused()
                }
            }
            #expect(try await store.incident(id: "inc_1")?.owner == nil)

            let changed = try await store.update(id: "inc_1") { incident in
                incident.owner = "sre-oncall"
                incident.escalationLevel = 1
                incident.clocks = [RegulatoryClock(classification: .gdprBreach, startedAt: 150, announced: [.half])]
                incident.evidence = Incident.Evidence(
                    checkpoint: "keel.example/audit\n3\nAAAA\n",
                    treeSize: 3,
                    rootHash: "AAAA",
                    entries: ["r1": 2],
                    frozenAt: 120
                )
                try incident.move(to: .resolved, at: 300)
                try incident.move(
                    to: .closed,
                    at: 400,
                    review: Incident.Review(summary: "Loop", rootCause: "retry bug", actions: ["cap retries"])
                )
                return [
                    IncidentEvent(
                        incidentID: "inc_1",
                        at: 300,
                        actor: "key:k1",
                        kind: .comment,
                        text: "looking",
                        data: .object(["n": .int(1)])
                    ),
                    IncidentEvent(incidentID: "inc_1", at: 400, actor: "key:k1", kind: .stateChanged, text: "Closed"),
                ]
            }
            let stored = try await store.incident(id: "inc_1")
            #expect(stored == changed)
            let deadline: Int64 = 150 + 3 * 86_400_000_000
            #expect(stored?.clocks.first?.deadline == deadline)
            #expect(stored?.evidence?.entries == ["r1": 2])
            #expect(stored?.review?.actions == ["cap retries"])
            #expect(stored?.closedAt == 400)
            // Closed incidents' clocks no longer run; only unreported clocks of others do.
            #expect(try await store.incidentsWithRunningClocks().isEmpty)
            _ = try await store.report(Self.detection(.dataExposure, at: 500), newID: "inc_2")
            _ = try await store.update(id: "inc_2") { incident in
                incident.clocks = [RegulatoryClock(classification: .hipaaBreach, startedAt: 500)]
                return []
            }
            #expect(try await store.incidentsWithRunningClocks().map(\.id) == ["inc_2"])
            let events = try await store.timeline(of: "inc_1")
            #expect(events.map(\.sequence) == [1, 2, 3])
            #expect(events[1].data == .object(["n": .int(1)]))
            try await store.append([
                IncidentEvent(incidentID: "inc_1", at: 600, actor: "keel", kind: .notified, text: "sent")
            ])
            #expect(try await store.timeline(of: "inc_1").last?.sequence == 4)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func twoInstancesReportingAtOnceOpenOneIncident(backend: StoreBackend) async throws {
        try await backend.withTwoInstances { first, second in
            try await withThrowingTaskGroup(of: IncidentReport.self) { group in
                for index in 0..<10 {
                    let store = index.isMultiple(of: 2) ? first.incidents : second.incidents
                    group.addTask {
                        try await store.report(
                            Self.detection(requests: ["r\(index)"], at: Int64(100 + index)),
                            newID: "inc_\(index)"
                        )
                    }
                }
                var opened = 0
                for try await report in group where report.opened { opened += 1 }
                #expect(opened == 1)
            }
            let incidents = try await first.incidents.openIncidents()
            #expect(incidents.count == 1)
            #expect(incidents.first?.detections == 10)
            #expect(try await second.incidents.requestIDs(of: incidents[0].id, limit: 100).count == 10)
            #expect(try await first.incidents.timeline(of: incidents[0].id).map(\.sequence) == Array(1...10))
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func recordsAnIncidentLinksAreKeptFromRetentionUntilItIsClosed(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            try await stores.requests.append([
                .fixture("r-linked", at: 10), .fixture("r-free", at: 10), .fixture("r-new", at: 1_000),
            ])
            _ = try await stores.incidents.report(Self.detection(requests: ["r-linked"], at: 20), newID: "inc_1")
            #expect(try await stores.requests.purge(startedBefore: 100, scope: .allExcept([])) == 1)
            _ = try await stores.incidents.update(id: "inc_1") { incident in
                try incident.move(to: .resolved, at: 30)
                return []
            }
            // Resolved is not closed: the review may still need them.
            #expect(try await stores.requests.purge(startedBefore: 100, scope: .allExcept([])) == 0)
            _ = try await stores.incidents.update(id: "inc_1") { incident in
                try incident.move(to: .closed, at: 40, review: Incident.Review(summary: "done"))
                return []
            }
            #expect(try await stores.requests.purge(startedBefore: 100, scope: .allExcept([])) == 1)
            #expect(try await stores.requests.records(matching: RequestRecordQuery()).map(\.id.rawValue) == ["r-new"])
        }
    }
}
