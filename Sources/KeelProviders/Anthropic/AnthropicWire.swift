import KeelCore

/// Field names and shapes of the Anthropic Messages API (`POST /v1/messages`), shared by the
/// request and response translation and the stream encoder and decoder.
///
/// Bodies are read and built as ``JSONValue`` trees rather than Codable wire types: `JSONDecoder`
/// is slow on Linux (DESIGN.md §9), and a tree keeps unknown members visible, so a translation
/// can refuse what it cannot carry instead of dropping it.
///
/// Source: https://docs.anthropic.com/en/api/messages and
/// https://docs.anthropic.com/en/docs/build-with-claude/streaming.
public enum AnthropicWire {
    /// The `max_tokens` sent when the client gave none: Anthropic requires the field, OpenAI
    /// does not. 4096 is the largest output every current Claude model accepts; with extended
    /// thinking the thinking budget is added on top (see ``maxTokens(requested:thinkingBudget:)``).
    public static let defaultMaxTokens = 4096

    /// The smallest `thinking.budget_tokens` Anthropic accepts.
    public static let minimumThinkingBudget = 1024

    /// The `anthropic-version` header value the translation's bodies are written for.
    public static let apiVersion = "2023-06-01"

    /// The `max_tokens` to send: the client's value, or the default (plus the thinking budget,
    /// because Anthropic requires `max_tokens` > `budget_tokens`).
    static func maxTokens(requested: Int?, thinkingBudget: Int?) -> Int {
        if let requested { return requested }
        return Self.defaultMaxTokens + (thinkingBudget ?? 0)
    }

    /// The thinking budget for an OpenAI `reasoning_effort`: `minimal` 1,024, `low` 2,048,
    /// `medium` 8,192, `high` 16,384 tokens; `nil` for an unknown effort.
    static func thinkingBudget(effort: String) -> Int? {
        switch effort {
        case "minimal": 1_024
        case "low": 2_048
        case "medium": 8_192
        case "high": 16_384
        default: nil
        }
    }

    /// The OpenAI `reasoning_effort` for an Anthropic budget: up to 2,048 `low`, up to 8,192
    /// `medium`, above that `high` (the inverse of ``thinkingBudget(effort:)`` on its values).
    static func reasoningEffort(budget: Int) -> String {
        switch budget {
        case ..<1_025: "minimal"
        case ..<2_049: "low"
        case ..<8_193: "medium"
        default: "high"
        }
    }

    // MARK: Cache control

    /// `{"type":"ephemeral"}`, with `"ttl":"1h"` for the one-hour cache.
    static func cacheControl(_ cache: ChatCacheControl) -> JSONValue {
        switch cache.ttl {
        case .fiveMinutes: .object(["type": .string("ephemeral")])
        case .oneHour: .object(["type": .string("ephemeral"), "ttl": .string("1h")])
        }
    }

    /// Reads a `cache_control` value; `nil` when absent or not an ephemeral breakpoint.
    static func cacheControl(from value: JSONValue?) -> ChatCacheControl? {
        guard let value, value["type"]?.string == "ephemeral" else { return nil }
        return ChatCacheControl(ttl: value["ttl"]?.string == "1h" ? .oneHour : .fiveMinutes)
    }

    // MARK: Images

    /// An image block's `source`.
    static func imageSource(_ image: ChatImage) -> JSONValue {
        switch image {
        case .url(let url):
            .object(["type": .string("url"), "url": .string(url)])
        case .base64(let mediaType, let data):
            .object(["type": .string("base64"), "media_type": .string(mediaType), "data": .string(data)])
        }
    }

    // MARK: Stop reasons and errors

    /// The canonical stop reason of an Anthropic `stop_reason`; an unknown one reads as a
    /// natural end, so a new reason never breaks a stream.
    static func stopReason(_ value: String?) -> ChatStopReason {
        value.flatMap { ChatStopReason(anthropic: $0) } ?? .endTurn
    }


    // MARK: Identifiers

    /// A tool-use id Anthropic accepts (`^[a-zA-Z0-9_-]+$`): other characters become `_`, the
    /// same way every time, so a `tool_use` and its `tool_result` still match.
    static func toolUseID(_ id: String) -> String {
        guard !id.isEmpty else { return Self.generatedID(prefix: "toolu_") }
        var clean = ""
        clean.unicodeScalars.reserveCapacity(id.unicodeScalars.count)
        for scalar in id.unicodeScalars {
            let allowed = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-")
            clean.unicodeScalars.append(allowed ? scalar : "_")
        }
        return clean
    }

    /// A fresh id for a message or tool call the other dialect did not name (`msg_…`, `toolu_…`,
    /// `chatcmpl-…`, `call_…`): the prefix and 24 random base-62 characters.
    static func generatedID(prefix: String) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".unicodeScalars)
        var generator = SystemRandomNumberGenerator()
        var id = prefix
        for _ in 0..<24 {
            id.unicodeScalars.append(alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))])
        }
        return id
    }
}

extension Array where Element == JSONValue.Member {
    /// Appends `key: value` to an object being built; a `nil` value is left out.
    mutating func add(_ key: String, _ value: JSONValue?) {
        if let value { self.append(JSONValue.Member(key: key, value: value)) }
    }
}

extension KeelError {
    /// The refusal of a request parameter the upstream's dialect cannot express.
    static func unsupportedParameter(_ name: String) -> KeelError {
        .invalidRequest("The parameter '\(name)' is not supported by this model's provider.", param: name)
    }
}
