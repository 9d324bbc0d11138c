/// The simulator's token counting rule, public so that tests and the gateway can predict the
/// usage it reports.
///
/// **Counting text.** Text is split on whitespace (space, tab, line feed, carriage return,
/// vertical tab, form feed); each non-empty piece of `b` UTF-8 bytes counts `max(1, (b + 3) / 4)`
/// tokens. `count("the sea")` is 2; `count("unbelievable")` (12 bytes) is 3.
///
/// **Prompt tokens** of a chat request, in any dialect:
/// `3 + Σ over messages (4 + count(text of the message)) + Σ over tools (count(name) +
/// count(description) + count(compact JSON of the parameter schema))`. The system instruction
/// (OpenAI `system`/`developer` message, Anthropic `system`, Gemini `systemInstruction`, Bedrock
/// `system`) is one message. The text of a message is its string content or the `text` of each
/// of its text parts, its `name`, and the name and the compact JSON arguments of each of its tool
/// calls (`tool_calls`, `tool_use`, `functionCall`, `toolUse`), each counted separately, as if
/// joined by spaces. Each tool result (`tool` message, `tool_result`, `functionResponse`,
/// `toolResult`) is a message of its own whose text is the result's text (or its compact JSON);
/// a message left with nothing but tool results is not counted again. Images cost nothing.
/// Anthropic's and Bedrock's `input_tokens` exclude the cache reads and writes that
/// `cached=`/`cache_write=`/`cache_write_1h=` report; OpenAI's `prompt_tokens` and Gemini's
/// `promptTokenCount` include them.
///
/// **Completion tokens** are the answer's tokens plus the reasoning tokens (Gemini reports
/// the reasoning apart, as `thoughtsTokenCount`). A text answer is made of words of at most four
/// bytes, each exactly one token, streamed as one chunk `"word "` each; in JSON mode the opening
/// `{"answer":"` and the closing `"}` are one token each. A tool call counts
/// `count(function name) + count(arguments)`.
///
/// **Embedding input**: `count(text)` per string input; the length of each token array.
public enum SimulatedTokenizer {
    /// The number of tokens in `text`, by the rule above.
    public static func count(_ text: String) -> Int {
        var tokens = 0
        var pieceBytes = 0
        for byte in text.utf8 {
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D:
                if pieceBytes > 0 {
                    tokens += (pieceBytes + 3) / 4
                    pieceBytes = 0
                }
            default:
                pieceBytes += 1
            }
        }
        if pieceBytes > 0 {
            tokens += (pieceBytes + 3) / 4
        }
        return tokens
    }
}
