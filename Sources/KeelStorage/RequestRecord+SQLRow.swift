public import KeelCore

// The mapping between `RequestRecord` and a `request_record` row, for both backends: written as
// one row of a multi-row insert, read back by column name.
extension RequestRecord {
    /// The columns a record is written to, in the order of ``insertRow``.
    static let insertColumns = """
        id, started_at, operation, key_id, team_id, project_id, user_id, requested_model, model, \
        provider, deployment, stream, status, outcome, error_class, attempts, ttft_us, upstream_us, \
        total_us, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, \
        cache_write_1h_tokens, reasoning_tokens, cost_nanos, web_search_requests, attempt_log, org_id, tags, \
        cache_hit, cache_saved_nanos, features, prompt_prefix_hash, agent_id, task_id, task_outcome, \
        usage_estimated, guard_verdict, tool_name
        """

    /// Parameters of one row of ``insertRow``.
    static let insertParameterCount = 40

    /// The columns ``init(row:)`` reads. PostgreSQL stores the JSON columns as `JSONB` and
    /// returns them as text only when asked.
    static let selectColumns: SQLStatement = """
        id, started_at, operation, key_id, team_id, project_id, user_id, requested_model, model, \
        provider, deployment, stream, status, outcome, error_class, attempts, ttft_us, upstream_us, \
        total_us, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, \
        cache_write_1h_tokens, reasoning_tokens, cost_nanos, web_search_requests, \
        \(sqlite: "attempt_log", postgres: "attempt_log::text AS attempt_log"), org_id, \
        \(sqlite: "tags", postgres: "tags::text AS tags"), cache_hit, cache_saved_nanos, features, prompt_prefix_hash, \
        agent_id, task_id, task_outcome, usage_estimated, \
        \(sqlite: "guard_verdict", postgres: "guard_verdict::text AS guard_verdict"), tool_name
        """

    /// The record's values as one parenthesised row of an insert of ``insertColumns``.
    ///
    /// The status and attempt count are bound as 64-bit integers: PostgreSQL narrows them to its
    /// `INTEGER` and refuses a value out of range (`invalidValue`) instead of this code trapping.
    var insertRow: SQLStatement {
        let attemptLog = self.attemptLog.isEmpty ? nil : Self.attemptLogJSON(self.attemptLog)
        let guardVerdict = self.guardVerdict.map(Self.guardVerdictJSON)
        let usage = self.usage
        return """
            (\(self.id), \(self.startedAt), \(self.operation), \(self.keyID), \(self.teamID), \(self.projectID), \
            \(self.userID), \(self.requestedModel), \(self.model), \(self.provider), \(self.deployment), \(self.stream), \
            \(Int64(self.status)), \(self.outcome), \(self.errorClass), \(Int64(self.attempts)), \(self.ttftMicros), \
            \(self.upstreamMicros), \(self.totalMicros), \(usage.inputTokens), \(usage.outputTokens), \
            \(usage.cachedInputTokens), \(usage.cacheWriteTokens), \(usage.cacheWrite1hTokens), \(usage.reasoningTokens), \
            \(self.cost), \(usage.webSearchRequests), \(json: attemptLog), \(self.orgID), \
            \(json: AttributionTags.json(self.tags)), \(self.cacheHit), \(self.cacheSavedCost), \(self.features.rawValue), \
            \(self.promptPrefixHash), \(self.agentID), \(self.taskID), \(self.taskOutcome?.rawValue), \(self.usageEstimated), \
            \(json: guardVerdict), \(self.toolName))
            """
    }

    /// Reads a row selected with ``selectColumns``.
    ///
    /// - Throws: ``StorageError`` `.invalidStoredValue` naming the column whose value this build
    ///   cannot read (an unknown outcome, a malformed attempt log, a `NULL` where a value must be).
    init(row: SQLRow) throws {
        // Typed locals keep the type checker fast; one expression of 38 generic decodes is not.
        let usage = TokenUsage(
            inputTokens: try row.decode("input_tokens", as: Int64.self),
            outputTokens: try row.decode("output_tokens", as: Int64.self),
            cachedInputTokens: try row.decode("cached_input_tokens", as: Int64.self),
            cacheWriteTokens: try row.decode("cache_write_tokens", as: Int64.self),
            cacheWrite1hTokens: try row.decode("cache_write_1h_tokens", as: Int64.self),
            reasoningTokens: try row.decode("reasoning_tokens", as: Int64.self),
            webSearchRequests: try row.decode("web_search_requests", as: Int64.self)
        )
        let id: RequestID = try row.decode("id")
        let startedAt: Int64 = try row.decode("started_at")
        let operation: String = try row.decode("operation")
        let keyID: KeyID? = try row.decode("key_id")
        let orgID: OrgID? = try row.decode("org_id")
        let teamID: TeamID? = try row.decode("team_id")
        let projectID: ProjectID? = try row.decode("project_id")
        let userID: UserID? = try row.decode("user_id")
        let requestedModel: String = try row.decode("requested_model")
        let model: String? = try row.decode("model")
        let provider: String? = try row.decode("provider")
        let deployment: String? = try row.decode("deployment")
        let stream: Bool = try row.decode("stream")
        let status: Int = try row.decode("status")
        let outcome: Outcome = try row.decode("outcome")
        let errorClass: String? = try row.decode("error_class")
        let attempts: Int = try row.decode("attempts")
        let attemptLog = try row.decode("attempt_log", as: String?.self).map(Self.attempts(fromJSON:)) ?? []
        let ttftMicros: Int64? = try row.decode("ttft_us")
        let upstreamMicros: Int64? = try row.decode("upstream_us")
        let totalMicros: Int64 = try row.decode("total_us")
        let cost: USDNanos = try row.decode("cost_nanos")
        let tags = try Self.tags(fromJSON: row.decode("tags", as: String.self))
        let cacheHit: Bool = try row.decode("cache_hit")
        let cacheSavedCost: USDNanos = try row.decode("cache_saved_nanos")
        let features = RequestFeatures(rawValue: try row.decode("features", as: Int64.self))
        let promptPrefixHash: Int64? = try row.decode("prompt_prefix_hash")
        let agentID: String? = try row.decode("agent_id")
        let taskID: String? = try row.decode("task_id")
        let taskOutcome = try Self.taskOutcome(fromStored: row.decode("task_outcome", as: String?.self))
        let usageEstimated: Bool = try row.decode("usage_estimated")
        let guardVerdict = try row.decode("guard_verdict", as: String?.self).map(Self.guardVerdict(fromJSON:))
        let toolName: String? = try row.decode("tool_name")
        self.init(
            id: id,
            startedAt: startedAt,
            operation: operation,
            keyID: keyID,
            orgID: orgID,
            teamID: teamID,
            projectID: projectID,
            userID: userID,
            requestedModel: requestedModel,
            model: model,
            provider: provider,
            deployment: deployment,
            stream: stream,
            status: status,
            outcome: outcome,
            errorClass: errorClass,
            attempts: attempts,
            attemptLog: attemptLog,
            ttftMicros: ttftMicros,
            upstreamMicros: upstreamMicros,
            totalMicros: totalMicros,
            usage: usage,
            cost: cost,
            tags: tags,
            cacheHit: cacheHit,
            cacheSavedCost: cacheSavedCost,
            features: features,
            promptPrefixHash: promptPrefixHash,
            agentID: agentID,
            taskID: taskID,
            taskOutcome: taskOutcome,
            usageEstimated: usageEstimated,
            guardVerdict: guardVerdict,
            toolName: toolName
        )
    }
}

extension RequestRecord.Outcome: SQLBindable, SQLDecodable {}
