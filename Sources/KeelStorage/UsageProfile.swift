import KeelCore

/// What the request log says about how one scope uses one deployment over a window: the
/// evidence cost recommendations are made from (``CostReportStore/usageProfiles(_:)``).
///
/// The scope is the request's team and project; a request with neither is attributed to its key
/// (`key` is empty otherwise). Only chat requests (`chat.completions`, `messages`) an upstream
/// served (`deployment` set) count.
public struct UsageProfile: Sendable, Equatable {
    public var team: String?
    public var project: String?
    /// The key, for requests with neither team nor project; `nil` otherwise.
    public var key: String?
    /// The configured model (group) that served the requests.
    public var model: String
    public var provider: String
    /// The upstream model name of the deployment, which prices the requests.
    public var deployment: String
    /// Requests, token sums and cost, as a cost report counts them.
    public var totals: CostTotals
    /// Requests that declared tools.
    public var requestsWithTools: Int64
    /// Requests with an image in their messages.
    public var requestsWithImages: Int64
    /// Requests whose prompt fingerprint (``PromptTraits/prefixHash``) another request of the
    /// same scope and deployment in the window shares.
    public var repeatedPrefixRequests: Int64
    /// Distinct fingerprints among ``repeatedPrefixRequests``.
    public var repeatedPrefixes: Int64
    /// Input tokens of ``repeatedPrefixRequests``.
    public var repeatedPrefixInputTokens: Int64

    public init(
        team: String? = nil,
        project: String? = nil,
        key: String? = nil,
        model: String,
        provider: String,
        deployment: String,
        totals: CostTotals,
        requestsWithTools: Int64 = 0,
        requestsWithImages: Int64 = 0,
        repeatedPrefixRequests: Int64 = 0,
        repeatedPrefixes: Int64 = 0,
        repeatedPrefixInputTokens: Int64 = 0
    ) {
        self.team = team
        self.project = project
        self.key = key
        self.model = model
        self.provider = provider
        self.deployment = deployment
        self.totals = totals
        self.requestsWithTools = requestsWithTools
        self.requestsWithImages = requestsWithImages
        self.repeatedPrefixRequests = repeatedPrefixRequests
        self.repeatedPrefixes = repeatedPrefixes
        self.repeatedPrefixInputTokens = repeatedPrefixInputTokens
    }
}

/// The window and scope of ``CostReportStore/usageProfiles(_:)``.
public struct UsageProfileQuery: Sendable, Equatable {
    /// Inclusive start, Unix seconds.
    public var from: Int64
    /// Exclusive end, Unix seconds.
    public var to: Int64
    /// Only requests of this team or organisation.
    public var within: CostReportQuery.Scope?

    public init(from: Int64, to: Int64, within: CostReportQuery.Scope? = nil) {
        self.from = from
        self.to = to
        self.within = within
    }
}

extension UsageProfileQuery {
    /// One statement for both backends, over the raw log (fingerprint repeats cannot be rolled
    /// up): the window is a range of the `started_at` index. `placeholder(n)` spells the n-th
    /// bound value (1-based); `sum(expression)` wraps a sum so that it reads as a 64-bit integer.
    ///
    /// Columns: team, project, key, model, provider, deployment (text, empty when absent), then
    /// the ``CostRollup/sumColumns`` they share with cost reports except the response cache
    /// ones, then tools, images, repeated requests, repeated prefixes, repeated input tokens.
    package func sql(placeholder: (Int) -> String, sum: (String) -> String) -> (sql: String, arguments: [CostReportQuery.Argument]) {
        var arguments: [CostReportQuery.Argument] = [.integer(self.from * 1_000_000), .integer(self.to * 1_000_000)]
        var conditions = [
            "started_at >= \(placeholder(1))", "started_at < \(placeholder(2))", "deployment IS NOT NULL",
            "operation IN ('chat.completions', 'messages')",
        ]
        switch self.within {
        case .team(let team):
            arguments.append(.text(team.rawValue))
            conditions.append("team_id = \(placeholder(arguments.count))")
        case .org(let org):
            arguments.append(.text(org.rawValue))
            conditions.append("org_id = \(placeholder(arguments.count))")
        case nil:
            break
        }
        let scope = """
            COALESCE(team_id, '') AS s_team, COALESCE(project_id, '') AS s_project, \
            CASE WHEN team_id IS NULL AND project_id IS NULL THEN COALESCE(key_id, '') ELSE '' END AS s_key, \
            COALESCE(model, requested_model) AS s_model, COALESCE(provider, '') AS s_provider, deployment AS s_deployment
            """
        let keys = "s_team, s_project, s_key, s_model, s_provider, s_deployment"
        let sql = """
            SELECT \(keys), COUNT(*), \
            \(sum("CASE WHEN outcome IN ('error', 'interrupted') THEN 1 ELSE 0 END")), \
            \(sum("input_tokens")), \(sum("output_tokens")), \(sum("cached_input_tokens")), \
            \(sum("cache_write_tokens + cache_write_1h_tokens")), \(sum("reasoning_tokens")), \(sum("cost_nanos")), \
            \(sum("CASE WHEN (features & 1) <> 0 THEN 1 ELSE 0 END")), \
            \(sum("CASE WHEN (features & 2) <> 0 THEN 1 ELSE 0 END")), \
            \(sum("CASE WHEN prefix_count > 1 THEN 1 ELSE 0 END")), \
            COUNT(DISTINCT CASE WHEN prefix_count > 1 THEN prompt_prefix_hash END), \
            \(sum("CASE WHEN prefix_count > 1 THEN input_tokens ELSE 0 END")) \
            FROM (SELECT scoped.*, \
            COUNT(prompt_prefix_hash) OVER (PARTITION BY \(keys), prompt_prefix_hash) AS prefix_count \
            FROM (SELECT \(scope), outcome, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, \
            cache_write_1h_tokens, reasoning_tokens, cost_nanos, features, prompt_prefix_hash \
            FROM request_record WHERE \(conditions.joined(separator: " AND "))) AS scoped) AS windowed \
            GROUP BY \(keys)
            """
        return (sql, arguments)
    }

    /// A row of ``sql(placeholder:sum:)``: six texts, then fourteen integers.
    package static func profile(texts t: [String], integers v: [Int64]) -> UsageProfile {
        UsageProfile(
            team: t[0].isEmpty ? nil : t[0],
            project: t[1].isEmpty ? nil : t[1],
            key: t[2].isEmpty ? nil : t[2],
            model: t[3],
            provider: t[4],
            deployment: t[5],
            totals: CostTotals(
                requests: v[0], errors: v[1], inputTokens: v[2], outputTokens: v[3], cachedInputTokens: v[4],
                cacheWriteTokens: v[5], reasoningTokens: v[6], cost: USDNanos(v[7])),
            requestsWithTools: v[8],
            requestsWithImages: v[9],
            repeatedPrefixRequests: v[10],
            repeatedPrefixes: v[11],
            repeatedPrefixInputTokens: v[12]
        )
    }

    /// Integers in the row after the six texts.
    package static let integerColumns = 13

    /// Profiles in a stable order: team, project, key, model, provider, deployment.
    package static func sorted(_ profiles: [UsageProfile]) -> [UsageProfile] {
        profiles.sorted {
            [$0.team ?? "", $0.project ?? "", $0.key ?? "", $0.model, $0.provider, $0.deployment]
                .lexicographicallyPrecedes([$1.team ?? "", $1.project ?? "", $1.key ?? "", $1.model, $1.provider, $1.deployment])
        }
    }
}
