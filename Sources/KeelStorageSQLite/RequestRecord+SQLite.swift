import FoundationEssentials
import GRDB
import KeelCore
import KeelStorage

// The mapping between `RequestRecord` and a `request_record` row. Columns are read and written
// by position, in the order of `sqliteColumns`, because the batch insert is the hot write path
// and name lookups per value would dominate it.
extension RequestRecord {
    /// The columns of `request_record`, in the order of ``sqliteArguments`` and ``init(sqliteRow:)``.
    static let sqliteColumns = """
        id, started_at, operation, key_id, team_id, project_id, user_id, requested_model, model, \
        provider, deployment, stream, status, outcome, error_class, attempts, ttft_us, upstream_us, \
        total_us, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, \
        cache_write_1h_tokens, reasoning_tokens, cost_nanos, web_search_requests, attempt_log, org_id, tags, \
        cache_hit, cache_saved_nanos, features, prompt_prefix_hash, agent_id, task_id, task_outcome, \
        usage_estimated
        """

    static let sqliteColumnCount = 38

    /// Binds the record's values to `statement` (an insert of ``sqliteColumns``), in their
    /// order, with SQLite's own calls: the batch insert is the recorder's hot path, and going
    /// through `StatementArguments` boxed each of the 37 values and converted it twice.
    func bindSQLite(to statement: SQLiteStatement) {
        var binder = SQLiteBinder(statement: statement)
        binder.bind(self.id.rawValue)
        binder.bind(self.startedAt)
        binder.bind(self.operation)
        binder.bind(self.keyID?.rawValue)
        binder.bind(self.teamID?.rawValue)
        binder.bind(self.projectID?.rawValue)
        binder.bind(self.userID?.rawValue)
        binder.bind(self.requestedModel)
        binder.bind(self.model)
        binder.bind(self.provider)
        binder.bind(self.deployment)
        binder.bind(self.stream ? 1 : 0)
        binder.bind(Int64(self.status))
        binder.bind(self.outcome.rawValue)
        binder.bind(self.errorClass)
        binder.bind(Int64(self.attempts))
        binder.bind(self.ttftMicros)
        binder.bind(self.upstreamMicros)
        binder.bind(self.totalMicros)
        binder.bind(self.usage.inputTokens)
        binder.bind(self.usage.outputTokens)
        binder.bind(self.usage.cachedInputTokens)
        binder.bind(self.usage.cacheWriteTokens)
        binder.bind(self.usage.cacheWrite1hTokens)
        binder.bind(self.usage.reasoningTokens)
        binder.bind(self.cost.rawValue)
        binder.bind(self.usage.webSearchRequests)
        binder.bind(self.attemptLog.isEmpty ? nil : Self.attemptLogJSON(self.attemptLog))
        binder.bind(self.orgID?.rawValue)
        binder.bind(AttributionTags.json(self.tags))
        binder.bind(self.cacheHit ? 1 : 0)
        binder.bind(self.cacheSavedCost.rawValue)
        binder.bind(self.features.rawValue)
        binder.bind(self.promptPrefixHash)
        binder.bind(self.agentID)
        binder.bind(self.taskID)
        binder.bind(self.taskOutcome?.rawValue)
        binder.bind(self.usageEstimated ? 1 : 0)
        assert(binder.index == Int32(Self.sqliteColumnCount) + 1, "one value per column")
    }

    /// Reads a row selected with ``sqliteColumns``.
    ///
    /// - Throws: ``StorageError`` when the outcome is not one this build knows, and GRDB's
    ///   decoding error when a column does not hold its type.
    init(sqliteRow row: Row) throws {
        // Typed locals keep the type checker fast; one expression of 26 generic decodes is not.
        let outcomeText = try row.decode(String.self, atIndex: 13)
        guard let outcome = Outcome(rawValue: outcomeText) else {
            throw StorageError.invalidStoredValue(table: "request_record", column: "outcome")
        }
        let usage = TokenUsage(
            inputTokens: try row.decode(Int64.self, atIndex: 19),
            outputTokens: try row.decode(Int64.self, atIndex: 20),
            cachedInputTokens: try row.decode(Int64.self, atIndex: 21),
            cacheWriteTokens: try row.decode(Int64.self, atIndex: 22),
            cacheWrite1hTokens: try row.decode(Int64.self, atIndex: 23),
            reasoningTokens: try row.decode(Int64.self, atIndex: 24),
            webSearchRequests: try row.decode(Int64.self, atIndex: 26)
        )
        let id = try row.decode(String.self, atIndex: 0)
        let startedAt = try row.decode(Int64.self, atIndex: 1)
        let operation = try row.decode(String.self, atIndex: 2)
        let keyID = try row.decode(String?.self, atIndex: 3)
        let teamID = try row.decode(String?.self, atIndex: 4)
        let projectID = try row.decode(String?.self, atIndex: 5)
        let userID = try row.decode(String?.self, atIndex: 6)
        let requestedModel = try row.decode(String.self, atIndex: 7)
        let model = try row.decode(String?.self, atIndex: 8)
        let provider = try row.decode(String?.self, atIndex: 9)
        let deployment = try row.decode(String?.self, atIndex: 10)
        let stream = try row.decode(Int64.self, atIndex: 11)
        let status = try row.decode(Int.self, atIndex: 12)
        let errorClass = try row.decode(String?.self, atIndex: 14)
        let attempts = try row.decode(Int.self, atIndex: 15)
        let ttftMicros = try row.decode(Int64?.self, atIndex: 16)
        let upstreamMicros = try row.decode(Int64?.self, atIndex: 17)
        let totalMicros = try row.decode(Int64.self, atIndex: 18)
        let cost = try row.decode(Int64.self, atIndex: 25)
        let attemptLog = try row.decode(String?.self, atIndex: 27).map(Self.attempts(fromJSON:)) ?? []
        let orgID = try row.decode(String?.self, atIndex: 28)
        let tags = try Self.tags(fromJSON: row.decode(String.self, atIndex: 29))
        let cacheHit = try row.decode(Int64.self, atIndex: 30)
        let cacheSaved = try row.decode(Int64.self, atIndex: 31)
        let features = try row.decode(Int64.self, atIndex: 32)
        let promptPrefixHash = try row.decode(Int64?.self, atIndex: 33)
        let agentID = try row.decode(String?.self, atIndex: 34)
        let taskID = try row.decode(String?.self, atIndex: 35)
        let taskOutcome = try Self.taskOutcome(fromStored: row.decode(String?.self, atIndex: 36))
        let usageEstimated = try row.decode(Int64.self, atIndex: 37)
        self.init(
            id: RequestID(id),
            startedAt: startedAt,
            operation: operation,
            keyID: keyID.map { KeyID($0) },
            orgID: orgID.map { OrgID($0) },
            teamID: teamID.map { TeamID($0) },
            projectID: projectID.map { ProjectID($0) },
            userID: userID.map { UserID($0) },
            requestedModel: requestedModel,
            model: model,
            provider: provider,
            deployment: deployment,
            stream: stream != 0,
            status: status,
            outcome: outcome,
            errorClass: errorClass,
            attempts: attempts,
            attemptLog: attemptLog,
            ttftMicros: ttftMicros,
            upstreamMicros: upstreamMicros,
            totalMicros: totalMicros,
            usage: usage,
            cost: USDNanos(cost),
            tags: tags,
            cacheHit: cacheHit != 0,
            cacheSavedCost: USDNanos(cacheSaved),
            features: RequestFeatures(rawValue: features),
            promptPrefixHash: promptPrefixHash,
            agentID: agentID,
            taskID: taskID,
            taskOutcome: taskOutcome,
            usageEstimated: usageEstimated != 0
        )
    }
}
