public import KeelCore

/// Cost reports over the rollups of the request log.
///
/// The rollups are maintained by ``RequestRecordStore/append(_:)`` in the same transaction as the
/// records, so a report agrees exactly with the records committed before it started. A report
/// reads the coarsest rollups that fit: day buckets for the whole UTC days of the range, hour
/// buckets for whole hours at its edges, minute buckets for the rest. Its cost does not grow with
/// the number of requests, only with the number of distinct rollup rows in the range.
public protocol CostReportStore: Sendable {
    /// The rows of `query`, ordered by bucket, then by the dimension values (absent first).
    ///
    /// - Throws: ``StorageError`` `.invalidValue` when ``CostReportQuery/problem`` is not `nil`.
    func costReport(_ query: CostReportQuery) async throws -> [CostReportRow]

    /// How each scope used each deployment in `query`'s window (see ``UsageProfile``), ordered
    /// by team, project, key, model, provider and deployment.
    ///
    /// Reads the raw request log, not the rollups, because whether a prompt repeats cannot be
    /// summed: its cost grows with the requests in the window. For occasional reports only.
    func usageProfiles(_ query: UsageProfileQuery) async throws -> [UsageProfile]
}

/// A dimension a cost report groups or filters by.
public enum CostDimension: Sendable, Hashable, CustomStringConvertible {
    case org, team, project, user, key, model, provider
    /// The value of one attribution tag key.
    case tag(String)

    /// Parses `org`, `team`, …, `tag:<key>`.
    public init?(_ text: Substring) {
        switch text {
        case "org": self = .org
        case "team": self = .team
        case "project": self = .project
        case "user": self = .user
        case "key": self = .key
        case "model": self = .model
        case "provider": self = .provider
        default:
            guard text.hasPrefix("tag:"), text.count > 4 else { return nil }
            self = .tag(String(text.dropFirst(4)))
        }
    }

    /// The spelling ``init(_:)`` reads.
    public var description: String {
        switch self {
        case .org: "org"
        case .team: "team"
        case .project: "project"
        case .user: "user"
        case .key: "key"
        case .model: "model"
        case .provider: "provider"
        case .tag(let key): "tag:" + key
        }
    }

    /// Whether the tag rollup (`cost_rollup_tag`) holds this dimension.
    var isInTagRollup: Bool {
        switch self {
        case .org, .team, .model, .tag: true
        case .project, .user, .key, .provider: false
        }
    }
}

/// The width of the buckets of a report; `.none` sums the whole range.
public enum CostInterval: String, Sendable, CaseIterable {
    case minute, hour, day, none

    /// The coarsest rollup a report of this interval may read.
    var coarsestGranularity: CostGranularity {
        switch self {
        case .minute: .minute
        case .hour: .hour
        case .day, .none: .day
        }
    }
}

/// What a cost report sums: a time range, the dimensions to group by, filters and a scope.
public struct CostReportQuery: Sendable, Equatable {
    /// The dimensions of each row, in order; empty sums everything into one row per bucket.
    public var groupBy: [CostDimension]
    public var interval: CostInterval
    /// Inclusive start, Unix seconds; rounded down to the minute.
    public var from: Int64
    /// Exclusive end, Unix seconds; rounded down to the minute.
    public var to: Int64
    /// Equality filters. A `.tag(key)` filter keeps requests carrying `key` with that value.
    public var filters: [CostDimension: String]
    /// Only requests of this team or organisation; the admin API keeps a caller to its scope.
    public var within: Scope?

    /// A team or an organisation.
    public enum Scope: Sendable, Equatable {
        case team(TeamID)
        case org(OrgID)
    }

    public init(
        groupBy: [CostDimension] = [],
        interval: CostInterval = .none,
        from: Int64,
        to: Int64,
        filters: [CostDimension: String] = [:],
        within: Scope? = nil
    ) {
        self.groupBy = groupBy
        self.interval = interval
        self.from = from
        self.to = to
        self.filters = filters
        self.within = within
    }

    /// The tag key the report reads from the tag rollup, when it groups or filters by a tag.
    public var tagKey: String? {
        for dimension in self.groupBy + Array(self.filters.keys) {
            if case .tag(let key) = dimension { return key }
        }
        return nil
    }

    /// Why the query cannot be answered, as (parameter name, message); `nil` when it can.
    ///
    /// A report reads one tag key at a time, from the tag rollup, which also holds only org,
    /// team and model: a tag dimension combines with those and the interval, nothing else.
    public var problem: (parameter: String, message: String)? {
        if self.to < self.from { return ("to", "'to' is before 'from'.") }
        if Set(self.groupBy).count != self.groupBy.count { return ("group_by", "A dimension appears twice.") }
        var tagKeys = Set<String>()
        for dimension in self.groupBy + Array(self.filters.keys) {
            if case .tag(let key) = dimension { tagKeys.insert(key) }
        }
        if tagKeys.count > 1 { return ("tag", "A report groups or filters by one tag key at a time.") }
        if !tagKeys.isEmpty {
            if let other = self.groupBy.first(where: { !$0.isInTagRollup }) {
                return ("group_by", "'\(other)' cannot be combined with a tag; tags combine with org, team and model.")
            }
            if let other = self.filters.keys.first(where: { !$0.isInTagRollup }) {
                return ("\(other)", "'\(other)' cannot filter a tag report; tags combine with org, team and model.")
            }
        }
        return nil
    }
}

/// One row of a cost report.
public struct CostReportRow: Sendable, Equatable {
    /// Start of the bucket, Unix seconds; `nil` for interval `.none`.
    public var bucket: Int64?
    /// The values of the query's `groupBy` dimensions, in order; `nil` where the requests had none.
    public var dimensions: [String?]
    public var totals: CostTotals

    public init(bucket: Int64?, dimensions: [String?], totals: CostTotals) {
        self.bucket = bucket
        self.dimensions = dimensions
        self.totals = totals
    }
}
