import KeelCore

/// The pure core of monitoring: the rolling windows of every series, and the series cap.
///
/// Each record goes into one deployment series (provider, model, deployment) and one team series.
/// Both dimensions are capped: the first `maxDeploymentSeries` distinct deployment keys (and
/// `maxTeamSeries` teams) get their own series; records of any further key are folded into the
/// `other` series (``DeploymentSeriesKey/overflow``, team `other`). A series is freed, and its
/// place in the cap returned, once no window can read any of its slots (6 hours idle).
///
/// Not thread-safe: ``MonitoringEngine`` owns one under a lock.
struct MonitoringStore: Sendable {
    /// The team series of records without a team.
    static let unassignedTeam = "unassigned"
    /// The team series that absorbs teams past the cap.
    static let overflowTeam = "other"

    let maxDeploymentSeries: Int
    let maxTeamSeries: Int
    let objectives: [LatencyObjectiveKey]
    /// When the store started: windows reaching earlier count only the time since.
    let startedAt: Int64

    private(set) var deployments: [DeploymentSeriesKey: SeriesWindows] = [:]
    private(set) var teams: [String: SeriesWindows] = [:]

    init(maxDeploymentSeries: Int, maxTeamSeries: Int, objectives: [LatencyObjectiveKey], startedAt: Int64) {
        precondition(maxDeploymentSeries >= 1 && maxTeamSeries >= 1)
        self.maxDeploymentSeries = maxDeploymentSeries
        self.maxTeamSeries = maxTeamSeries
        self.objectives = objectives
        self.startedAt = startedAt
    }

    /// Records `record` at its completion time (`startedAt + totalMicros`), clamped to `now`.
    /// Returns the deployment series it was counted in (the overflow series past the cap).
    @discardableResult
    mutating func record(_ record: RequestRecord, agentTaskSucceeded: Bool?, now: Int64) -> DeploymentSeriesKey {
        let time = min(now, record.startedAt + max(0, record.totalMicros))
        let sample = MonitoringSample(record, agentTaskSucceeded: agentTaskSucceeded, timeMicros: time, objectives: self.objectives)
        let key = self.admittedKey(DeploymentSeriesKey(record))
        self.deployments[key, default: SeriesWindows(objectives: self.objectives.count)].record(sample)
        let team = self.admittedTeam(record.teamID?.rawValue ?? Self.unassignedTeam)
        self.teams[team, default: SeriesWindows(objectives: self.objectives.count)].record(sample)
        return key
    }

    /// Counts one agent task outcome at `now` in the series of `record` (the task's last request),
    /// without counting a request.
    mutating func recordAgentTask(of record: RequestRecord, succeeded: Bool, now: Int64) {
        let sample = MonitoringSample(agentTaskSucceeded: succeeded, timeMicros: now, objectives: self.objectives)
        let key = self.admittedKey(DeploymentSeriesKey(record))
        self.deployments[key, default: SeriesWindows(objectives: self.objectives.count)].record(sample)
        let team = self.admittedTeam(record.teamID?.rawValue ?? Self.unassignedTeam)
        self.teams[team, default: SeriesWindows(objectives: self.objectives.count)].record(sample)
    }

    /// `key` if it has or may get its own series, else the overflow key.
    func admittedKey(_ key: DeploymentSeriesKey) -> DeploymentSeriesKey {
        if key == .overflow || self.deployments[key] != nil { return key }
        let admitted = self.deployments.count - (self.deployments[.overflow] == nil ? 0 : 1)
        return admitted < self.maxDeploymentSeries ? key : .overflow
    }

    func admittedTeam(_ team: String) -> String {
        if team == Self.overflowTeam || self.teams[team] != nil { return team }
        let admitted = self.teams.count - (self.teams[Self.overflowTeam] == nil ? 0 : 1)
        return admitted < self.maxTeamSeries ? team : Self.overflowTeam
    }

    /// Frees slots and series no window can read at `now`.
    mutating func dropExpired(now: Int64) {
        for key in Array(self.deployments.keys) where self.deployments[key]!.dropExpired(now: now) {
            self.deployments[key] = nil
        }
        for team in Array(self.teams.keys) where self.teams[team]!.dropExpired(now: now) {
            self.teams[team] = nil
        }
    }

    /// The merged windows of the series `selector` picks, grouped by `grouping` (`nil`: one
    /// group of everything), for the window of `length` µs that ends at `now`, or `shift`
    /// windows before it.
    func aggregate(
        selector: SeriesSelector = .all,
        grouping: MetricsGrouping?,
        length: Int64,
        now: Int64,
        shift: Int = 0,
        histograms: Bool = true
    ) -> [MonitoringGroupKey: WindowAggregate] {
        var groups: [MonitoringGroupKey: WindowAggregate] = [:]
        let span = self.span(length: length, now: now, shift: shift)
        func add(_ series: SeriesWindows, to group: MonitoringGroupKey) {
            var aggregate = groups[group] ?? WindowAggregate(objectives: self.objectives.count, spanMicros: span)
            series.addCounters(to: &aggregate.counters, length: length, end: now, shift: shift)
            if histograms {
                series.addHistograms(to: &aggregate.histograms, length: length, end: now, shift: shift)
            }
            groups[group] = aggregate
        }
        if grouping == .team || selector.usesTeams {
            for (team, series) in self.teams {
                if case .team(let wanted) = selector, wanted != team { continue }
                add(series, to: grouping == .team ? MonitoringGroupKey(team: team) : .everything)
            }
        } else {
            for (key, series) in self.deployments where selector.matches(key) {
                add(series, to: grouping.map { MonitoringGroupKey(key, by: $0) } ?? .everything)
            }
        }
        // A window may hold a task outcome reported after the task's last request left it.
        return groups.filter { $0.value.counters.requests > 0 || $0.value.counters.agentTasks > 0 }
    }

    /// The time a window covers, in µs: from its first slot (or the store's start, if later) to
    /// `now` for the current window, to the end of its last slot for an earlier one.
    func span(length: Int64, now: Int64, shift: Int) -> Int64 {
        let geometry = SeriesWindows.counterGeometry(length: length)
        let lastSlot = (now >= 0 ? now / geometry.granularity : (now - geometry.granularity + 1) / geometry.granularity)
            - Int64(shift * geometry.count)
        let start = max(self.startedAt, (lastSlot - Int64(geometry.count) + 1) * geometry.granularity)
        let end = shift == 0 ? now : (lastSlot + 1) * geometry.granularity
        return max(0, end - start)
    }
}

/// One group's merged window: its counters, its histograms and the time it covers.
struct WindowAggregate: Sendable {
    var counters: MonitoringCounters
    var histograms = LatencyHistograms()
    var spanMicros: Int64

    init(objectives: Int, spanMicros: Int64) {
        self.counters = MonitoringCounters(objectives: objectives)
        self.spanMicros = spanMicros
    }
}
