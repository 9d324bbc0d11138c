import Foundation
import Testing

/// `keel incidents drill all` against a gateway process on the built-in simulator: the seven
/// drills in turn, each detected, contained and cleaned up, reported per step.
@Suite("keel incidents drill")
struct DrillCommandTests {
    @Test func allSevenDrillsPassAgainstTheBuiltInSimulator() async throws {
        let upstreams = """
            providers:
              - { name: sim, kind: simulator }
              - { name: sim-anthropic, kind: simulator, simulator: { dialect: anthropic } }
            models:
              - { name: keel-sim-chat, routes: [ { provider: sim, model: keel-sim-chat } ], fallbacks: [ keel-sim-claude ], max_retries: 0 }
              - { name: keel-sim-claude, routes: [ { provider: sim-anthropic, model: keel-sim-claude } ] }
            """
        try await GatewayProcess.run(
            extra: """
                budgets: { alert_interval_ms: 200 }
                incidents: { tick_interval_ms: 100 }
                """,
            upstreams: upstreams,
            ready: ["incidents", "list"]
        ) { gateway in
            let unknown = try await KeelProcessTests.run(["incidents", "drill", "meteor"], environment: gateway.admin)
            #expect(unknown.status != 0)
            #expect(unknown.output.contains("supply_chain"), "\(unknown.output)")

            let drilled = try await KeelProcessTests.run(["incidents", "drill", "all"], environment: gateway.admin)
            print(drilled.output)
            #expect(drilled.status == 0, "\(drilled.output)")
            for category in [
                "prompt_injection", "data_exposure", "cost_spike", "agent_misbehaviour", "supply_chain",
                "model_degradation", "provider_outage",
            ] {
                #expect(drilled.output.contains(" \(category) on keel-sim-chat: passed"), "\(category)")
            }
            #expect(drilled.output.contains("(approved by the drill)"))
            #expect(drilled.output.components(separatedBy: "detected after ").count == 8)
            #expect(!drilled.output.contains("note:"), "\(drilled.output)")

            let listed = try await KeelProcessTests.run(["incidents", "list", "--all"], environment: gateway.admin)
            #expect(listed.output.components(separatedBy: "resolved").count >= 8, "\(listed.output)")
        }
    }
}
