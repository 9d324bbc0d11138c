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
    /// up): the window is a range of the `started_at` index.
    ///
    /// Columns: `s_team`, `s_project`, `s_key`, `s_model`, `s_provider`, `s_deployment` (text,
    /// empty when absent), then the sums of ``profile(_:)``.
    package var statement: SQLStatement {
        var conditions: [SQLStatement] = [
            "started_at >= \(self.from * 1_000_000)", "started_at < \(self.to * 1_000_000)", "deployment IS NOT NULL",
            "operation IN ('chat.completions', 'messages')",
        ]
        switch self.within {
        case .team(let team): conditions.append("team_id = \(team)")
        case .org(let org): conditions.append("org_id = \(org)")
        case nil: break
        }
        // SUM of BIGINT is NUMERIC in PostgreSQL; the sums fit in BIGINT as the counts do.
        func sum(_ expression: String, as name: String) -> String { "CAST(COALESCE(SUM(\(expression)), 0) AS BIGINT) AS \(name)" }
        let scope = """
            COALESCE(team_id, '') AS s_team, COALESCE(project_id, '') AS s_project, \
            CASE WHEN team_id IS NULL AND project_id IS NULL THEN COALESCE(key_id, '') ELSE '' END AS s_key, \
            COALESCE(model, requested_model) AS s_model, COALESCE(provider, '') AS s_provider, deployment AS s_deployment
            """
        let keys = "s_team, s_project, s_key, s_model, s_provider, s_deployment"
        let sums = [
            "COUNT(*) AS requests",
            sum("CASE WHEN outcome IN ('error', 'interrupted') THEN 1 ELSE 0 END", as: "errors"),
            sum("input_tokens", as: "input_tokens"), sum("output_tokens", as: "output_tokens"),
            sum("cached_input_tokens", as: "cached_input_tokens"),
            sum("cache_write_tokens + cache_write_1h_tokens", as: "cache_write_tokens"),
            sum("reasoning_tokens", as: "reasoning_tokens"), sum("cost_nanos", as: "cost_nanos"),
            sum("CASE WHEN (features & 1) <> 0 THEN 1 ELSE 0 END", as: "with_tools"),
            sum("CASE WHEN (features & 2) <> 0 THEN 1 ELSE 0 END", as: "with_images"),
            sum("CASE WHEN prefix_count > 1 THEN 1 ELSE 0 END", as: "repeated_requests"),
            "COUNT(DISTINCT CASE WHEN prefix_count > 1 THEN prompt_prefix_hash END) AS repeated_prefixes",
            sum("CASE WHEN prefix_count > 1 THEN input_tokens ELSE 0 END", as: "repeated_input_tokens"),
        ]
        return """
            SELECT \(raw: keys), \(raw: sums.joined(separator: ", ")) \
            FROM (SELECT scoped.*, \
            COUNT(prompt_prefix_hash) OVER (PARTITION BY \(raw: keys), prompt_prefix_hash) AS prefix_count \
            FROM (SELECT \(raw: scope), outcome, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, \
            cache_write_1h_tokens, reasoning_tokens, cost_nanos, features, prompt_prefix_hash \
            FROM request_record WHERE \(SQLStatement.joined(conditions, separator: " AND "))) AS scoped) AS windowed \
            GROUP BY \(raw: keys)
            """
    }

    /// A row of ``statement``.
    package static func profile(_ row: SQLRow) throws -> UsageProfile {
        func text(_ column: String) throws -> String? {
            let value = try row.decode(column, as: String.self)
            return value.isEmpty ? nil : value
        }
        func integer(_ column: String) throws -> Int64 { try row.decode(column) }
        return UsageProfile(
            team: try text("s_team"),
            project: try text("s_project"),
            key: try text("s_key"),
            model: try row.decode("s_model"),
            provider: try row.decode("s_provider"),
            deployment: try row.decode("s_deployment"),
            totals: CostTotals(
                requests: try integer("requests"), errors: try integer("errors"), inputTokens: try integer("input_tokens"),
                outputTokens: try integer("output_tokens"), cachedInputTokens: try integer("cached_input_tokens"),
                cacheWriteTokens: try integer("cache_write_tokens"), reasoningTokens: try integer("reasoning_tokens"),
                cost: USDNanos(try integer("cost_nanos"))),
            requestsWithTools: try integer("with_tools"),
            requestsWithImages: try integer("with_images"),
            repeatedPrefixRequests: try integer("repeated_requests"),
            repeatedPrefixes: try integer("repeated_prefixes"),
            repeatedPrefixInputTokens: try integer("repeated_input_tokens")
        )
    }

    /// Profiles in a stable order: team, project, key, model, provider, deployment.
    package static func sorted(_ profiles: [UsageProfile]) -> [UsageProfile] {
        profiles.sorted {
            [$0.team ?? "", $0.project ?? "", $0.key ?? "", $0.model, $0.provider, $0.deployment]
                .lexicographicallyPrecedes([$1.team ?? "", $1.project ?? "", $1.key ?? "", $1.model, $1.provider, $1.deployment])
        }
    }
}
