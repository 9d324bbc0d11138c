import KeelCore

extension RequestRecord {
    /// A successful record with plausible values; tests override what they look at.
    static func fixture(
        _ id: String,
        at startedAt: Int64,
        keyID: KeyID? = "key-a",
        teamID: TeamID? = "team-a",
        projectID: ProjectID? = "project-a",
        userID: UserID? = "user-a",
        requestedModel: String = "gpt-test",
        model: String? = "gpt-test",
        provider: String? = "openai",
        status: Int = 200,
        outcome: Outcome = .success,
        cost: Int64 = 1_000,
        orgID: OrgID? = nil,
        tags: [String: String] = [:],
        agentID: String? = nil,
        taskID: String? = nil
    ) -> RequestRecord {
        RequestRecord(
            id: RequestID(id),
            startedAt: startedAt,
            operation: "chat",
            keyID: keyID,
            orgID: orgID,
            teamID: teamID,
            projectID: projectID,
            userID: userID,
            requestedModel: requestedModel,
            model: model,
            provider: provider,
            deployment: model.map { "\($0)-2025" },
            stream: false,
            status: status,
            outcome: outcome,
            errorClass: outcome == .success ? nil : "upstream_unavailable",
            attempts: 1,
            ttftMicros: nil,
            upstreamMicros: 900,
            totalMicros: 1_000,
            usage: TokenUsage(inputTokens: 10, outputTokens: 5, webSearchRequests: 2),
            cost: USDNanos(cost),
            tags: tags,
            agentID: agentID,
            taskID: taskID
        )
    }
}
