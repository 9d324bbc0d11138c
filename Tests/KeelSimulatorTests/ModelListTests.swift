import Foundation
import KeelSimulator
import Testing

@Suite("Model list and health")
struct ModelListTests {
    @Test func listNamesEveryConfiguredModel() async throws {
        try await SimulatorHarness.run { sim in
            let json = try await sim.get("/v1/models").json()
            #expect(json["object"] as? String == "list")
            let data = try #require(json["data"] as? [[String: Any]])
            #expect(
                data.compactMap { $0["id"] as? String } == [
                    "keel-sim-chat", "keel-sim-embed", "keel-sim-reasoning", "keel-sim-claude", "keel-sim-gemini",
                ])
            #expect(
                data.allSatisfy { $0["object"] as? String == "model" && $0["owned_by"] as? String == "keel-simulator" })
            #expect(data.allSatisfy { $0["created"] is Int })
        }
    }

    @Test func oneModelIsFoundByIdAndAnUnknownOneIs404() async throws {
        try await SimulatorHarness.run(models: [SimulatedModel(name: "org/model-a")]) { sim in
            let found = try await sim.get("/v1/models/org/model-a")
            #expect(found.status == 200)
            #expect(try found.json()["id"] as? String == "org/model-a")
            let missing = try await sim.get("/v1/models/nope")
            #expect(missing.status == 404)
            #expect(try missing.json()[path: "error", "code"] as? String == "model_not_found")
        }
    }

    @Test func healthAnswersOK() async throws {
        try await SimulatorHarness.run { sim in
            let reply = try await sim.get("/_simulator/health")
            #expect(reply.status == 200)
            #expect(try reply.json()["status"] as? String == "ok")
        }
    }
}
