import Foundation
import KeelTesting
import Testing

/// A chat answer as a client of either dialect reads it, from a plain body or a stream.
struct DialectAnswer {
    var text = ""
    var toolCalls: [(name: String, arguments: String)] = []
    var stopReason: String?
    /// Every prompt token (Anthropic's `input_tokens` plus its cache reads and writes).
    var inputTokens = 0
    var outputTokens = 0
    /// Whether a stream ended with its dialect's terminator (`[DONE]`, `message_stop`).
    var terminated = false
    /// An error event inside a stream.
    var errorEvent: [String: Any]?

    /// An OpenAI chat-completions body or stream.
    static func openAI(_ response: TestResponse) throws -> DialectAnswer {
        var answer = DialectAnswer()
        if response.headers["content-type"]?.hasPrefix("text/event-stream") == true {
            var arguments: [Int: (name: String, arguments: String)] = [:]
            answer.terminated = response.events.last == "[DONE]"
            for event in response.jsonEvents {
                if let error = event["error"] as? [String: Any] { answer.errorEvent = error }
                if let usage = event["usage"] as? [String: Any] {
                    answer.inputTokens = usage["prompt_tokens"] as? Int ?? -1
                    answer.outputTokens = usage["completion_tokens"] as? Int ?? -1
                }
                guard let choice = (event["choices"] as? [[String: Any]])?.first else { continue }
                if let reason = choice["finish_reason"] as? String { answer.stopReason = reason }
                let delta = choice["delta"] as? [String: Any] ?? [:]
                answer.text += delta["content"] as? String ?? ""
                for call in delta["tool_calls"] as? [[String: Any]] ?? [] {
                    let index = try #require(call["index"] as? Int)
                    let function = call["function"] as? [String: Any] ?? [:]
                    var entry = arguments[index] ?? (name: "", arguments: "")
                    if let name = function["name"] as? String { entry.name += name }
                    entry.arguments += function["arguments"] as? String ?? ""
                    arguments[index] = entry
                }
            }
            answer.toolCalls = arguments.keys.sorted().map { arguments[$0]! }
            return answer
        }
        let json = try #require(response.json)
        let choice = try #require((json["choices"] as? [[String: Any]])?.first)
        let message = try #require(choice["message"] as? [String: Any])
        answer.text = message["content"] as? String ?? ""
        for call in message["tool_calls"] as? [[String: Any]] ?? [] {
            let function = try #require(call["function"] as? [String: Any])
            answer.toolCalls.append((try #require(function["name"] as? String), try #require(function["arguments"] as? String)))
        }
        answer.stopReason = choice["finish_reason"] as? String
        let usage = try #require(json["usage"] as? [String: Any])
        answer.inputTokens = try #require(usage["prompt_tokens"] as? Int)
        answer.outputTokens = try #require(usage["completion_tokens"] as? Int)
        return answer
    }

    /// An Anthropic Messages body or stream. A stream must follow the real event order:
    /// `message_start`, content blocks (start, deltas, stop), `message_delta`, `message_stop`.
    static func anthropic(_ response: TestResponse) throws -> DialectAnswer {
        var answer = DialectAnswer()
        if response.headers["content-type"]?.hasPrefix("text/event-stream") == true {
            let events = Self.namedEvents(response.body)
            let names = events.map(\.name).filter { $0 != "ping" }
            if names.last != "error" {
                #expect(names.first == "message_start")
                #expect(names.last == "message_stop")
                #expect(names.dropLast().last == "message_delta")
            }
            var blocks: [Int: (type: String, name: String, text: String)] = [:]
            var open: Set<Int> = []
            for (name, data) in events {
                #expect(data["type"] as? String == name, "event name and data type agree")
                switch name {
                case "message_start":
                    let usage = (data["message"] as? [String: Any])?["usage"] as? [String: Any] ?? [:]
                    answer.inputTokens = Self.anthropicInput(usage)
                    answer.outputTokens = usage["output_tokens"] as? Int ?? 0
                case "content_block_start":
                    let index = try #require(data["index"] as? Int)
                    let block = try #require(data["content_block"] as? [String: Any])
                    #expect(!open.contains(index))
                    open.insert(index)
                    blocks[index] = (block["type"] as? String ?? "", block["name"] as? String ?? "", "")
                case "content_block_delta":
                    let index = try #require(data["index"] as? Int)
                    #expect(open.contains(index), "a delta inside its block")
                    let delta = try #require(data["delta"] as? [String: Any])
                    blocks[index]?.text += (delta["text"] as? String) ?? (delta["partial_json"] as? String) ?? ""
                case "content_block_stop":
                    let index = try #require(data["index"] as? Int)
                    #expect(open.remove(index) != nil)
                case "message_delta":
                    answer.stopReason = (data["delta"] as? [String: Any])?["stop_reason"] as? String
                    let usage = data["usage"] as? [String: Any] ?? [:]
                    if usage["input_tokens"] != nil { answer.inputTokens = Self.anthropicInput(usage) }
                    answer.outputTokens = usage["output_tokens"] as? Int ?? answer.outputTokens
                case "message_stop":
                    answer.terminated = true
                case "error":
                    answer.errorEvent = data["error"] as? [String: Any]
                default:
                    break
                }
            }
            for index in blocks.keys.sorted() {
                let block = blocks[index]!
                if block.type == "text" { answer.text += block.text }
                if block.type == "tool_use" { answer.toolCalls.append((block.name, block.text.isEmpty ? "{}" : block.text)) }
            }
            return answer
        }
        let json = try #require(response.json)
        #expect(json["type"] as? String == "message")
        for block in json["content"] as? [[String: Any]] ?? [] {
            switch block["type"] as? String {
            case "text": answer.text += block["text"] as? String ?? ""
            case "tool_use":
                let input = try JSONSerialization.data(withJSONObject: try #require(block["input"]))
                answer.toolCalls.append((try #require(block["name"] as? String), String(decoding: input, as: UTF8.self)))
            default: break
            }
        }
        answer.stopReason = json["stop_reason"] as? String
        let usage = try #require(json["usage"] as? [String: Any])
        answer.inputTokens = Self.anthropicInput(usage)
        answer.outputTokens = try #require(usage["output_tokens"] as? Int)
        return answer
    }

    private static func anthropicInput(_ usage: [String: Any]) -> Int {
        (usage["input_tokens"] as? Int ?? 0) + (usage["cache_read_input_tokens"] as? Int ?? 0)
            + (usage["cache_creation_input_tokens"] as? Int ?? 0)
    }

    /// `event:` / `data:` pairs of an SSE body.
    static func namedEvents(_ body: String) -> [(name: String, data: [String: Any])] {
        var result: [(String, [String: Any])] = []
        for block in body.components(separatedBy: "\n\n") {
            var name: String?
            var data = ""
            for line in block.split(separator: "\n") {
                if line.hasPrefix("event:") { name = line.dropFirst(6).trimmingCharacters(in: .whitespaces) }
                if line.hasPrefix("data:") { data += line.dropFirst(5).trimmingCharacters(in: .whitespaces) }
            }
            guard let name, let object = (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] else { continue }
            result.append((name, object))
        }
        return result
    }
}
