import KeelCore
import KeelStorage
import Testing

@Suite("AgentStore conformance")
struct AgentStoreConformanceTests {
    @Test(arguments: StoreBackend.enabled)
    func agentsAreRegisteredChangedVersionedAndDeleted(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.agents
            let support = Agent(
                id: "support-bot",
                name: "Support \"bot\" ünï",
                orgID: "acme",
                teamID: "care",
                version: "1.0",
                description: "Answers tickets",
                models: ["keel-sim-chat", "gpt-4o*"],
                tools: ["zendesk/*", "search"],
                offeredTools: .remove,
                createdAt: 10,
                updatedAt: 10
            )
            let triage = Agent(id: "triage", name: "Triage", createdAt: 5, updatedAt: 5)
            try await store.insert(support)
            try await store.insert(triage)
            #expect(try await store.agents() == [support, triage])
            #expect(try await store.agent(id: "support-bot") == support)
            #expect(try await store.agent(id: "missing") == nil)
            await #expect(throws: StorageError.self) { try await store.insert(triage) }

            // A change of settings alone keeps the version history; a new version enters it.
            var changed = support
            changed.tools = nil
            changed.updatedAt = 20
            #expect(try await store.update(changed))
            changed.version = "1.1"
            changed.state = .suspended
            changed.suspendedAt = 30
            changed.suspendedReason = "loops"
            changed.updatedAt = 30
            #expect(try await store.update(changed))
            #expect(try await store.agent(id: "support-bot") == changed)
            #expect(
                try await store.versions(of: "support-bot") == [
                    AgentVersion(agentID: "support-bot", version: "1.0", since: 10),
                    AgentVersion(agentID: "support-bot", version: "1.1", since: 30),
                ]
            )
            #expect(try await !store.update(Agent(id: "missing", name: "x", createdAt: 0, updatedAt: 0)))

            let stamped = try await store.stamp()
            #expect(try await store.delete(id: "support-bot"))
            #expect(try await store.stamp() != stamped, "the stamp moves with the agents")
            #expect(try await !store.delete(id: "support-bot"))
            #expect(try await store.agents().map(\.id) == ["triage"])
            #expect(try await store.versions(of: "support-bot").count == 2, "the history outlives the agent")
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func toolPinsArePinnedOnceHeldWhenChangedAndApproved(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.agents
            let before = try await store.stamp()
            let pin = ToolPin(
                agentID: "bot",
                server: "github",
                tool: "create_issue",
                sha256: "aa",
                definition: #"{"name":"create_issue"}"#,
                firstSeenAt: 10,
                changedAt: 10
            )
            #expect(try await store.pinIfAbsent(pin))
            var other = pin
            other.sha256 = "bb"
            #expect(try await !store.pinIfAbsent(other), "the first definition seen stays pinned")
            let pinned = try await store.stamp()
            #expect(pinned != before, "the stamp moves with the pins")
            #expect(try await store.toolPins() == [pin])

            // The same definition again changes nothing; another one is held for approval.
            try await store.holdChangedTool(
                agentID: "bot",
                server: "github",
                tool: "create_issue",
                sha256: "aa",
                definition: "x",
                at: 20
            )
            #expect(try await store.toolPins() == [pin])
            try await store.holdChangedTool(
                agentID: "bot",
                server: "github",
                tool: "create_issue",
                sha256: "cc",
                definition: #"{"name":"create_issue","description":"new"}"#,
                at: 30
            )
            var held = pin
            held.pendingSHA256 = "cc"
            held.pendingDefinition = #"{"name":"create_issue","description":"new"}"#
            held.changedAt = 30
            #expect(try await store.toolPins() == [held])
            #expect(try await store.stamp() != pinned)

            let approved = try await store.approveTool(agentID: "bot", server: "github", tool: "create_issue", at: 40)
            #expect(
                approved?.sha256 == "cc" && approved?.pendingSHA256 == nil
                    && approved?.definition == held.pendingDefinition
            )
            #expect(try await store.approveTool(agentID: "bot", server: "github", tool: "create_issue", at: 50) == nil)
            #expect(try await store.approveTool(agentID: "bot", server: "github", tool: "nope", at: 50) == nil)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func holdsAreSetReplacedAndLifted(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let store = stores.agents
            #expect(try await store.holds().isEmpty)
            let before = try await store.stamp()
            try await store.setHold(AgentHold(teamID: "care", reason: "incident 7", createdAt: 1))
            let held = try await store.stamp()
            #expect(held != before, "the stamp moves with the holds")
            try await store.setHold(AgentHold(teamID: nil, reason: nil, createdAt: 2))
            try await store.setHold(AgentHold(teamID: "care", reason: "incident 8", createdAt: 3))
            #expect(
                try await store.holds() == [
                    AgentHold(teamID: nil, reason: nil, createdAt: 2),
                    AgentHold(teamID: "care", reason: "incident 8", createdAt: 3),
                ]
            )
            #expect(try await store.removeHold(teamID: nil))
            #expect(try await !store.removeHold(teamID: nil))
            #expect(try await store.removeHold(teamID: "care"))
            #expect(try await store.holds().isEmpty)
            #expect(try await store.stamp() == before)
        }
    }

    @Test(arguments: StoreBackend.enabled)
    func aKeyKeepsTheAgentItIsBoundToAndTheKeysStampMovesWithChanges(backend: StoreBackend) async throws {
        try await backend.withStores { stores async throws in
            let empty = try await stores.keys.stamp()
            let key = VirtualKey(id: "k1", hash: "h1", prefix: "sk-1", createdAt: 1, agentID: "support-bot")
            try await stores.keys.insert(key)
            #expect(try await stores.keys.key(id: "k1")?.agentID == "support-bot")
            // The stamp moves with every insert and revocation, and only then.
            let inserted = try await stores.keys.stamp()
            #expect(inserted != empty)
            #expect(try await stores.keys.stamp() == inserted)
            #expect(try await stores.keys.revoke(id: "k1", at: 5))
            #expect(try await stores.keys.stamp() != inserted)
        }
    }
}
