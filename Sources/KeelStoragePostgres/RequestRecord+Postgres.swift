import FoundationEssentials
import KeelCore
import KeelStorage
import PostgresNIO

// The mapping between `RequestRecord` and a `request_record` row, by column position in the
// order of `postgresColumns`, as the SQLite backend does.
extension RequestRecord {
    /// The columns of `request_record` as written by ``appendPostgresBindings(to:)``.
    static let postgresInsertColumns = """
        id, started_at, operation, key_id, team_id, project_id, user_id, requested_model, model, \
        provider, deployment, stream, status, outcome, error_class, attempts, ttft_us, upstream_us, \
        total_us, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, \
        cache_write_1h_tokens, reasoning_tokens, cost_nanos, web_search_requests, attempt_log, org_id, tags, \
        cache_hit, cache_saved_nanos, features, prompt_prefix_hash, agent_id, task_id, task_outcome, \
        usage_estimated
        """

    /// The same columns as read by ``init(postgresRow:)``: the JSON column comes back as text.
    static let postgresSelectColumns = """
        id, started_at, operation, key_id, team_id, project_id, user_id, requested_model, model, \
        provider, deployment, stream, status, outcome, error_class, attempts, ttft_us, upstream_us, \
        total_us, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, \
        cache_write_1h_tokens, reasoning_tokens, cost_nanos, web_search_requests, attempt_log::text, org_id, \
        tags::text, cache_hit, cache_saved_nanos, features, prompt_prefix_hash, agent_id, task_id, task_outcome, \
        usage_estimated
        """

    static let postgresColumnCount = 38

    /// The placeholders of one row starting at parameter `first` (1-based):
    /// `($1, …, $28::jsonb, $29, $30::jsonb)`.
    static func postgresPlaceholders(first: Int) -> String {
        var text = "("
        for offset in 0..<Self.postgresColumnCount {
            if offset > 0 { text += ", " }
            text += "$\(first + offset)"
            // The attempt log and the tags are bound as text and stored as JSONB.
            if offset == 27 || offset == 29 { text += "::jsonb" }
        }
        return text + ")"
    }

    /// Appends the record's values in the order of ``postgresInsertColumns``.
    func appendPostgresBindings(to bindings: inout PostgresBindings) {
        bindings.append(self.id.rawValue)
        bindings.append(self.startedAt)
        bindings.append(self.operation)
        bindings.append(self.keyID?.rawValue)
        bindings.append(self.teamID?.rawValue)
        bindings.append(self.projectID?.rawValue)
        bindings.append(self.userID?.rawValue)
        bindings.append(self.requestedModel)
        bindings.append(self.model)
        bindings.append(self.provider)
        bindings.append(self.deployment)
        bindings.append(self.stream)
        // Bound as 64-bit: the server narrows to INTEGER and refuses a value out of range
        // (22003, mapped to `invalidValue`) instead of this code trapping.
        bindings.append(Int64(self.status))
        bindings.append(self.outcome.rawValue)
        bindings.append(self.errorClass)
        bindings.append(Int64(self.attempts))
        bindings.append(self.ttftMicros)
        bindings.append(self.upstreamMicros)
        bindings.append(self.totalMicros)
        bindings.append(self.usage.inputTokens)
        bindings.append(self.usage.outputTokens)
        bindings.append(self.usage.cachedInputTokens)
        bindings.append(self.usage.cacheWriteTokens)
        bindings.append(self.usage.cacheWrite1hTokens)
        bindings.append(self.usage.reasoningTokens)
        bindings.append(self.cost.rawValue)
        bindings.append(self.usage.webSearchRequests)
        bindings.append(self.attemptLog.isEmpty ? nil : Self.attemptLogJSON(self.attemptLog))
        bindings.append(self.orgID?.rawValue)
        bindings.append(AttributionTags.json(self.tags))
        bindings.append(self.cacheHit)
        bindings.append(self.cacheSavedCost.rawValue)
        bindings.append(self.features.rawValue)
        bindings.append(self.promptPrefixHash)
        bindings.append(self.agentID)
        bindings.append(self.taskID)
        bindings.append(self.taskOutcome?.rawValue)
        bindings.append(self.usageEstimated)
    }

    /// Reads a row selected with ``postgresSelectColumns``.
    ///
    /// - Throws: ``StorageError`` `.invalidStoredValue` when the outcome or the attempt log is not
    ///   one this build can read; PostgresNIO's decoding error when a column does not hold its type.
    init(postgresRow row: PostgresRow) throws {
        let cells = row.makeRandomAccess()
        let outcomeText = try cells[13].decode(String.self)
        guard let outcome = Outcome(rawValue: outcomeText) else {
            throw StorageError.invalidStoredValue(table: "request_record", column: "outcome")
        }
        let usage = TokenUsage(
            inputTokens: try cells[19].decode(Int64.self),
            outputTokens: try cells[20].decode(Int64.self),
            cachedInputTokens: try cells[21].decode(Int64.self),
            cacheWriteTokens: try cells[22].decode(Int64.self),
            cacheWrite1hTokens: try cells[23].decode(Int64.self),
            reasoningTokens: try cells[24].decode(Int64.self),
            webSearchRequests: try cells[26].decode(Int64.self)
        )
        let id = try cells[0].decode(String.self)
        let startedAt = try cells[1].decode(Int64.self)
        let operation = try cells[2].decode(String.self)
        let keyID = try cells[3].decode(String?.self)
        let teamID = try cells[4].decode(String?.self)
        let projectID = try cells[5].decode(String?.self)
        let userID = try cells[6].decode(String?.self)
        let requestedModel = try cells[7].decode(String.self)
        let model = try cells[8].decode(String?.self)
        let provider = try cells[9].decode(String?.self)
        let deployment = try cells[10].decode(String?.self)
        let stream = try cells[11].decode(Bool.self)
        let status = try cells[12].decode(Int.self)
        let errorClass = try cells[14].decode(String?.self)
        let attempts = try cells[15].decode(Int.self)
        let ttftMicros = try cells[16].decode(Int64?.self)
        let upstreamMicros = try cells[17].decode(Int64?.self)
        let totalMicros = try cells[18].decode(Int64.self)
        let cost = try cells[25].decode(Int64.self)
        let attemptLog = try cells[27].decode(String?.self).map(Self.attempts(fromJSON:)) ?? []
        let orgID = try cells[28].decode(String?.self)
        let tags = try Self.tags(fromJSON: cells[29].decode(String.self))
        let cacheHit = try cells[30].decode(Bool.self)
        let cacheSaved = try cells[31].decode(Int64.self)
        let features = try cells[32].decode(Int64.self)
        let promptPrefixHash = try cells[33].decode(Int64?.self)
        let agentID = try cells[34].decode(String?.self)
        let taskID = try cells[35].decode(String?.self)
        let taskOutcome = try Self.taskOutcome(fromStored: cells[36].decode(String?.self))
        let usageEstimated = try cells[37].decode(Bool.self)
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
            cost: USDNanos(cost),
            tags: tags,
            cacheHit: cacheHit,
            cacheSavedCost: USDNanos(cacheSaved),
            features: RequestFeatures(rawValue: features),
            promptPrefixHash: promptPrefixHash,
            agentID: agentID,
            taskID: taskID,
            taskOutcome: taskOutcome,
            usageEstimated: usageEstimated
        )
    }
}
