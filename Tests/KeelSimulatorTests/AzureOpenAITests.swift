import Foundation
import KeelSimulator
import Testing

@Suite("Azure OpenAI deployments")
struct AzureOpenAITests {
    static let chat = "/openai/deployments/keel-sim-chat/chat/completions?api-version=2024-10-21"

    @Test func deploymentIsTheModelAndTheAnswerIsOpenAIs() async throws {
        try await SimulatorHarness.run { sim in
            let body = #"{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello there, simulator."}]}"#
            let reply = try await sim.post(Self.chat, body, headers: [("api-key", "azure-key"), ("content-type", "application/json")])
            #expect(reply.status == 200)
            let json = try reply.json()
            #expect(json["object"] as? String == "chat.completion")
            #expect(json["model"] as? String == "keel-sim-chat")
            let direct = try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody()).json()
            #expect(json[path: "choices", 0, "message", "content"] as? String == direct[path: "choices", 0, "message", "content"] as? String)
            #expect(json["usage"] as? NSDictionary == direct["usage"] as? NSDictionary)
            #expect(sim.simulator.requestCount(path: "/openai/deployments/keel-sim-chat/chat/completions", model: "keel-sim-chat") == 1)

            let stream = try await sim.post(Self.chat, SimulatorHarness.chatBody(extra: #","stream":true"#))
            #expect(stream.events.last == "[DONE]")
        }
    }

    @Test func missingApiVersionIsAzures404() async throws {
        try await SimulatorHarness.run { sim in
            let reply = try await sim.post("/openai/deployments/keel-sim-chat/chat/completions", SimulatorHarness.chatBody())
            #expect(reply.status == 404)
            #expect(try reply.json()[path: "error", "code"] as? String == "404")
        }
    }

    @Test func unknownDeploymentRateLimitAndKeyErrorsAreAzureShaped() async throws {
        try await SimulatorHarness.run(apiKey: "azure-key") { sim in
            let headers = [("api-key", "azure-key")]
            let missing = try await sim.post("/openai/deployments/nope/chat/completions?api-version=2024-10-21", SimulatorHarness.chatBody(), headers: headers)
            #expect(missing.status == 404)
            #expect(try missing.json()[path: "error", "code"] as? String == "DeploymentNotFound")
            let limited = try await sim.post(Self.chat, SimulatorHarness.chatBody("[sim status=429 retry_after=3]"), headers: headers)
            #expect(limited.status == 429)
            #expect(limited.header("retry-after") == "3")
            #expect(try limited.json()[path: "error", "code"] as? String == "429")
            let wrong = try await sim.post(Self.chat, SimulatorHarness.chatBody(), headers: [("api-key", "nope")])
            #expect(wrong.status == 401)
            let entra = try await sim.post(Self.chat, SimulatorHarness.chatBody(), headers: [("authorization", "Bearer azure-key")])
            #expect(entra.status == 200)
        }
    }

    @Test func embeddingsDeploymentAnswersLikeV1Embeddings() async throws {
        try await SimulatorHarness.run { sim in
            let azure = try await sim.post("/openai/deployments/keel-sim-embed/embeddings?api-version=2024-10-21", #"{"input":"the sea","dimensions":4}"#).json()
            let direct = try await sim.post("/v1/embeddings", #"{"model":"keel-sim-embed","input":"the sea","dimensions":4}"#).json()
            #expect(azure[path: "data", 0, "embedding"] as? [Double] == direct[path: "data", 0, "embedding"] as? [Double])
            #expect(azure[path: "usage", "prompt_tokens"] as? Int == 2)
        }
    }
}
