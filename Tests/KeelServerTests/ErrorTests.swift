import Foundation
import KeelCore
import KeelSimulator
import KeelServer
import KeelTesting
import NIOHTTP1
import Testing

@Suite("Bad input and faults answer in the OpenAI dialect")
struct ErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let path: String
        let body: String
        let key: String?
        let status: Int
        let code: String
        var testDescription: String { self.name }
    }

    static let cases: [Case] = [
        Case(name: "malformed JSON", path: "/v1/chat/completions", body: #"{"model":"keel-sim-chat","messages":["#, key: TestKeel.adminKey, status: 400, code: "invalid_request"),
        Case(name: "a JSON array", path: "/v1/chat/completions", body: #"[{"model":"keel-sim-chat"}]"#, key: TestKeel.adminKey, status: 400, code: "invalid_request"),
        Case(name: "missing messages", path: "/v1/chat/completions", body: #"{"model":"keel-sim-chat"}"#, key: TestKeel.adminKey, status: 400, code: "invalid_request"),
        Case(name: "messages not an array", path: "/v1/chat/completions", body: #"{"model":"keel-sim-chat","messages":"hi"}"#, key: TestKeel.adminKey, status: 400, code: "invalid_request"),
        Case(name: "empty messages", path: "/v1/chat/completions", body: #"{"model":"keel-sim-chat","messages":[]}"#, key: TestKeel.adminKey, status: 400, code: "invalid_request"),
        Case(name: "model missing", path: "/v1/chat/completions", body: #"{"messages":[{"role":"user","content":"x"}]}"#, key: TestKeel.adminKey, status: 400, code: "invalid_request"),
        Case(name: "stream not a boolean", path: "/v1/chat/completions", body: chatBody("x", extra: #""stream":"yes""#), key: TestKeel.adminKey, status: 400, code: "invalid_request"),
        Case(name: "stream_options without stream", path: "/v1/chat/completions", body: chatBody("x", extra: #""stream_options":{"include_usage":true}"#), key: TestKeel.adminKey, status: 400, code: "invalid_request"),
        Case(name: "unknown model", path: "/v1/chat/completions", body: chatBody("x", model: "gpt-nope"), key: TestKeel.adminKey, status: 404, code: "model_not_found"),
        Case(name: "missing key", path: "/v1/chat/completions", body: chatBody("x"), key: nil, status: 401, code: "invalid_api_key"),
        Case(name: "wrong key", path: "/v1/chat/completions", body: chatBody("x"), key: "sk-wrong-key", status: 401, code: "invalid_api_key"),
        Case(name: "embeddings without input", path: "/v1/embeddings", body: #"{"model":"keel-sim-embed"}"#, key: TestKeel.adminKey, status: 400, code: "invalid_request"),
        Case(name: "upstream rejects the request", path: "/v1/chat/completions", body: chatBody("x", extra: #""n":3"#), key: TestKeel.adminKey, status: 400, code: "upstream_rejected"),
        Case(name: "upstream fails every attempt", path: "/v1/chat/completions", body: chatBody("[sim status=500]"), key: TestKeel.adminKey, status: 502, code: "upstream_unavailable"),
        Case(name: "upstream sends malformed JSON", path: "/v1/chat/completions", body: chatBody("[sim fault=malformed]"), key: TestKeel.adminKey, status: 502, code: "upstream_bad_response"),
        Case(name: "upstream drops the connection", path: "/v1/chat/completions", body: chatBody("[sim fault=drop]"), key: TestKeel.adminKey, status: 502, code: "upstream_unavailable"),
        Case(name: "unknown route", path: "/v1/nothing-here", body: "{}", key: TestKeel.adminKey, status: 404, code: "not_found"),
    ]

    @Test(arguments: cases)
    func errorIsOpenAIShapedWithTheRightStatus(_ errorCase: Case) async throws {
        try await TestKeel.run { keel in
            let response = try await keel.post(errorCase.path, json: errorCase.body, key: errorCase.key)
            #expect(response.status == errorCase.status)
            let error = try #require(response.json?["error"] as? [String: Any])
            #expect(error["code"] as? String == errorCase.code)
            #expect((error["message"] as? String)?.isEmpty == false)
            #expect(error["type"] is String)
            #expect(!response.body.contains("sk-upstream-secret"))
            await keel.shutdown()
            let records = try await keel.records()
            // Every authenticated request leaves exactly one record; refused keys leave none.
            let admitted = errorCase.status != 401 && errorCase.path != "/v1/nothing-here"
            #expect(records.count == (admitted ? 1 : 0))
            if admitted {
                #expect(records.first?.status == errorCase.status)
                #expect(records.first?.errorClass == errorCase.code)
                #expect(records.first?.outcome == .error)
            }
            // Regression: issue #11 (error responses carried no request id). A client can quote
            // the id of a failed call; a refused key has no record, so no id.
            #expect(response.headers["x-keel-request-id"] == (admitted ? records.first?.id.rawValue : nil))
        }
    }

    @Test func anAnthropicClientsErrorCarriesTheIdOfItsRecord() async throws {
        try await TestKeel.run { keel in
            let response = try await keel.post(
                "/v1/messages",
                json: #"{"model":"claude-nope","max_tokens":10,"messages":[{"role":"user","content":"x"}]}"#,
                headers: [("anthropic-version", "2023-06-01")]
            )
            #expect(response.status == 404)
            #expect(response.json?["type"] as? String == "error")
            await keel.shutdown()
            let record = try #require(try await keel.records().first)
            #expect(response.headers["x-keel-request-id"] == record.id.rawValue)
        }
    }

    @Test func bodyOverTheLimitIsRefusedWith413() async throws {
        try await TestKeel.run(configure: { $0.server.maxBodyBytes = 4_096 }) { keel in
            let big = chatBody(String(repeating: "word ", count: 2_000))
            let response = try await keel.post("/v1/chat/completions", json: big)
            #expect(response.status == 413)
            #expect((response.json?["error"] as? [String: Any])?["code"] as? String == "payload_too_large")
        }
    }

    @Test func deeplyNestedJSONIsA400NotACrash() async throws {
        try await TestKeel.run { keel in
            let nested = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
            let response = try await keel.post("/v1/chat/completions", json: #"{"model":"keel-sim-chat","messages":\#(nested)}"#)
            #expect(response.status == 400)
        }
    }
}
