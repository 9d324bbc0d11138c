import Foundation
import KeelCore
import KeelServer
import KeelSimulator
import KeelTesting
import NIOHTTP1
import Testing

/// Each adapter sends its provider's credentials where that provider looks for them (Bearer,
/// `x-api-key`, `x-goog-api-key`, Azure `api-key` or an Entra bearer token), and a rejected
/// credential is the gateway's configuration problem (502), never shown to the client.
@Suite("Upstream credentials")
struct UpstreamCredentialTests {
    static let upstreamKey = "sk-simulator-only-key-42"

    @Test(arguments: ["via-openai", "via-anthropic", "via-gemini", "via-azure", "via-azure-entra"])
    func everyDialectAuthenticatesWithItsOwnHeader(model: String) async throws {
        try await TestKeel.run(simulator: SimulatorConfiguration(apiKey: Self.upstreamKey), configure: { configuration in
            for index in configuration.providers.indices where configuration.providers[index].kind != .bedrock {
                configuration.providers[index].apiKey = Secret(Self.upstreamKey)
            }
            var entra = KeelConfiguration.Provider(name: "sim-azure-entra", kind: .azure, baseURL: configuration.providers.first { $0.name == "sim-azure" }!.baseURL)
            entra.entraToken = Secret(Self.upstreamKey)
            configuration.providers.append(entra)
            configuration.models.append(.init(name: "via-azure-entra", routes: [.init(provider: "sim-azure-entra", model: "keel-sim-chat")]))
        }) { keel in
            let response = try await keel.post("/v1/chat/completions", json: chatBody("credentials", model: model))
            #expect(response.status == 200, "\(response.body)")
        }
    }

    @Test(arguments: ["via-openai", "via-anthropic", "via-gemini", "via-azure"])
    func aRejectedUpstreamKeyIsABadGatewayAndNeverReachesTheClient(model: String) async throws {
        try await TestKeel.run(simulator: SimulatorConfiguration(apiKey: Self.upstreamKey)) { keel in
            // The test configuration's provider keys are not the simulator's.
            let response = try await keel.post("/v1/chat/completions", json: chatBody("credentials", model: model))
            #expect(response.status == 502, "\(response.status) \(response.body)")
            #expect(((response.json?["error"] as? [String: Any])?["message"] as? String)?.contains("credentials") == true)
            #expect(!response.body.contains("upstream-secret"))
            #expect(!response.body.contains(Self.upstreamKey))
        }
    }
}
