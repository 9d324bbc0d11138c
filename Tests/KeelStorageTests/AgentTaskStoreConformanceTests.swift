import KeelCore
import KeelStorage
import Testing

@Suite("AgentTaskStore conformance")
struct AgentTaskStoreConformanceTests {
    @Test(arguments: StoreBackend.enabled)
    func aTaskEndsOnceAndKeepsItsFirstOutcome(backend: StoreBackend) async throws {
        let first = AgentTaskEnd(
            taskID: "task-'; DROP TABLE agent_task; --",
            agentID: "agent-1",
            outcome: .success,
            endedAt: 1_750_000_000_000_001,
            keyID: "key-1",
            teamID: "team-1"
        )
        var second = first
        second.outcome = .failure
        second.agentID = nil
        try await backend.withStores { stores async throws in
            #expect(try await stores.agentTasks.task(first.taskID) == nil)
            #expect(try await stores.agentTasks.end(first))
            #expect(try await stores.agentTasks.end(second) == false)
            #expect(try await stores.agentTasks.task(first.taskID) == first)
            let bare = AgentTaskEnd(taskID: "task-bare", outcome: .failure, endedAt: 7)
            #expect(try await stores.agentTasks.end(bare))
            #expect(try await stores.agentTasks.task("task-bare") == bare)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func ofConcurrentEndsOfOneTaskExactlyOneIsStored(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let stored = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        try await stores.agentTasks.end(
                            AgentTaskEnd(
                                taskID: "task-race",
                                outcome: index.isMultiple(of: 2) ? .success : .failure,
                                endedAt: Int64(index)
                            )
                        )
                    }
                }
                var count = 0
                for try await inserted in group where inserted { count += 1 }
                return count
            }
            #expect(stored == 1)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func totalsAddUpTheTasksRecordsWithinTheScope(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            try await stores.requests.append([
                .fixture("a1", at: 100, keyID: "key-a", teamID: "team-a", cost: 1_000, taskID: "task-1"),
                .fixture("a2", at: 200, keyID: "key-b", teamID: nil, cost: 20_000, taskID: "task-1"),
                .fixture("a3", at: 300, keyID: "key-c", teamID: "team-c", cost: 300_000, taskID: "task-1"),
                .fixture("a4", at: 400, keyID: "key-a", teamID: "team-a", cost: 4_000_000, taskID: "task-2"),
                .fixture("a5", at: 500, keyID: "key-a", teamID: "team-a", cost: 50_000_000),
            ])
            let tasks = stores.agentTasks
            #expect(
                try await tasks.totals(ofTask: "task-1", within: nil)
                    == AgentTaskTotals(requests: 3, cost: USDNanos(321_000))
            )
            #expect(
                try await tasks.totals(ofTask: "task-1", within: .init(teamIDs: ["team-a"], keyIDs: ["key-b"]))
                    == AgentTaskTotals(requests: 2, cost: USDNanos(21_000))
            )
            #expect(
                try await tasks.totals(ofTask: "task-2", within: nil)
                    == AgentTaskTotals(requests: 1, cost: USDNanos(4_000_000))
            )
            #expect(try await tasks.totals(ofTask: "task-9", within: nil) == AgentTaskTotals(requests: 0, cost: .zero))
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func queuedTasksAreClaimedOnceByPriorityAndLeasesRenewAndExpire(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let tasks = stores.agentTasks
            for (id, priority, attempts) in [("q-low", 1, 1), ("q-high", 9, 2), ("q-mid", 5, 1)] {
                try await tasks.insert(
                    AgentTaskRow(
                        id: id,
                        agentID: "bot",
                        teamID: "team-a",
                        state: .queued,
                        priority: priority,
                        input: #"{"n":1}"#,
                        metadata: #"{"source":"test"}"#,
                        budget: TaskBudget(steps: 3),
                        maxAttempts: attempts,
                        createdAt: 10
                    )
                )
            }
            try await tasks.insert(AgentTaskRow(id: "q-pool", pool: "triage", state: .queued, createdAt: 5))
            await #expect(throws: StorageError.self) {
                try await tasks.insert(AgentTaskRow(id: "q-low", state: .queued, createdAt: 1))
            }
            let stored = try #require(try await tasks.row("q-high"))
            #expect(stored.budget == TaskBudget(steps: 3) && stored.maxAttempts == 2 && stored.priority == 9)
            #expect(stored.input == #"{"n":1}"# || stored.input == #"{"n": 1}"#)

            // Eight workers race for three tasks of the agent: each task goes to one of them.
            let claimed = try await withThrowingTaskGroup(of: String?.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        try await tasks.claim(
                            agentIDs: ["bot"],
                            pool: nil,
                            worker: "w\(index)",
                            agentVersion: "1.0",
                            now: 100,
                            leaseUntil: 1_100
                        )?.id
                    }
                }
                var ids: [String] = []
                for try await id in group { if let id { ids.append(id) } }
                return ids
            }
            #expect(claimed.sorted() == ["q-high", "q-low", "q-mid"])
            #expect(
                try await tasks.claim(
                    agentIDs: ["bot"],
                    pool: nil,
                    worker: "late",
                    agentVersion: nil,
                    now: 100,
                    leaseUntil: 200
                ) == nil
            )
            let pooled = try await tasks.claim(
                agentIDs: [],
                pool: "triage",
                worker: "p1",
                agentVersion: nil,
                now: 100,
                leaseUntil: 200
            )
            #expect(pooled?.id == "q-pool" && pooled?.state == .running && pooled?.attempts == 1)
            let high = try #require(try await tasks.row("q-high"))
            #expect(
                high.state == .running && high.attempts == 1 && high.leaseUntil == 1_100 && high.agentVersion == "1.0"
            )

            // Activity renews a lease for as long as it was claimed for (1,000 µs here).
            try await tasks.touch(["q-high": 500, "q-low": 50], lease: 60_000_000)
            #expect(try await tasks.row("q-high")?.leaseUntil == 1_500)
            #expect(try await tasks.row("q-low")?.leaseUntil == 1_100, "older activity changes nothing")

            // At 1,200 µs the others' leases ran out: q-low and q-mid (one attempt) time out, the
            // pool's task too; q-high still holds.
            let expired = try await tasks.expireLeases(now: 1_200)
            #expect(Set(expired.map(\.id)) == ["q-low", "q-mid", "q-pool"])
            #expect(expired.allSatisfy { $0.state == .timedOut })
            // At 1,600 µs q-high's ran out with an attempt left: queued again.
            #expect(try await tasks.expireLeases(now: 1_600).map(\.state) == [.queued])
            let again = try await tasks.claim(
                agentIDs: ["bot"],
                pool: nil,
                worker: "w9",
                agentVersion: "2.0",
                now: 1_700,
                leaseUntil: 2_700
            )
            #expect(
                again?.id == "q-high" && again?.attempts == 2 && again?.agentVersion == "1.0",
                "the version it started under"
            )

            #expect(try await tasks.change("q-high", budget: TaskBudget(steps: 9), priority: 3, now: 1_800))
            #expect(try await tasks.row("q-high")?.budget == TaskBudget(steps: 9))
            #expect(
                try await tasks.transition(
                    "q-high",
                    from: [.running],
                    to: .awaitingApproval,
                    reason: "budget",
                    now: 1_900
                )
            )
            #expect(try await !tasks.transition("q-high", from: [.running], to: .failed, reason: nil, now: 1_950))
            #expect(
                try await tasks.transition(
                    "q-high",
                    from: [.awaitingApproval],
                    to: .cancelled,
                    reason: "stop",
                    now: 2_000
                )
            )
            let cancelled = try #require(try await tasks.row("q-high"))
            #expect(cancelled.state == .cancelled && cancelled.endedAt == 2_000 && cancelled.worker == nil)
            #expect(
                try await !tasks.end(AgentTaskEnd(taskID: "q-high", outcome: .success, endedAt: 2_100)),
                "ended once"
            )

            #expect(
                Set(try await tasks.activeRows(endedSince: 1_000).map(\.id)) == ["q-low", "q-mid", "q-pool", "q-high"]
            )
            #expect(try await tasks.activeRows(endedSince: 3_000).isEmpty)
            #expect(
                try await tasks.rows(matching: AgentTaskQuery(agentID: "bot", state: .timedOut)).map(\.id).sorted() == [
                    "q-low", "q-mid",
                ]
            )
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func aTaskStartedByItsRequestsIsStoredOnceWithItsUsage(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let tasks = stores.agentTasks
            let row = AgentTaskRow(id: "implicit", agentID: "bot", state: .running, createdAt: 10, startedAt: 10)
            #expect(try await tasks.insertIfAbsent(row))
            #expect(try await !tasks.insertIfAbsent(row))
            var first = RequestRecord.fixture("r1", at: 100, cost: 1_000, taskID: "implicit")
            first.usage = TokenUsage(inputTokens: 10, outputTokens: 5)
            var second = RequestRecord.fixture("r2", at: 200, cost: 2_000, taskID: "implicit")
            second.usage = TokenUsage(inputTokens: 20, outputTokens: 7)
            // A tool call through the MCP gateway counts as one, not as a step.
            var tool = RequestRecord.fixture("r4", at: 250, taskID: "implicit")
            tool.toolName = "search"
            tool.usage = .zero
            tool.cost = .zero
            try await stores.requests.append([first, second, tool, .fixture("r3", at: 300, taskID: "other")])
            let usage = try await tasks.usage(ofTasks: ["implicit", "none"])
            #expect(usage == ["implicit": TaskBudget.Usage(steps: 2, tokens: 42, costNanos: 3_000, toolCalls: 1)])
            // The end of a task started by requests keeps what it was.
            #expect(
                try await tasks.end(
                    AgentTaskEnd(taskID: "implicit", agentID: "other-bot", outcome: .success, endedAt: 400)
                )
            )
            let ended = try #require(try await tasks.row("implicit"))
            #expect(
                ended.state == .succeeded && ended.agentID == "bot" && ended.startedAt == 10 && ended.endedAt == 400
            )
        }
    }
}
