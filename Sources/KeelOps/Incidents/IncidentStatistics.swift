public import KeelCore

/// Mean time to acknowledge and to resolve, per category, over a set of incidents
/// (`GET /admin/v1/incidents/stats`, `/metrics`).
public struct IncidentStatistics: Sendable, Equatable {
    public struct Figures: Sendable, Equatable {
        public var opened = 0
        public var open = 0
        public var acknowledged = 0
        public var resolved = 0
        /// Mean seconds from detection to acknowledgement, over the acknowledged ones.
        public var meanSecondsToAcknowledge: Double?
        /// Mean seconds from detection to resolution, over the resolved ones.
        public var meanSecondsToResolve: Double?

        public init() {}
    }

    public var byCategory: [IncidentCategory: Figures]
    public var total: Figures

    public init(_ incidents: [Incident]) {
        func figures(_ incidents: [Incident]) -> Figures {
            var figures = Figures()
            figures.opened = incidents.count
            figures.open = incidents.count { $0.state.isOpen }
            let acknowledge = incidents.compactMap(\.secondsToAcknowledge)
            let resolve = incidents.compactMap(\.secondsToResolve)
            figures.acknowledged = acknowledge.count
            figures.resolved = resolve.count
            figures.meanSecondsToAcknowledge =
                acknowledge.isEmpty ? nil : acknowledge.reduce(0, +) / Double(acknowledge.count)
            figures.meanSecondsToResolve = resolve.isEmpty ? nil : resolve.reduce(0, +) / Double(resolve.count)
            return figures
        }
        var byCategory: [IncidentCategory: Figures] = [:]
        for category in IncidentCategory.allCases {
            let mine = incidents.filter { $0.category == category }
            if !mine.isEmpty { byCategory[category] = figures(mine) }
        }
        self.byCategory = byCategory
        self.total = figures(incidents)
    }
}
