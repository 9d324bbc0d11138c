/// What Keel keeps of one admitted request: exactly one record per request, written off the
/// request path by the recorder.
///
/// Times are microseconds: `startedAt` since the Unix epoch, the durations from `startedAt`.
public struct RequestRecord: Sendable, Equatable, Codable {
    /// How the request ended.
    public enum Outcome: String, Sendable, Codable, CaseIterable {
        /// The client received a complete answer.
        case success
        /// The gateway or the upstream answered with an error before any content was sent.
        case error
        /// A stream broke after content reached the client; the answer is incomplete.
        case interrupted
        /// The client went away before the answer was complete.
        case cancelled
    }

    /// One upstream attempt of a request.
    public struct Attempt: Sendable, Equatable, Codable {
        public var provider: String
        /// The upstream model name of the deployment tried.
        public var deployment: String
        /// `KeelError.metricLabel` of the failure; `nil` for the attempt that answered.
        public var errorClass: String?
        /// The upstream's HTTP status, when it answered with an error status.
        public var upstreamStatus: Int?
        public var durationMicros: Int64
        /// This attempt continued a stream cut on the attempt before it, from the text the client
        /// already had (`models[].stream_resume`).
        public var resumed: Bool

        public init(
            provider: String,
            deployment: String,
            errorClass: String? = nil,
            upstreamStatus: Int? = nil,
            durationMicros: Int64,
            resumed: Bool = false
        ) {
            self.provider = provider
            self.deployment = deployment
            self.errorClass = errorClass
            self.upstreamStatus = upstreamStatus
            self.durationMicros = durationMicros
            self.resumed = resumed
        }
    }

    public var id: RequestID
    public var startedAt: Int64
    public var operation: String
    public var keyID: KeyID?
    /// The organisation of the key, for cost attribution.
    public var orgID: OrgID?
    public var teamID: TeamID?
    public var projectID: ProjectID?
    public var userID: UserID?
    /// The model name the client sent.
    public var requestedModel: String
    /// The configured model (group) that served it, after fallbacks.
    public var model: String?
    public var provider: String?
    /// The upstream model name of the deployment that served it.
    public var deployment: String?
    public var stream: Bool
    public var status: Int
    public var outcome: Outcome
    /// `KeelError.metricLabel` of the failure, `nil` on success.
    public var errorClass: String?
    /// Upstream attempts made, retries and fallbacks included (0 when refused before routing).
    public var attempts: Int
    /// The attempts in order, when there was more than one or one failed. A request answered by
    /// its first attempt keeps this empty: `provider`, `deployment` and the timings describe it.
    public var attemptLog: [Attempt]
    public var ttftMicros: Int64?
    public var upstreamMicros: Int64?
    public var totalMicros: Int64
    public var usage: TokenUsage
    public var cost: USDNanos
    /// Free-form `key=value` attribution tags: the key's default tags overlaid by the request's
    /// `x-keel-tags`. Stores write them as a JSON object with sorted keys.
    public var tags: [String: String]
    /// Answered from the response cache: no upstream was called, ``cost`` is zero and ``usage``
    /// is the cached answer's.
    public var cacheHit: Bool
    /// What a cache hit saved: the cost of the cached answer when the upstream produced it
    /// (zero for any other request).
    public var cacheSavedCost: USDNanos
    /// What a chat request used beyond text (tools, images), for cost recommendations.
    public var features: RequestFeatures
    /// The fingerprint of the prompt's first 4 KiB (``PromptTraits``), `nil` for shorter
    /// prompts and other operations: requests sharing it could share a provider prompt cache.
    public var promptPrefixHash: Int64?
    /// The agent that sent the request (`x-keel-agent`).
    public var agentID: String?
    /// The agent task the request belongs to (`x-keel-task`).
    public var taskID: String?
    /// How the task ended, on the request that ended it (`x-keel-task-outcome`); `nil` on every
    /// other request. Set only once the task's end was stored, so at most one record per task
    /// carries it (a task ended through `POST /v1/tasks/{id}/outcome` has no such record).
    public var taskOutcome: AgentTask.Outcome?
    /// ``usage`` (and so ``cost``) is the gateway's estimate, not the upstream's report: a stream
    /// cut after content reached the client, before the upstream reported its usage. Input is
    /// estimated from the request, output from what the client received.
    public var usageEstimated: Bool
    /// Salted digests of the request and answer bodies, for the audit log's entry; carried to
    /// the recorder, not stored with the record.
    public var contentDigests: AuditEntry.ContentDigests? = nil
    /// The request's and answer's bodies when a policy keeps them (`keep_bodies`); carried to
    /// the recorder, which hands them on to be sealed, not stored with the record.
    public var keptBodies: KeptBodies? = nil
    /// What the content guard found and did (policies' `pii`, `secrets`, `injection` rules);
    /// `nil` when no content rule applied or nothing was found.
    public var guardVerdict: GuardVerdict?
    /// The tool a call through the MCP gateway (`mcp.tools/call`) called (`gen_ai.tool.name`).
    public var toolName: String?
    /// Why the answer ended, in the upstream's words, and the model the upstream said answered,
    /// when the gateway saw them (streams); carried to incident response's detectors, not stored.
    public var finishReason: String? = nil
    public var responseModel: String? = nil

    public init(
        id: RequestID,
        startedAt: Int64,
        operation: String,
        keyID: KeyID? = nil,
        orgID: OrgID? = nil,
        teamID: TeamID? = nil,
        projectID: ProjectID? = nil,
        userID: UserID? = nil,
        requestedModel: String,
        model: String? = nil,
        provider: String? = nil,
        deployment: String? = nil,
        stream: Bool = false,
        status: Int,
        outcome: Outcome,
        errorClass: String? = nil,
        attempts: Int = 0,
        attemptLog: [Attempt] = [],
        ttftMicros: Int64? = nil,
        upstreamMicros: Int64? = nil,
        totalMicros: Int64,
        usage: TokenUsage = .zero,
        cost: USDNanos = .zero,
        tags: [String: String] = [:],
        cacheHit: Bool = false,
        cacheSavedCost: USDNanos = .zero,
        features: RequestFeatures = [],
        promptPrefixHash: Int64? = nil,
        agentID: String? = nil,
        taskID: String? = nil,
        taskOutcome: AgentTask.Outcome? = nil,
        usageEstimated: Bool = false,
        guardVerdict: GuardVerdict? = nil,
        toolName: String? = nil
    ) {
        self.toolName = toolName
        self.usageEstimated = usageEstimated
        self.guardVerdict = guardVerdict
        self.agentID = agentID
        self.taskID = taskID
        self.taskOutcome = taskOutcome
        self.features = features
        self.promptPrefixHash = promptPrefixHash
        self.id = id
        self.startedAt = startedAt
        self.operation = operation
        self.keyID = keyID
        self.orgID = orgID
        self.teamID = teamID
        self.projectID = projectID
        self.userID = userID
        self.requestedModel = requestedModel
        self.model = model
        self.provider = provider
        self.deployment = deployment
        self.stream = stream
        self.status = status
        self.outcome = outcome
        self.errorClass = errorClass
        self.attempts = attempts
        self.attemptLog = attemptLog
        self.ttftMicros = ttftMicros
        self.upstreamMicros = upstreamMicros
        self.totalMicros = totalMicros
        self.usage = usage
        self.cost = cost
        self.tags = tags
        self.cacheHit = cacheHit
        self.cacheSavedCost = cacheSavedCost
    }
}
