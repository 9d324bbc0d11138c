import Foundation
import KeelSimulator
import Testing

@Suite("Simulated MCP server")
struct MCPServerTests {
    @Test func itListsAndCallsItsToolsAndAnswersInJSONRPC() async throws {
        try await SimulatorHarness.run { sim in
            let initialized = try await sim.post(
                "/mcp",
                #"{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#
            )
            #expect(initialized.status == 200)
            #expect(try initialized.json()[path: "result", "protocolVersion"] as? String == "2025-06-18")
            #expect(try initialized.json()["id"] as? String == "init")
            let notified = try await sim.post("/mcp", #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
            #expect(notified.status == 202)
            let listed = try await sim.post("/mcp", #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#).json()
            let tools = try #require(listed[path: "result", "tools"] as? [[String: Any]])
            #expect(tools.compactMap { $0["name"] as? String } == ["echo", "search", "sleep"])
            let echoed = try await sim.post(
                "/mcp",
                #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}"#
            ).json()
            let content = try #require(echoed[path: "result", "content"] as? [[String: Any]])
            #expect(content.first?["text"] as? String == "hi")
            let unknown = try await sim.post(
                "/mcp",
                #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"nope"}}"#
            ).json()
            #expect(unknown[path: "error", "code"] as? Int == -32602)
            let missing = try await sim.post("/mcp", #"{"jsonrpc":"2.0","id":4,"method":"resources/list"}"#).json()
            #expect(missing[path: "error", "code"] as? Int == -32601)
            #expect(try await sim.post("/mcp", "not json").status == 400)
        }
    }
}
