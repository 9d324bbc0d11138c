import KeelCore
import KeelStorage
import Testing

@Suite("AgentTaskStore conformance")
struct AgentTaskStoreConformanceTests {
    @Test(arguments: StoreBackend.enabled)
    func aTaskEndsOnceAndKeepsItsFirstOutcome(backend: StoreBackend) async throws {
        let first = AgentTaskEnd(
            taskID: "task-'; DROP TABLE agent_task; --", agentID: "agent-1", outcome: .success, endedAt: 1_750_000_000_000_001,
            keyID: "key-1", teamID: "team-1")
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
                            AgentTaskEnd(taskID: "task-race", outcome: index.isMultiple(of: 2) ? .success : .failure, endedAt: Int64(index)))
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
            #expect(try await tasks.totals(ofTask: "task-1", within: nil) == AgentTaskTotals(requests: 3, cost: USDNanos(321_000)))
            #expect(
                try await tasks.totals(ofTask: "task-1", within: .init(teamIDs: ["team-a"], keyIDs: ["key-b"]))
                    == AgentTaskTotals(requests: 2, cost: USDNanos(21_000)))
            #expect(try await tasks.totals(ofTask: "task-2", within: nil) == AgentTaskTotals(requests: 1, cost: USDNanos(4_000_000)))
            #expect(try await tasks.totals(ofTask: "task-9", within: nil) == AgentTaskTotals(requests: 0, cost: .zero))
        }
    }
}
