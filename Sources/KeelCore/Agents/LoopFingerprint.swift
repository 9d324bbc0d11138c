public import NIOCore

/// The fingerprints of one chat request that the ``LoopDetector`` compares: the whole body, and
/// the last tool call in its history with the results that followed it, in either client dialect
/// (OpenAI `tool_calls` and `role: tool` messages; Anthropic `tool_use` and `tool_result` blocks).
///
/// Fingerprints are 64-bit hashes, compared only within one process. The history is not parsed
/// whole: its messages are delimited by one pass over their bytes, and only the last ones, from
/// the last assistant message that calls a tool, are read.
public enum LoopFingerprint {
    public static func of(_ body: ByteBuffer) -> (request: UInt64, toolCall: UInt64?) {
        body.withUnsafeReadableBytes { bytes in
            var hasher = Hasher()
            hasher.combine(bytes: bytes)
            let request = UInt64(bitPattern: Int64(hasher.finalize()))
            guard let index = try? JSONScanner.indexObject(bytes), let member = index["messages"], member.kind == .array
            else {
                return (request, nil)
            }
            return (request, Self.lastToolCall(in: index.slice(member)))
        }
    }

    /// The hash of the last assistant message's tool calls and of the messages after it, read
    /// from the JSON array `messages`, backwards.
    static func lastToolCall(in messages: UnsafeRawBufferPointer) -> UInt64? {
        let elements = Self.elements(of: messages)
        var after: [JSONValue] = []
        for range in elements.reversed() {
            guard let message = try? JSONValue(parsing: UnsafeRawBufferPointer(rebasing: messages[range])) else {
                return nil
            }
            if let calls = Self.toolCalls(of: message) {
                var hasher = Hasher()
                for call in calls { hasher.combine(call) }
                for message in after.reversed() {
                    hasher.combine(message["role"]?.string ?? "")
                    Self.combineContent(message["content"], into: &hasher)
                }
                return UInt64(bitPattern: Int64(hasher.finalize()))
            }
            after.append(message)
            // A history whose last tool call is far back is making progress of another kind.
            if after.count > 16 { return nil }
        }
        return nil
    }

    /// Content without the ids that differ from call to call (`tool_use_id`, `tool_call_id`).
    static func combineContent(_ content: JSONValue?, into hasher: inout Hasher) {
        guard let blocks = content?.array else {
            hasher.combine(content?.jsonText ?? "")
            return
        }
        for block in blocks {
            hasher.combine(block["type"]?.string ?? "")
            hasher.combine((block["content"] ?? block["text"] ?? block["input"])?.jsonText ?? "")
        }
    }

    /// `name(arguments)` of each tool call of an assistant message, or `nil` when it makes none.
    static func toolCalls(of message: JSONValue) -> [String]? {
        guard message["role"]?.string == "assistant" else { return nil }
        var calls: [String] = []
        for call in message["tool_calls"]?.array ?? [] {
            let function = call["function"]
            calls.append((function?["name"]?.string ?? "") + "(" + (function?["arguments"]?.string ?? "") + ")")
        }
        for block in message["content"]?.array ?? [] where block["type"]?.string == "tool_use" {
            calls.append((block["name"]?.string ?? "") + "(" + (block["input"]?.jsonText ?? "") + ")")
        }
        return calls.isEmpty ? nil : calls
    }

    /// The byte ranges of the elements of a JSON array (already validated), in one pass; empty
    /// when it is not an array.
    static func elements(of array: UnsafeRawBufferPointer) -> [Range<Int>] {
        var reader = JSONReader(array)
        var ranges: [Range<Int>] = []
        do {
            try reader.enterArray()
            while try reader.nextElement() { ranges.append(try reader.skipValue()) }
        } catch {
            return []
        }
        return ranges
    }
}
