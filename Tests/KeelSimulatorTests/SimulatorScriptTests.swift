import Foundation
import KeelSimulator
import Testing

@Suite("Queued scripts and request counts")
struct SimulatorScriptTests {
    @Test func queuedDirectivesApplyToTheNextCountRequestsThenStop() async throws {
        try await SimulatorHarness.run { sim in
            sim.simulator.script.enqueue(try SimulatorDirectives(parsing: "status=503 retry_after=1"), count: 2)
            var statuses: [Int] = []
            for _ in 0..<3 {
                statuses.append(try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody()).status)
            }
            #expect(statuses == [503, 503, 200])
            #expect(sim.simulator.script.pendingCount == 0)
        }
    }

    @Test func queuedDirectivesForAModelLeaveOtherModelsAlone() async throws {
        try await SimulatorHarness.run { sim in
            sim.simulator.script.enqueue(SimulatorDirectives(status: 429), model: "keel-sim-reasoning")
            let other = try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody(model: "keel-sim-chat"))
            #expect(other.status == 200)
            let embed = try await sim.post("/v1/embeddings", #"{"model":"keel-sim-embed","input":"x"}"#)
            #expect(embed.status == 200)
            let target = try await sim.post(
                "/v1/chat/completions", SimulatorHarness.chatBody(model: "keel-sim-reasoning"))
            #expect(target.status == 429)
            let after = try await sim.post(
                "/v1/chat/completions", SimulatorHarness.chatBody(model: "keel-sim-reasoning"))
            #expect(after.status == 200)
        }
    }

    @Test func entriesAreTakenInQueueOrder() async throws {
        try await SimulatorHarness.run { sim in
            sim.simulator.script.enqueue(SimulatorDirectives(status: 500))
            sim.simulator.script.enqueue(SimulatorDirectives(status: 429))
            let first = try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody())
            let second = try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody())
            #expect(first.status == 500)
            #expect(second.status == 429)
        }
    }

    @Test func scriptCanBeQueuedAndResetOverHTTP() async throws {
        try await SimulatorHarness.run { sim in
            let queued = try await sim.post(
                "/_simulator/script",
                #"{"model":"keel-sim-embed","count":3,"directives":"status=503 retry_after=2"}"#
            )
            #expect(queued.status == 200)
            let refused = try await sim.post("/v1/embeddings", #"{"model":"keel-sim-embed","input":"x"}"#)
            #expect(refused.status == 503)
            #expect(refused.header("retry-after") == "2")
            #expect(sim.simulator.script.pendingCount == 2)

            let reset = try await sim.delete("/_simulator/script")
            #expect(reset.status == 200)
            #expect(sim.simulator.script.pendingCount == 0)
            let served = try await sim.post("/v1/embeddings", #"{"model":"keel-sim-embed","input":"x"}"#)
            #expect(served.status == 200)

            let invalid = try await sim.post("/_simulator/script", #"{"directives":"status=abc"}"#)
            #expect(invalid.status == 400)
        }
    }

    @Test func requestCountsTellHowOftenEachPathAndModelWasCalled() async throws {
        try await SimulatorHarness.run { sim in
            for _ in 0..<3 {
                _ = try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody(model: "keel-sim-chat"))
            }
            _ = try await sim.post(
                "/v1/chat/completions", SimulatorHarness.chatBody(model: "keel-sim-reasoning", "[sim status=500]"))
            _ = try await sim.post("/v1/chat/completions", "{not json")
            _ = try await sim.post("/v1/embeddings", #"{"model":"keel-sim-embed","input":"x"}"#)
            _ = try await sim.get("/v1/models")

            #expect(sim.simulator.requestCount(path: "/v1/chat/completions") == 5)
            #expect(sim.simulator.requestCount(path: "/v1/chat/completions", model: "keel-sim-chat") == 3)
            #expect(sim.simulator.requestCount(path: "/v1/chat/completions", model: "keel-sim-reasoning") == 1)
            #expect(sim.simulator.requestCount(path: "/v1/embeddings", model: "keel-sim-embed") == 1)
            #expect(sim.simulator.requestCount(path: "/v1/models") == 1)
            #expect(sim.simulator.requestCount(path: "/v1/embeddings", model: "keel-sim-chat") == 0)
        }
    }
}
