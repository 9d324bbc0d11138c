public import KeelCore
public import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The OpenAI Chat Completions dialect (`POST /v1/chat/completions`) as a translation end: the
/// client side (decode a client's request, encode an answer) and the upstream side (encode a
/// request, decode an answer).
///
/// Bodies are read and written as ``JSONValue`` trees, not Codable wire types: `JSONDecoder` is
/// slow on Linux (DESIGN.md §9), and a tree keeps every member visible, so a parameter with no
/// canonical meaning lands in ``ChatRequest/unsupportedParameters`` instead of vanishing.
///
/// Reasoning travels in the fields OpenAI-compatible servers use for it (the API itself has
/// none): `reasoning_content` (text) and `thinking_blocks` (`[{"type":"thinking","thinking",
/// "signature"}]`, `{"type":"redacted_thinking","data"}`), so a client can send Anthropic's
/// signed thinking back on its next turn. `cache_control` on a text part is read as an Anthropic
/// cache breakpoint (OpenRouter's convention); OpenAI itself caches without one.
///
/// Source: https://platform.openai.com/docs/api-reference/chat/create and
/// https://platform.openai.com/docs/api-reference/chat/object.
public enum OpenAIChatDialect: ChatClientDialect, ChatUpstreamDialect {
    public typealias StreamEncoder = OpenAIChatStreamEncoder
    public typealias StreamDecoder = OpenAIChatStreamDecoder

    // MARK: Complete answers

    /// Writes `response` as a `chat.completion` object.
    public static func encodeResponse(_ response: ChatResponse, model: String) -> ByteBuffer {
        Self.responseJSON(response, model: model, created: Self.now()).jsonBuffer
    }

    static func responseJSON(_ response: ChatResponse, model: String, created: Int) -> JSONValue {
        var text = ""
        var refusal: String?
        var reasoning = ""
        var thinkingBlocks: [JSONValue] = []
        var toolCalls: [JSONValue] = []
        for part in response.content {
            switch part {
            case .text(let part): text += part.text
            case .refusal(let value): refusal = (refusal ?? "") + value
            case .thinking(let thinking):
                reasoning += thinking.text
                thinkingBlocks.append(Self.thinkingBlock(thinking))
            case .toolCall(let call): toolCalls.append(Self.toolCallJSON(call))
            case .image, .toolResult: break
            }
        }
        var message: [JSONValue.Member] = []
        message.add("role", .string("assistant"))
        message.add("content", text.isEmpty && (refusal != nil || !toolCalls.isEmpty) ? .null : .string(text))
        message.add("refusal", refusal.map(JSONValue.string) ?? .null)
        if !toolCalls.isEmpty { message.add("tool_calls", .array(toolCalls)) }
        if !reasoning.isEmpty { message.add("reasoning_content", .string(reasoning)) }
        if !thinkingBlocks.isEmpty { message.add("thinking_blocks", .array(thinkingBlocks)) }
        message.add("annotations", .array([]))
        let choice: JSONValue = .object([
            "index": .int(0),
            "message": .object(message),
            "logprobs": .null,
            "finish_reason": .string(response.stopReason.openAI),
        ])
        return .object([
            "id": .string(Self.completionID(response.id)),
            "object": .string("chat.completion"),
            "created": .int(created),
            "model": .string(model),
            "choices": .array([choice]),
            "usage": Self.usageJSON(response.usage),
        ])
    }

    /// Reads a `chat.completion` object; `upstreamBadResponse` when it has no first choice.
    public static func decodeResponse(_ body: ByteBuffer) throws(KeelError) -> ChatResponse {
        let root: JSONValue
        do {
            root = try JSONValue(parsing: body, maxDepth: 128)
        } catch {
            throw .upstreamBadResponse("The upstream provider returned a response that is not JSON.")
        }
        guard let choice = root["choices"]?.array?.first, let message = choice["message"], message.isObject else {
            throw .upstreamBadResponse("The upstream provider returned a chat completion without a choice.")
        }
        var content: [ChatContent] = []
        content.append(contentsOf: Self.thinking(of: message))
        switch message["content"] {
        case .string(let text) where !text.isEmpty:
            content.append(.text(text))
        case .array(let parts):
            for part in parts {
                if let text = part["text"]?.string, !text.isEmpty { content.append(.text(text)) }
                if let refusal = part["refusal"]?.string, !refusal.isEmpty { content.append(.refusal(refusal)) }
            }
        default:
            break
        }
        if let refusal = message["refusal"]?.string, !refusal.isEmpty { content.append(.refusal(refusal)) }
        for (position, call) in (message["tool_calls"]?.array ?? []).enumerated() {
            guard let function = call["function"], let name = function["name"]?.string else {
                throw .upstreamBadResponse("The upstream provider returned a tool call without a function name.")
            }
            let id = call["id"]?.string.flatMap { $0.isEmpty ? nil : $0 } ?? AnthropicWire.generatedID(prefix: "call_") + "\(position)"
            content.append(.toolCall(ChatToolCall(id: id, name: name, arguments: function["arguments"]?.string ?? "{}")))
        }
        let finish = choice["finish_reason"]?.string
        var stopReason = finish.flatMap { ChatStopReason(openAI: $0) } ?? .endTurn
        if stopReason == .endTurn, content.contains(where: { if case .refusal = $0 { true } else { false } }) {
            stopReason = .refusal
        }
        let id = root["id"]?.string.flatMap { $0.isEmpty ? nil : $0 } ?? AnthropicWire.generatedID(prefix: "chatcmpl-")
        return ChatResponse(
            id: id,
            model: root["model"]?.string ?? "",
            content: content,
            stopReason: stopReason,
            usage: root["usage"].map(Self.usage(from:)) ?? .zero
        )
    }

    // MARK: Usage

    /// Reads an OpenAI `usage` object (see ``OpenAIUsage/decode(_:)`` for the fields).
    static func usage(from usage: JSONValue) -> TokenUsage {
        var result = TokenUsage()
        result.inputTokens = Int64(usage["prompt_tokens"]?.int ?? 0)
        result.outputTokens = Int64(usage["completion_tokens"]?.int ?? 0)
        result.cachedInputTokens = Int64(usage["prompt_tokens_details"]?["cached_tokens"]?.int ?? 0)
        result.reasoningTokens = Int64(usage["completion_tokens_details"]?["reasoning_tokens"]?.int ?? 0)
        return result
    }

    /// `usage` in OpenAI's convention: `prompt_tokens` includes cached and cache-written tokens
    /// (OpenAI has no field for cache writes), `completion_tokens` includes reasoning.
    static func usageJSON(_ usage: TokenUsage) -> JSONValue {
        .object([
            "prompt_tokens": .int(usage.inputTokens),
            "completion_tokens": .int(usage.outputTokens),
            "total_tokens": .int(usage.totalTokens),
            "prompt_tokens_details": .object([
                "cached_tokens": .int(usage.cachedInputTokens),
                "audio_tokens": .int(0),
            ]),
            "completion_tokens_details": .object([
                "reasoning_tokens": .int(usage.reasoningTokens),
                "audio_tokens": .int(0),
                "accepted_prediction_tokens": .int(0),
                "rejected_prediction_tokens": .int(0),
            ]),
        ])
    }

    // MARK: Shared pieces

    /// The thinking parts of an assistant message: `thinking_blocks` when present (they carry
    /// signatures), else `reasoning_content` (or `reasoning`) as one unsigned part.
    static func thinking(of message: JSONValue) -> [ChatContent] {
        if let blocks = message["thinking_blocks"]?.array, !blocks.isEmpty {
            return blocks.compactMap { block -> ChatContent? in
                switch block["type"]?.string {
                case "thinking":
                    return .thinking(ChatThinking(text: block["thinking"]?.string ?? "", signature: block["signature"]?.string))
                case "redacted_thinking":
                    return block["data"]?.string.map { .thinking(ChatThinking(text: "", redactedData: $0)) }
                default:
                    return nil
                }
            }
        }
        let text = message["reasoning_content"]?.string ?? message["reasoning"]?.string
        guard let text, !text.isEmpty else { return [] }
        return [.thinking(ChatThinking(text: text))]
    }

    static func thinkingBlock(_ thinking: ChatThinking) -> JSONValue {
        if let data = thinking.redactedData {
            return .object(["type": .string("redacted_thinking"), "data": .string(data)])
        }
        return .object([
            "type": .string("thinking"),
            "thinking": .string(thinking.text),
            "signature": thinking.signature.map(JSONValue.string),
        ])
    }

    static func toolCallJSON(_ call: ChatToolCall) -> JSONValue {
        .object([
            "id": .string(call.id),
            "type": .string("function"),
            "function": .object(["name": .string(call.name), "arguments": .string(call.arguments)]),
        ])
    }

    /// The upstream's id when it has one, else a fresh `chatcmpl-…`.
    static func completionID(_ id: String) -> String {
        id.isEmpty ? AnthropicWire.generatedID(prefix: "chatcmpl-") : id
    }

    /// Seconds since 1970, for `created`.
    static func now() -> Int {
        Int(time(nil))
    }
}
