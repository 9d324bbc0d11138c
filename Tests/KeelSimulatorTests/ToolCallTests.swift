import Foundation
import KeelSimulator
import Testing

@Suite("Tool calls")
struct ToolCallTests {
    static let weather =
        #"{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city","days","unit"]}}}"#
    static let time =
        #"{"type":"function","function":{"name":"get_time","parameters":{"type":"object","properties":{"zone":{"type":"string"},"precise":{"type":"boolean"}}}}}"#

    static func calls(_ json: [String: Any]) -> [[String: Any]] {
        json[path: "choices", 0, "message", "tool_calls"] as? [[String: Any]] ?? []
    }

    @Test func oneToolIsCalledWithDeterministicArguments() async throws {
        try await SimulatorHarness.run { sim in
            let body = SimulatorHarness.chatBody(extra: #","tools":[\#(Self.weather)]"#)
            let json = try await sim.post("/v1/chat/completions", body).json()
            #expect(json[path: "choices", 0, "finish_reason"] as? String == "tool_calls")
            #expect(json[path: "choices", 0, "message", "content"] is NSNull)
            let calls = Self.calls(json)
            try #require(calls.count == 1)
            #expect((calls[0]["id"] as? String)?.hasPrefix("call_") == true)
            #expect(calls[0]["type"] as? String == "function")
            #expect(calls[0][path: "function", "name"] as? String == "get_weather")
            let arguments = try #require(calls[0][path: "function", "arguments"] as? String)
            #expect(arguments == #"{"city":"value-1","days":2,"unit":"celsius"}"#)

            let again = try await sim.post("/v1/chat/completions", body).json()
            #expect(Self.calls(again)[0]["id"] as? String == calls[0]["id"] as? String)
            let expectedTokens = SimulatedTokenizer.count("get_weather") + SimulatedTokenizer.count(arguments)
            #expect(json[path: "usage", "completion_tokens"] as? Int == expectedTokens)
        }
    }

    @Test func twoToolsAreCalledInParallelUnlessParallelCallsAreOff() async throws {
        try await SimulatorHarness.run { sim in
            let tools = #","tools":[\#(Self.weather),\#(Self.time)]"#
            let parallel = try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody(extra: tools)).json()
            let calls = Self.calls(parallel)
            #expect(calls.compactMap { $0[path: "function", "name"] as? String } == ["get_weather", "get_time"])
            #expect(calls[1][path: "function", "arguments"] as? String == #"{"zone":"value-1","precise":true}"#)
            #expect(Set(calls.compactMap { $0["id"] as? String }).count == 2)

            let serial = try await sim.post(
                "/v1/chat/completions",
                SimulatorHarness.chatBody(extra: tools + #","parallel_tool_calls":false"#)
            ).json()
            #expect(Self.calls(serial).count == 1)
        }
    }

    @Test func forcedFunctionIsTheOnlyOneCalled() async throws {
        try await SimulatorHarness.run { sim in
            let extra =
                #","tools":[\#(Self.weather),\#(Self.time)],"tool_choice":{"type":"function","function":{"name":"get_time"}}"#
            let json = try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody(extra: extra)).json()
            #expect(Self.calls(json).compactMap { $0[path: "function", "name"] as? String } == ["get_time"])
        }
    }

    @Test func toolChoiceNoneAndAToolResultGetText() async throws {
        try await SimulatorHarness.run { sim in
            let none = try await sim.post(
                "/v1/chat/completions",
                SimulatorHarness.chatBody(extra: #","tools":[\#(Self.weather)],"tool_choice":"none""#)
            ).json()
            #expect(none[path: "choices", 0, "message", "content"] is String)

            let afterTool = #"""
                {"model":"keel-sim-chat","tools":[\#(Self.weather)],"messages":[
                {"role":"user","content":"Weather?"},
                {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},
                {"role":"tool","tool_call_id":"call_1","content":"sunny"}]}
                """#
            let json = try await sim.post("/v1/chat/completions", afterTool).json()
            #expect(json[path: "choices", 0, "finish_reason"] as? String == "stop")
            #expect(json[path: "choices", 0, "message", "content"] is String)
        }
    }

    @Test func streamedArgumentsConcatenateToTheSameValidJSON() async throws {
        try await SimulatorHarness.run { sim in
            let extra = #","tools":[\#(Self.weather),\#(Self.time)]"#
            let plain = try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody(extra: extra)).json()
            let reply = try await sim.post(
                "/v1/chat/completions",
                SimulatorHarness.chatBody(extra: extra + #","stream":true,"stream_options":{"include_usage":true}"#)
            )
            let chunks = try reply.chunks()
            var names: [Int: String] = [:]
            var ids: [Int: String] = [:]
            var arguments: [Int: String] = [:]
            var fragmentsPerCall: [Int: Int] = [:]
            for chunk in chunks {
                for call in chunk[path: "choices", 0, "delta", "tool_calls"] as? [[String: Any]] ?? [] {
                    let index = try #require(call["index"] as? Int)
                    if let id = call["id"] as? String { ids[index] = id }
                    if let name = call[path: "function", "name"] as? String { names[index] = name }
                    if let fragment = call[path: "function", "arguments"] as? String, !fragment.isEmpty {
                        arguments[index, default: ""] += fragment
                        fragmentsPerCall[index, default: 0] += 1
                    }
                }
            }
            let plainCalls = Self.calls(plain)
            #expect(names == [0: "get_weather", 1: "get_time"])
            for (index, call) in plainCalls.enumerated() {
                #expect(ids[index] == call["id"] as? String)
                #expect(arguments[index] == call[path: "function", "arguments"] as? String)
                #expect(try JSONSerialization.jsonObject(with: Data((arguments[index] ?? "").utf8)) is [String: Any])
                #expect((fragmentsPerCall[index] ?? 0) >= 2)
            }
            let finishes = chunks.compactMap { $0[path: "choices", 0, "finish_reason"] as? String }
            #expect(finishes == ["tool_calls"])
            #expect(chunks.last?["usage"] as? NSDictionary == plain["usage"] as? NSDictionary)
        }
    }

    @Test func toolsAreCountedIntoPromptTokens() async throws {
        try await SimulatorHarness.run { sim in
            let without = try await sim.post("/v1/chat/completions", SimulatorHarness.chatBody()).json()
            let tools = "[\(Self.weather)]"
            let with = try await sim.post(
                "/v1/chat/completions", SimulatorHarness.chatBody(extra: #","tools":\#(tools)"#)
            ).json()
            let base = try #require(without[path: "usage", "prompt_tokens"] as? Int)
            // Each tool counts its name, description and compact parameter schema.
            let schema =
                #"{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city","days","unit"]}"#
            #expect(
                with[path: "usage", "prompt_tokens"] as? Int
                    == base + SimulatedTokenizer.count("get_weather") + SimulatedTokenizer.count(schema))
        }
    }
}
