/// The gateway's own estimate of a chat prompt's tokens, for a request whose upstream never
/// reported its usage (a stream cut before its final usage event, an upstream that does not
/// report usage on streams).
///
/// About four bytes of text per token, the rule of thumb OpenAI and Anthropic give for English,
/// over the text of the prompt's strings (`messages`, `system`, `tools`, `prompt`; keys and JSON
/// punctuation are not counted), plus three tokens per message and three to prime the answer, as
/// OpenAI's counting guide does. It is an estimate: records that use it say so
/// (``RequestRecord/usageEstimated``).
public enum PromptTokenEstimate {
    /// The estimated prompt tokens of a chat request body of either dialect; 0 when it is not a
    /// JSON object.
    public static func tokens(ofChatBody body: UnsafeRawBufferPointer) -> Int64 {
        guard let index = try? JSONScanner.indexObject(body) else { return 0 }
        var textBytes = 0
        var messages = 0
        for member in index.members where ["messages", "system", "tools", "prompt"].contains(member.key) {
            var reader = JSONReader(index.slice(member), maxDepth: 64)
            if member.key == "messages", member.kind == .array {
                messages = index.arrayCount(member) ?? 0
            }
            textBytes += (try? Self.stringBytes(in: &reader)) ?? 0
        }
        return Int64((textBytes + 3) / 4 + 3 * messages + 3)
    }

    /// The bytes of the string values (not keys) of the value at `reader`.
    private static func stringBytes(in reader: inout JSONReader) throws(JSONScanner.SyntaxError) -> Int {
        switch try reader.peek() {
        case .string:
            return try reader.skipValue().count - 2
        case .array:
            var total = 0
            try reader.enterArray()
            while try reader.nextElement() { total += try Self.stringBytes(in: &reader) }
            return total
        case .object:
            var total = 0
            try reader.enterObject()
            while try reader.nextMember() != nil { total += try Self.stringBytes(in: &reader) }
            return total
        default:
            try reader.skipValue()
            return 0
        }
    }
}
