import KeelCore
import KeelStorage
import Testing

/// One filter of the request log and the ids it must return from ``dataset``, newest first.
struct RecordFilterCase: Sendable, CustomTestStringConvertible {
    let name: String
    let query: RequestRecordQuery
    let expectedNewestFirst: [String]

    var testDescription: String { self.name }

    /// Six records that differ in every filtered attribute. r3 was refused before routing (no
    /// served model), r4 has an empty served model, r5 was served by another model than requested.
    static let dataset: [RequestRecord] = [
        .fixture(
            "r1", at: 100, keyID: "key-a", teamID: "team-a", projectID: "project-a", userID: "user-a",
            requestedModel: "gpt-a", model: "gpt-a", provider: "openai", status: 200, outcome: .success,
            orgID: "org-a", tags: ["env": "prod", "feature": "search"], agentID: "agent-a", taskID: "task-1"),
        .fixture(
            "r2", at: 200, keyID: "key-b", teamID: "team-a", projectID: "project-b", userID: "user-b",
            requestedModel: "gpt-b", model: "gpt-b", provider: "anthropic", status: 500, outcome: .error,
            orgID: "org-a", tags: ["env": "dev"], agentID: "agent-a", taskID: "task-2"),
        .fixture(
            "r3", at: 300, keyID: "key-a", teamID: "team-b", projectID: nil, userID: nil,
            requestedModel: "alias-c", model: nil, provider: nil, status: 403, outcome: .error),
        .fixture(
            "r4", at: 400, keyID: nil, teamID: nil, projectID: nil, userID: nil,
            requestedModel: "gpt-a", model: "", provider: nil, status: 401, outcome: .error),
        .fixture(
            "r5", at: 500, keyID: "key-b", teamID: "team-b", projectID: "project-a", userID: "user-a",
            requestedModel: "alias", model: "gpt-a", provider: "openai", status: 200, outcome: .interrupted,
            orgID: "org-b", tags: ["env": "prod", "a.b:c/d-e": "x"], agentID: "agent-b", taskID: "task-1"),
        .fixture(
            "r6", at: 600, keyID: "key-a", teamID: "team-a", projectID: "project-a", userID: "user-b",
            requestedModel: "gpt-b", model: "gpt-b", provider: "anthropic", status: 499, outcome: .cancelled,
            taskID: "task-1"),
    ]

    static let all: [RecordFilterCase] = [
        .init(name: "no filter", query: .init(), expectedNewestFirst: ["r6", "r5", "r4", "r3", "r2", "r1"]),
        .init(name: "key", query: .init(keyID: "key-a"), expectedNewestFirst: ["r6", "r3", "r1"]),
        .init(name: "team", query: .init(teamID: "team-a"), expectedNewestFirst: ["r6", "r2", "r1"]),
        .init(name: "project", query: .init(projectID: "project-a"), expectedNewestFirst: ["r6", "r5", "r1"]),
        .init(name: "user", query: .init(userID: "user-b"), expectedNewestFirst: ["r6", "r2"]),
        .init(
            name: "served model or, without one, requested", query: .init(model: "gpt-a"),
            expectedNewestFirst: ["r5", "r4", "r1"]),
        .init(name: "requested model when none served", query: .init(model: "alias-c"), expectedNewestFirst: ["r3"]),
        .init(
            name: "requested model ignored when another served", query: .init(model: "alias"),
            expectedNewestFirst: []),
        .init(name: "provider", query: .init(provider: "anthropic"), expectedNewestFirst: ["r6", "r2"]),
        .init(name: "org", query: .init(orgID: "org-a"), expectedNewestFirst: ["r2", "r1"]),
        .init(name: "tag", query: .init(tag: .init(key: "env", value: "prod")), expectedNewestFirst: ["r5", "r1"]),
        .init(
            name: "tag with punctuation in its key", query: .init(tag: .init(key: "a.b:c/d-e", value: "x")),
            expectedNewestFirst: ["r5"]),
        .init(name: "tag value must match", query: .init(tag: .init(key: "feature", value: "prod")), expectedNewestFirst: []),
        .init(name: "agent", query: .init(agentID: "agent-a"), expectedNewestFirst: ["r2", "r1"]),
        .init(name: "task", query: .init(taskID: "task-1"), expectedNewestFirst: ["r6", "r5", "r1"]),
        .init(name: "agent and task", query: .init(agentID: "agent-a", taskID: "task-1"), expectedNewestFirst: ["r1"]),
        .init(name: "unknown task", query: .init(taskID: "task-z"), expectedNewestFirst: []),
        .init(name: "outcome", query: .init(outcome: .error), expectedNewestFirst: ["r4", "r3", "r2"]),
        .init(name: "status", query: .init(status: 200), expectedNewestFirst: ["r5", "r1"]),
        .init(name: "from", query: .init(from: 200), expectedNewestFirst: ["r6", "r5", "r4", "r3", "r2"]),
        .init(name: "to", query: .init(to: 400), expectedNewestFirst: ["r3", "r2", "r1"]),
        .init(name: "unknown key", query: .init(keyID: "key-z"), expectedNewestFirst: []),
        .init(
            name: "key, team and outcome", query: .init(keyID: "key-a", teamID: "team-a", outcome: .success),
            expectedNewestFirst: ["r1"]),
        .init(name: "key and window", query: .init(keyID: "key-a", from: 300, to: 600), expectedNewestFirst: ["r3"]),
        .init(name: "team and model", query: .init(teamID: "team-b", model: "gpt-a"), expectedNewestFirst: ["r5"]),
        .init(
            name: "project, user and provider",
            query: .init(projectID: "project-a", userID: "user-a", provider: "openai"),
            expectedNewestFirst: ["r5", "r1"]),
        .init(
            name: "within a team", query: .init(within: .init(teamIDs: ["team-b"])), expectedNewestFirst: ["r5", "r3"]),
        .init(
            name: "within teams or keys", query: .init(within: .init(teamIDs: ["team-b"], keyIDs: ["key-b"])),
            expectedNewestFirst: ["r5", "r3", "r2"]),
        .init(name: "within nothing", query: .init(within: .init()), expectedNewestFirst: []),
        .init(
            name: "within a key, with a team filter",
            query: .init(teamID: "team-a", within: .init(keyIDs: ["key-a"])), expectedNewestFirst: ["r6", "r1"]),
        .init(
            name: "every filter",
            query: .init(
                keyID: "key-a", teamID: "team-a", projectID: "project-a", userID: "user-b", model: "gpt-b",
                provider: "anthropic", outcome: .cancelled, status: 499, from: 600, to: 601
            ), expectedNewestFirst: ["r6"]),
    ]
}
