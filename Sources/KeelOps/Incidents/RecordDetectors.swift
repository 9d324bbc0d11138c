public import KeelCore
import Synchronization

/// The detectors that read the stream of request records, off the request path (the recorder
/// hands over each batch): cost spikes and creep per organisation, team, key and agent;
/// model degradation per model; bursts of prompt injection per key and agent; sensitive data in
/// answers; health data sent to a provider without a business associate agreement; agents calling
/// outside their scope; and a model version a provider never reported before. Each finding becomes a ``Detection`` given to `report`.
///
/// Memory is bounded: at most `maximumCostScopes` cost series (~28.5 KB each) and
/// `maximumModels` model baselines (~12 KB each); scopes past the bound are not watched. What
/// repeats is rate-limited: one detection per scope and kind per `repeatInterval`.
public final class RecordDetectors: Sendable {
    public struct Configuration: Sendable, Equatable {
        public var maximumCostScopes: Int
        public var maximumModels: Int
        /// Flagged injections per key or agent within `injectionWindow` that make a burst.
        public var injectionBurst: Int
        public var injectionWindow: Int64
        /// The shortest time between two detections of one kind for one scope, µs.
        public var repeatInterval: Int64
        public var cost: CostAnomalyConfiguration
        public var degradation: ModelDegradationConfiguration
        /// Providers under a business associate agreement (`providers[].baa`): health data sent
        /// to any other is a data exposure.
        public var providersWithBAA: Set<String> = []

        public init(
            maximumCostScopes: Int = 200,
            maximumModels: Int = 100,
            injectionBurst: Int = 5,
            injectionWindow: Int64 = 300_000_000,
            repeatInterval: Int64 = 60_000_000,
            cost: CostAnomalyConfiguration = CostAnomalyConfiguration(),
            degradation: ModelDegradationConfiguration = ModelDegradationConfiguration()
        ) {
            self.maximumCostScopes = maximumCostScopes
            self.maximumModels = maximumModels
            self.injectionBurst = injectionBurst
            self.injectionWindow = injectionWindow
            self.repeatInterval = repeatInterval
            self.cost = cost
            self.degradation = degradation
        }
    }

    /// One scope's cost series: its detector and the minute being summed.
    private struct CostSeries {
        var detector: CostAnomalyDetector
        /// What an incident about it is scoped to.
        var scope: IncidentScope
        var minute: Int64
        var cost: Double = 0
        /// The minute's costliest requests (evidence), at most 10.
        var top: [(cost: Int64, id: String)] = []
    }

    /// A cost series' name: the kind of scope and its id (no string is built per record).
    private struct CostKey: Hashable {
        enum Kind: UInt8 { case org, team, key, agent }
        var kind: Kind
        var id: String

        var text: String { "\(self.kind):\(self.id)" }
    }

    private struct State {
        var cost: [CostKey: CostSeries] = [:]
        var models: [String: ModelDegradationDetector] = [:]
        var injections: [String: [Int64]] = [:]
        var injectionEvidence: [String: [String]] = [:]
        var lastReported: [String: Int64] = [:]
        /// Versions each deployment (`provider/upstream model`) has reported.
        var versions: [String: Set<String>] = [:]
    }

    public let configuration: Configuration
    private let report: @Sendable (Detection) -> Void
    private let state = Mutex(State())

    public init(configuration: Configuration = Configuration(), report: @escaping @Sendable (Detection) -> Void) {
        self.configuration = configuration
        self.report = report
    }

    /// Reads a batch of records (in the order written).
    public func observe(_ records: [RequestRecord]) {
        var detections: [Detection] = []
        self.state.withLock { state in
            for record in records {
                self.observeCost(record, &state, &detections)
                self.observeModel(record, &state, &detections)
                self.observeGuard(record, &state, &detections)
                self.observeScope(record, &state, &detections)
            }
        }
        for detection in detections { self.report(detection) }
    }

    /// Closes the minutes that ended by `now` (a scope whose traffic stopped still has its last
    /// minute judged).
    public func tick(now: Int64) {
        var detections: [Detection] = []
        let minute = now / 60_000_000
        self.state.withLock { state in
            for key in state.cost.keys where state.cost[key]!.minute < minute {
                self.close(&state.cost[key]!, key: key, until: minute, at: now, &state.lastReported, &detections)
            }
        }
        for detection in detections { self.report(detection) }
    }

    // MARK: - Cost

    private func observeCost(_ record: RequestRecord, _ state: inout State, _ detections: inout [Detection]) {
        guard record.cost.rawValue > 0 else { return }
        let minute = record.startedAt / 60_000_000
        let org = record.orgID?.rawValue
        let team = record.teamID?.rawValue
        // Each series is changed in place in the dictionary: no copy of its history per record.
        func add(_ key: CostKey, _ scope: @autoclosure () -> IncidentScope) {
            if state.cost[key] == nil {
                guard state.cost.count < self.configuration.maximumCostScopes else { return }
                state.cost[key] = CostSeries(
                    detector: CostAnomalyDetector(configuration: self.configuration.cost),
                    scope: scope(),
                    minute: minute
                )
            }
            if minute > state.cost[key]!.minute {
                self.close(
                    &state.cost[key]!,
                    key: key,
                    until: minute,
                    at: record.startedAt,
                    &state.lastReported,
                    &detections
                )
            }
            guard minute == state.cost[key]!.minute else { return }
            state.cost[key]!.cost += Double(record.cost.rawValue) / 1e9
            state.cost[key]!.top.append((record.cost.rawValue, record.id.rawValue))
            if state.cost[key]!.top.count > 10 {
                state.cost[key]!.top.sort { $0.cost > $1.cost }
                state.cost[key]!.top.removeLast(state.cost[key]!.top.count - 10)
            }
        }
        if let org { add(CostKey(kind: .org, id: org), IncidentScope(org: org)) }
        if let team { add(CostKey(kind: .team, id: team), IncidentScope(org: org, team: team)) }
        if let key = record.keyID?.rawValue {
            add(CostKey(kind: .key, id: key), IncidentScope(org: org, team: team, key: key))
        }
        if let agent = record.agentID {
            add(CostKey(kind: .agent, id: agent), IncidentScope(org: org, team: team, agent: agent))
        }
    }

    /// Judges the minute `series` was summing, and starts `until`.
    private func close(
        _ series: inout CostSeries,
        key: CostKey,
        until minute: Int64,
        at now: Int64,
        _ lastReported: inout [String: Int64],
        _ detections: inout [Detection]
    ) {
        let anomaly = series.detector.observe(minute: series.minute, cost: series.cost)
        if let anomaly, self.mayReport("cost:\(anomaly.kind.rawValue):\(key.text)", at: now, &lastReported) {
            let what = anomaly.kind == .spike ? "spiked" : "crept up"
            detections.append(
                Detection(
                    category: .costSpike,
                    severity: anomaly.kind == .spike && anomaly.ratio >= 3 ? .high : .medium,
                    scope: series.scope,
                    detector: "cost_\(anomaly.kind.rawValue)",
                    summary: String(
                        "Cost per minute of \(key.text) \(what): $\(Self.format(anomaly.observed)) against $\(Self.format(anomaly.expected)) expected"
                    ),
                    requestIDs: series.top.sorted { $0.cost > $1.cost }.map(\.id),
                    values: [
                        "observed_usd_per_minute": anomaly.observed, "expected_usd_per_minute": anomaly.expected,
                        "score": anomaly.score, "ratio": anomaly.ratio,
                    ],
                    at: now
                )
            )
        }
        series.minute = minute
        series.cost = 0
        series.top = []
    }

    // MARK: - Models

    private func observeModel(_ record: RequestRecord, _ state: inout State, _ detections: inout [Detection]) {
        guard record.operation.hasPrefix("chat") || record.operation == "messages" else { return }
        guard record.outcome != .cancelled else { return }
        let model = record.model ?? record.requestedModel
        let provider = record.provider ?? "unknown"
        if let version = record.responseModel, !version.isEmpty {
            // Per deployment: the upstream model a provider serves, and the versions it reported.
            let deployment = provider + "/" + (record.deployment ?? model)
            var seen = state.versions[deployment] ?? []
            if seen.insert(version).inserted {
                // The first version of a deployment is learned; each one after it is news.
                if !(state.versions[deployment]?.isEmpty ?? true), seen.count <= 1_000,
                    state.versions.count <= 10_000,
                    self.mayReport("version:\(deployment):\(version)", at: record.startedAt, &state.lastReported)
                {
                    detections.append(
                        Detection(
                            category: .supplyChain,
                            severity: .medium,
                            scope: IncidentScope(model: model, provider: provider),
                            detector: "new_model_version",
                            summary:
                                "Provider '\(provider)' answered for '\(record.deployment ?? model)' as '\(version)', a model version it never reported for it before",
                            requestIDs: [record.id.rawValue],
                            at: record.startedAt
                        )
                    )
                }
                if seen.count <= 1_000, state.versions.count <= 10_000 { state.versions[deployment] = seen }
            }
        }
        var detector: ModelDegradationDetector
        if let existing = state.models[model] {
            detector = existing
        } else {
            guard state.models.count < self.configuration.maximumModels else { return }
            detector = ModelDegradationDetector(configuration: self.configuration.degradation)
        }
        let output = Int(record.usage.outputTokens)
        var tokensPerSecond: Double?
        if let ttft = record.ttftMicros, record.totalMicros > ttft, output > 1 {
            tokensPerSecond = Double(output) / (Double(record.totalMicros - ttft) / 1e6)
        }
        let sample = ModelSample(
            outputTokens: output,
            finishReason: record.finishReason.map(FinishReason.init(upstream:)) ?? .stop,
            errorClass: record.outcome == .success ? nil : (record.errorClass ?? "error"),
            timeToFirstTokenMicros: record.ttftMicros,
            outputTokensPerSecond: tokensPerSecond,
            reportedModel: nil,
            timeMicros: record.startedAt
        )
        let findings = detector.observe(sample)
        state.models[model] = detector
        for finding in findings
        where self.mayReport(
            "model:\(model):\(finding.kind.rawValue):\(finding.subject)",
            at: record.startedAt,
            &state.lastReported
        ) {
            detections.append(
                Detection(
                    category: .modelDegradation,
                    severity: .medium,
                    scope: IncidentScope(model: model),
                    detector: "degradation_" + finding.kind.rawValue,
                    summary:
                        "Model '\(model)': \(finding.subject) moved from \(Self.format(finding.baselineValue)) to \(Self.format(finding.observedValue)) against its baseline",
                    requestIDs: [record.id.rawValue],
                    values: [
                        "baseline": finding.baselineValue, "observed": finding.observedValue, "score": finding.score,
                        "p_value": finding.pValue, "window": Double(finding.windowCount),
                    ],
                    at: record.startedAt
                )
            )
        }
    }

    // MARK: - Guard verdicts and scope

    private func observeGuard(_ record: RequestRecord, _ state: inout State, _ detections: inout [Detection]) {
        guard let verdict = record.guardVerdict else { return }
        let scope = IncidentScope(
            org: record.orgID?.rawValue,
            team: record.teamID?.rawValue,
            key: record.agentID == nil ? record.keyID?.rawValue : nil,
            agent: record.agentID
        )
        if verdict.injection?.flagged == true {
            let key = scope.groupingKey
            var times = state.injections[key, default: []]
            times.append(record.startedAt)
            times.removeAll { record.startedAt - $0 > self.configuration.injectionWindow }
            var evidence = state.injectionEvidence[key, default: []]
            evidence.append(record.id.rawValue)
            if evidence.count > 20 { evidence.removeFirst(evidence.count - 20) }
            if times.count >= self.configuration.injectionBurst,
                self.mayReport("injection:\(key)", at: record.startedAt, &state.lastReported)
            {
                detections.append(
                    Detection(
                        category: .promptInjection,
                        severity: times.count >= 2 * self.configuration.injectionBurst ? .high : .medium,
                        scope: scope,
                        detector: "injection_burst",
                        summary:
                            "\(times.count) prompt injections flagged within \(self.configuration.injectionWindow / 60_000_000) min",
                        requestIDs: evidence,
                        values: ["flagged": Double(times.count), "score": verdict.injection?.score ?? 0],
                        at: record.startedAt
                    )
                )
                times = []
                evidence = []
            }
            state.injections[key] = times.isEmpty ? nil : times
            state.injectionEvidence[key] = evidence.isEmpty ? nil : evidence
            if state.injections.count > 10_000 { state.injections.removeAll() }
        }
        // Health data (PHI) that left in a request to a provider without a business associate
        // agreement: found by a policy that only logs it (redacted or blocked, it did not leave).
        let phi = verdict.findings.filter { Self.healthTypes.contains($0.type) && $0.action == .log }
        if !phi.isEmpty, let provider = record.provider, !self.configuration.providersWithBAA.contains(provider),
            self.mayReport("phi:\(provider):\(scope.groupingKey)", at: record.startedAt, &state.lastReported)
        {
            var phiScope = scope
            phiScope.provider = provider
            detections.append(
                Detection(
                    category: .dataExposure,
                    severity: .high,
                    scope: phiScope,
                    detector: "phi_without_baa",
                    summary:
                        "A request carrying \(phi.map(\.type.rawValue).joined(separator: ", ")) went to '\(provider)', which has no business associate agreement",
                    requestIDs: [record.id.rawValue],
                    values: ["findings": Double(phi.reduce(0) { $0 + $1.count })],
                    at: record.startedAt
                )
            )
        }
        if !verdict.answerFindings.isEmpty,
            self.mayReport("exposure:\(scope.groupingKey)", at: record.startedAt, &state.lastReported)
        {
            let types = verdict.answerFindings.map(\.type.rawValue)
            detections.append(
                Detection(
                    category: .dataExposure,
                    severity: verdict.answerFindings.contains { $0.type.isSecret } ? .high : .medium,
                    scope: scope,
                    detector: "sensitive_data_in_answer",
                    summary: "An answer carried \(types.joined(separator: ", "))",
                    requestIDs: [record.id.rawValue],
                    values: ["findings": Double(verdict.answerFindings.reduce(0) { $0 + $1.count })],
                    at: record.startedAt
                )
            )
        }
    }

    private func observeScope(_ record: RequestRecord, _ state: inout State, _ detections: inout [Detection]) {
        guard record.errorClass == KeelError.Code.agentScopeViolation.rawValue, let agent = record.agentID else {
            return
        }
        guard self.mayReport("scope:\(agent)", at: record.startedAt, &state.lastReported) else { return }
        detections.append(
            Detection(
                category: .agentMisbehaviour,
                severity: .medium,
                scope: IncidentScope(org: record.orgID?.rawValue, team: record.teamID?.rawValue, agent: agent),
                detector: "scope_violation",
                summary: "Agent '\(agent)' asked for a model or tool outside its scope",
                requestIDs: [record.id.rawValue],
                at: record.startedAt
            )
        )
    }

    /// The finding types that are health information (PHI) on their own.
    static let healthTypes: Set<GuardFindingType> = [.medicalRecordNumber, .healthPlanNumber]

    /// Whether `key` may be reported at `now` (once per repeat interval), and notes it.
    private func mayReport(_ key: String, at now: Int64, _ lastReported: inout [String: Int64]) -> Bool {
        if let last = lastReported[key], now - last < self.configuration.repeatInterval { return false }
        if lastReported.count > 50_000 { lastReported.removeAll() }
        lastReported[key] = now
        return true
    }

    private static func format(_ value: Double) -> String {
        let rounded = (value * 10_000).rounded() / 10_000
        return String(rounded)
    }
}
