public import KeelCore

/// The identity of one deployment series: the (provider, model, deployment) a request was
/// served by. Values come from configuration, never from the client, so they are bounded.
public struct DeploymentSeriesKey: Sendable, Hashable, Codable, Comparable {
    public var provider: String
    public var model: String
    public var deployment: String

    public init(provider: String, model: String, deployment: String) {
        self.provider = provider
        self.model = model
        self.deployment = deployment
    }

    /// The series that absorbs records once the series cap is reached.
    public static let overflow = DeploymentSeriesKey(provider: "other", model: "other", deployment: "other")

    /// The series of `record`. A missing field (a request refused before routing) is `unknown`;
    /// the client's `requestedModel` is never used, since the client chooses it freely.
    public init(_ record: RequestRecord) {
        self.init(
            provider: record.provider ?? "unknown",
            model: record.model ?? "unknown",
            deployment: record.deployment ?? "unknown"
        )
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.provider, lhs.model, lhs.deployment) < (rhs.provider, rhs.model, rhs.deployment)
    }
}

/// How a summary or an alert rule groups series.
public enum MetricsGrouping: String, Sendable, Hashable, Codable, CaseIterable {
    case provider
    case model
    case deployment
    case team
}

/// Which series an alert rule looks at. Deployment and team series are counted separately
/// (every record lands in exactly one of each), so a selector names one dimension.
public enum SeriesSelector: Sendable, Hashable {
    /// Every deployment series: the whole gateway.
    case all
    case provider(String)
    case model(String)
    case deployment(String)
    case team(String)

    var usesTeams: Bool {
        if case .team = self { true } else { false }
    }

    func matches(_ key: DeploymentSeriesKey) -> Bool {
        switch self {
        case .all: true
        case .provider(let provider): key.provider == provider
        case .model(let model): key.model == model
        case .deployment(let deployment): key.deployment == deployment
        case .team: false
        }
    }
}

/// The value one series has for a grouping, as summaries and alert labels show it.
struct MonitoringGroupKey: Sendable, Hashable, Comparable {
    var provider: String?
    var model: String?
    var deployment: String?
    var team: String?

    static let everything = MonitoringGroupKey()

    init(provider: String? = nil, model: String? = nil, deployment: String? = nil, team: String? = nil) {
        self.provider = provider
        self.model = model
        self.deployment = deployment
        self.team = team
    }

    init(_ key: DeploymentSeriesKey, by grouping: MetricsGrouping) {
        switch grouping {
        case .provider: self.init(provider: key.provider)
        case .model: self.init(model: key.model)
        case .deployment: self.init(provider: key.provider, model: key.model, deployment: key.deployment)
        case .team: self.init()
        }
    }

    var labels: [(String, String)] {
        var labels: [(String, String)] = []
        if let provider { labels.append(("provider", provider)) }
        if let model { labels.append(("model", model)) }
        if let deployment { labels.append(("deployment", deployment)) }
        if let team { labels.append(("team", team)) }
        return labels
    }

    static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.provider ?? "", lhs.model ?? "", lhs.deployment ?? "", lhs.team ?? "")
            < (rhs.provider ?? "", rhs.model ?? "", rhs.deployment ?? "", rhs.team ?? "")
    }
}
