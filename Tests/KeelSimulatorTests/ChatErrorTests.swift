import Foundation
import KeelSimulator
import Testing

@Suite("Chat completion errors")
struct ChatErrorTests {
    /// One refused request: body, expected status, expected `error.code` (nil for JSON null).
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let body: String
        let status: Int
        let code: String?
        var testDescription: String { self.name }
    }

    static let cases: [Case] = [
        Case(name: "malformed JSON", body: #"{"model":"keel-sim-chat","messages":[{"#, status: 400, code: nil),
        Case(
            name: "unknown model", body: SimulatorHarness.chatBody(model: "nope"), status: 404, code: "model_not_found"),
        Case(
            name: "missing messages", body: #"{"model":"keel-sim-chat"}"#, status: 400,
            code: "missing_required_parameter"),
        Case(
            name: "empty messages", body: #"{"model":"keel-sim-chat","messages":[]}"#, status: 400,
            code: "invalid_value"),
        Case(
            name: "embedding model", body: SimulatorHarness.chatBody(model: "keel-sim-embed"), status: 400,
            code: "unsupported_model"),
        Case(name: "n above 1", body: SimulatorHarness.chatBody(extra: #","n":2"#), status: 400, code: "invalid_value"),
        Case(
            name: "bad directive", body: SimulatorHarness.chatBody("[sim bogus=1]"), status: 400,
            code: "invalid_directive"),
        Case(
            name: "forced unknown tool",
            body: SimulatorHarness.chatBody(
                extra:
                    #","tools":[{"type":"function","function":{"name":"a"}}],"tool_choice":{"type":"function","function":{"name":"b"}}"#
            ),
            status: 400,
            code: "invalid_value"
        ),
    ]

    @Test(arguments: cases)
    func refusedRequestGetsAnOpenAIShapedError(_ refused: Case) async throws {
        try await SimulatorHarness.run { sim in
            let reply = try await sim.post("/v1/chat/completions", refused.body)
            #expect(reply.status == refused.status)
            let json = try reply.json()
            let error = try #require(json["error"] as? [String: Any])
            #expect(error["message"] is String)
            #expect(error["type"] as? String == "invalid_request_error")
            #expect(error.keys.contains("param"))
            if let code = refused.code {
                #expect(error["code"] as? String == code)
            } else {
                #expect(error["code"] is NSNull)
            }
        }
    }

    @Test func embeddingsRefuseAChatModel() async throws {
        try await SimulatorHarness.run { sim in
            let reply = try await sim.post("/v1/embeddings", #"{"model":"keel-sim-chat","input":"hi"}"#)
            #expect(reply.status == 400)
            #expect(try reply.json()[path: "error", "code"] as? String == "unsupported_model")
        }
    }
}
