import Foundation
import KeelCore
import KeelTesting
import Testing

/// Every client dialect × every upstream dialect × {plain, stream, tools, stream + tools}, over
/// loopback against the simulator speaking each upstream dialect: content, tool calls, stop
/// reason and usage as the client reads them, and the record that matches them.
@Suite("Dialect matrix")
struct DialectMatrixTests {
    enum Ingress: String, CaseIterable, Sendable {
        case openAI = "openai"
        case anthropic
    }

    enum Mode: String, CaseIterable, Sendable {
        case plain, stream, tools, streamTools = "stream+tools"

        var streams: Bool { self == .stream || self == .streamTools }
        var usesTools: Bool { self == .tools || self == .streamTools }
    }

    static let weatherSchema = #"{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string"}},"required":["city"]}"#

    static func request(_ ingress: Ingress, model: String, mode: Mode) -> (path: String, body: String, headers: [(String, String)]) {
        let prompt = "What is the weather like in Lisbon today?"
        switch ingress {
        case .openAI:
            var body = #"{"model":"\#(model)","max_tokens":64,"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"\#(prompt)"}]"#
            if mode.usesTools {
                body += #","tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather","parameters":\#(Self.weatherSchema)}}],"tool_choice":"required""#
            }
            if mode.streams { body += #","stream":true,"stream_options":{"include_usage":true}"# }
            return ("/v1/chat/completions", body + "}", [])
        case .anthropic:
            var body = #"{"model":"\#(model)","max_tokens":64,"system":"You are terse.","messages":[{"role":"user","content":"\#(prompt)"}]"#
            if mode.usesTools {
                body += #","tools":[{"name":"get_weather","description":"Current weather","input_schema":\#(Self.weatherSchema)}],"tool_choice":{"type":"any"}"#
            }
            if mode.streams { body += #","stream":true"# }
            return ("/v1/messages", body + "}", [("anthropic-version", "2023-06-01")])
        }
    }

    @Test(arguments: Ingress.allCases, Mode.allCases)
    func everyUpstreamDialectAnswersTheClientInItsOwnDialect(ingress: Ingress, mode: Mode) async throws {
        try await TestKeel.run { keel in
            var answers: [String: DialectAnswer] = [:]
            var requestIDs: [String: String] = [:]
            for (model, _) in TestKeel.dialectModels {
                let request = Self.request(ingress, model: model, mode: mode)
                let response = try await keel.post(request.path, json: request.body, headers: request.headers)
                try #require(response.status == 200, "\(model): \(response.body)")
                if mode.streams {
                    #expect(response.headers["content-type"]?.hasPrefix("text/event-stream") == true)
                }
                let answer = ingress == .openAI ? try DialectAnswer.openAI(response) : try DialectAnswer.anthropic(response)
                answers[model] = answer
                requestIDs[model] = response.headers["x-keel-request-id"]

                if mode.streams { #expect(answer.terminated, "\(model): stream ended with its terminator") }
                #expect(answer.errorEvent == nil)
                #expect(answer.inputTokens > 0 && answer.outputTokens > 0, "\(model): usage reported")
                if mode.usesTools {
                    let call = try #require(answer.toolCalls.first, "\(model): a tool call")
                    #expect(call.name == "get_weather")
                    let arguments = try JSONSerialization.jsonObject(with: Data(call.arguments.utf8)) as? [String: Any]
                    #expect(arguments?["city"] is String, "\(model): arguments are the schema's JSON object: \(call.arguments)")
                    #expect(answer.stopReason == (ingress == .openAI ? "tool_calls" : "tool_use"))
                } else {
                    #expect(!answer.text.isEmpty, "\(model): text")
                    #expect(answer.toolCalls.isEmpty)
                    #expect(answer.stopReason == (ingress == .openAI ? "stop" : "end_turn"))
                }
            }
            // The simulator answers the same prompt with the same text and token counts in every
            // dialect, so every translation path must deliver exactly what pass-through delivers.
            let reference = try #require(answers["via-openai"])
            for (model, answer) in answers {
                #expect(answer.text == reference.text, "\(model)")
                #expect(answer.inputTokens == reference.inputTokens, "\(model)")
                #expect(answer.outputTokens == reference.outputTokens, "\(model)")
                #expect(answer.toolCalls.map(\.name) == reference.toolCalls.map(\.name), "\(model)")
            }

            await keel.shutdown()
            let records = try await keel.records()
            #expect(records.count == TestKeel.dialectModels.count)
            for (model, provider) in TestKeel.dialectModels {
                let record = try #require(records.first { $0.id.rawValue == requestIDs[model] }, "\(model): recorded")
                let answer = try #require(answers[model])
                #expect(record.outcome == .success)
                #expect(record.provider == provider)
                #expect(record.stream == mode.streams)
                #expect(record.usage.inputTokens == Int64(answer.inputTokens), "\(model): recorded input = client's")
                #expect(record.usage.outputTokens == Int64(answer.outputTokens), "\(model): recorded output = client's")
                #expect(record.cost == PriceCatalog.builtIn().cost(of: record.usage, model: "keel-sim-chat"))
                if mode.streams { #expect(record.ttftMicros != nil) }
            }
        }
    }
}
