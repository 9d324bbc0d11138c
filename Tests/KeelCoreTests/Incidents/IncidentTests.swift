import KeelCore
import Testing

@Suite("Incidents: state machine, joining, scopes")
struct IncidentTests {
    static func incident(at time: Int64 = 1_000) -> Incident {
        Incident(
            id: "inc_1",
            opening: Detection(
                category: .providerOutage,
                severity: .medium,
                scope: IncidentScope(provider: "openai"),
                detector: "alert:errors",
                summary: "openai errors at 40 %",
                at: time
            )
        )
    }

    @Test func theStateMachineMovesForwardReopensResolvedAndClosesOnlyWithAReview() throws {
        var incident = Self.incident()
        #expect(incident.state == .detected)
        try incident.move(to: .acknowledged, at: 2_000)
        #expect(incident.acknowledgedAt == 2_000)
        #expect(throws: Incident.TransitionError.notAllowed(from: .acknowledged, to: .detected)) {
            try incident.move(to: .detected, at: 2_500)
        }
        #expect(throws: Incident.TransitionError.notAllowed(from: .acknowledged, to: .closed)) {
            try incident.move(to: .closed, at: 2_500)
        }
        // Skipping `contained`: resolving stamps it at the same time.
        try incident.move(to: .resolved, at: 3_000)
        #expect(incident.containedAt == 3_000)
        #expect(incident.resolvedAt == 3_000)
        #expect(incident.secondsToAcknowledge == 0.001)
        #expect(incident.secondsToResolve == 0.002)
        // Reopened, then resolved again later.
        try incident.move(to: .acknowledged, at: 4_000)
        #expect(incident.resolvedAt == nil)
        #expect(incident.acknowledgedAt == 2_000)
        try incident.move(to: .resolved, at: 5_000)
        #expect(throws: Incident.TransitionError.reviewRequired) {
            try incident.move(to: .closed, at: 6_000)
        }
        #expect(throws: Incident.TransitionError.reviewRequired) {
            try incident.move(to: .closed, at: 6_000, review: Incident.Review(summary: ""))
        }
        try incident.move(to: .closed, at: 6_000, review: Incident.Review(summary: "Provider outage; failover held"))
        #expect(incident.closedAt == 6_000)
        for state in Incident.State.allCases {
            #expect(!incident.state.canMove(to: state))
        }
    }

    @Test func aDetectionResolvingAtOnceStampsEveryStepAndOnlyOpenStatesAreOpen() throws {
        var incident = Self.incident()
        try incident.move(to: .resolved, at: 1_500)
        #expect(incident.acknowledgedAt == 1_500)
        #expect(incident.containedAt == 1_500)
        #expect(Incident.State.allCases.filter(\.isOpen) == [.detected, .acknowledged, .contained])
    }

    @Test func joiningCountsDetectionsAndOnlyRaisesTheSeverity() {
        var incident = Self.incident()
        var lower = Detection(
            category: .providerOutage,
            severity: .low,
            scope: IncidentScope(provider: "openai"),
            detector: "breaker",
            summary: "breaker opened",
            at: 1_100
        )
        let raisedByLower = incident.join(lower)
        #expect(!raisedByLower)
        #expect(incident.severity == .medium)
        lower.severity = .critical
        lower.at = 1_200
        let raisedByCritical = incident.join(lower)
        #expect(raisedByCritical)
        #expect(incident.severity == .critical)
        #expect(incident.detections == 3)
        #expect(incident.updatedAt == 1_200)
    }

    @Test func scopesGroupByTheirNamedPartsInAFixedOrder() {
        let scope = IncidentScope(org: "acme", agent: "triage", model: "gpt-4o")
        #expect(scope.groupingKey == "org=acme,agent=triage,model=gpt-4o")
        #expect(IncidentScope().groupingKey == "")
        #expect(IncidentScope(org: "acme").contains(scope))
        #expect(!scope.contains(IncidentScope(org: "acme")))
        #expect(IncidentSeverity.allCases.sorted() == [.low, .medium, .high, .critical])
    }

    @Test func detectionsKeepAtMostAHundredRequests() {
        let detection = Detection(
            category: .costSpike,
            severity: .high,
            scope: IncidentScope(),
            detector: "cost_spike",
            summary: "spike",
            requestIDs: (0..<150).map { "r\($0)" },
            at: 0
        )
        #expect(detection.requestIDs.count == Detection.maximumRequestIDs)
        #expect(detection.requestIDs.last == "r99")
    }
}

@Suite("Regulatory clocks")
struct RegulatoryClockTests {
    static let day: Int64 = 86_400_000_000

    @Test func deadlinesFollowTheRegulations() {
        let start: Int64 = 1_000
        #expect(RegulatoryClock(classification: .euAIActSerious, startedAt: start).deadline == start + 15 * Self.day)
        #expect(RegulatoryClock(classification: .euAIActWidespread, startedAt: start).deadline == start + 2 * Self.day)
        #expect(RegulatoryClock(classification: .euAIActDeath, startedAt: start).deadline == start + 10 * Self.day)
        #expect(RegulatoryClock(classification: .hipaaBreach, startedAt: start).deadline == start + 60 * Self.day)
        #expect(RegulatoryClock(classification: .gdprBreach, startedAt: start).deadline == start + 72 * 3_600_000_000)
    }

    @Test func remindersFallDueAtHalfAndFourFifthsThenTheDeadlinePasses() {
        var clock = RegulatoryClock(classification: .gdprBreach, startedAt: 0)
        let hour: Int64 = 3_600_000_000
        #expect(clock.dueMarks(at: 35 * hour).isEmpty)
        #expect(clock.dueMarks(at: 36 * hour) == [.half])
        clock.announced.append(.half)
        #expect(clock.dueMarks(at: 57 * hour).isEmpty)
        #expect(clock.dueMarks(at: 58 * hour) == [.fourFifths])
        #expect(!clock.isOverdue(at: 72 * hour))
        #expect(clock.isOverdue(at: 72 * hour + 1))
        // A tick that missed two marks announces both.
        #expect(clock.dueMarks(at: 80 * hour) == [.fourFifths, .deadline])
        #expect(clock.elapsed(at: 36 * hour) == 0.5)
        clock.reportedAt = 60 * hour
        #expect(clock.dueMarks(at: 80 * hour).isEmpty)
        #expect(!clock.isOverdue(at: 80 * hour))
    }
}
