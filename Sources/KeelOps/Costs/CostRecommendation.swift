public import KeelCore

/// One concrete way to spend less, with the evidence it rests on and what it would save.
public struct CostRecommendation: Sendable, Equatable {
    /// The rule that made the suggestion.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// Short, simple prompts sent to an expensive model: a cheaper model of the same family
        /// would do.
        case cheaperModel = "cheaper_model"
        /// The same long prompt prefix sent again and again without cache reads, to a model whose
        /// provider caches prompts.
        case promptCaching = "prompt_caching"
    }

    /// Who sends the traffic: a team and project, or a key when the requests carry neither.
    public struct Scope: Sendable, Equatable, Hashable {
        public var team: String?
        public var project: String?
        public var key: String?

        public init(team: String? = nil, project: String? = nil, key: String? = nil) {
            self.team = team
            self.project = project
            self.key = key
        }

        /// `team/project`, `team`, `key:<id>`, or `-` for requests attributed to nothing.
        public var description: String {
            if let key = self.key { return "key:" + key }
            switch (self.team, self.project) {
            case (let team?, let project?): return team + "/" + project
            case (let team?, nil): return team
            case (nil, let project?): return "project:" + project
            case (nil, nil): return "-"
            }
        }
    }

    /// What the window shows, projected to a month where it is money.
    public struct Evidence: Sendable, Equatable {
        public var requests: Int64
        public var averageInputTokens: Int64
        public var averageOutputTokens: Int64
        /// What the traffic cost as recorded, scaled to 30 days.
        public var currentMonthlyCost: USDNanos
        /// Requests whose prompt prefix another request repeated (prompt caching only).
        public var repeatedPrefixRequests: Int64
        /// Prompt tokens read from the provider's cache (prompt caching: zero).
        public var cachedInputTokens: Int64

        public init(
            requests: Int64,
            averageInputTokens: Int64,
            averageOutputTokens: Int64,
            currentMonthlyCost: USDNanos,
            repeatedPrefixRequests: Int64 = 0,
            cachedInputTokens: Int64 = 0
        ) {
            self.requests = requests
            self.averageInputTokens = averageInputTokens
            self.averageOutputTokens = averageOutputTokens
            self.currentMonthlyCost = currentMonthlyCost
            self.repeatedPrefixRequests = repeatedPrefixRequests
            self.cachedInputTokens = cachedInputTokens
        }
    }

    public var kind: Kind
    public var scope: Scope
    /// The configured model (group) clients sent the requests to.
    public var model: String
    public var provider: String
    /// The upstream model that served them: the current model being priced.
    public var currentModel: String
    /// The cheaper upstream model (``Kind/cheaperModel``), a price catalog name.
    public var suggestedModel: String?
    /// What to do, in a sentence.
    public var action: String
    public var evidence: Evidence
    /// What following the suggestion would have saved over the window, scaled to 30 days.
    public var projectedMonthlySaving: USDNanos

    public init(
        kind: Kind,
        scope: Scope,
        model: String,
        provider: String,
        currentModel: String,
        suggestedModel: String?,
        action: String,
        evidence: Evidence,
        projectedMonthlySaving: USDNanos
    ) {
        self.kind = kind
        self.scope = scope
        self.model = model
        self.provider = provider
        self.currentModel = currentModel
        self.suggestedModel = suggestedModel
        self.action = action
        self.evidence = evidence
        self.projectedMonthlySaving = projectedMonthlySaving
    }
}
