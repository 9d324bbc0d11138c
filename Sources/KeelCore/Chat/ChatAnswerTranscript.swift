/// An answer's content put back together from its stream events (or taken from a complete
/// answer), for the spans of `tracing.capture_content`.
///
/// Text, reasoning and refusal deltas join the part of their kind that is open; a tool call's
/// argument deltas join the call they name. At most `limit` bytes of content are kept, so a long
/// answer costs at most that much memory; what comes after is counted in ``truncated`` only.
public struct ChatAnswerTranscript: Sendable {
    public private(set) var content: [ChatContent] = []
    /// How the answer ended; `nil` while it has not (or when it broke).
    public private(set) var stopReason: ChatStopReason?
    /// Content arrived after the limit was reached, and was not kept.
    public private(set) var truncated = false
    private var remaining: Int
    /// The position in ``content`` of each tool call, by its stream index.
    private var toolCalls: [Int: Int] = [:]

    public init(limit: Int) {
        self.remaining = max(0, limit)
    }

    /// Whether anything of an answer was received.
    public var isEmpty: Bool { self.content.isEmpty && self.stopReason == nil }

    public mutating func add(_ event: ChatStreamEvent) {
        switch event {
        case .textDelta(let text):
            guard let text = self.kept(text) else { return }
            if case .text(var open) = self.content.last {
                open.text += text
                self.content[self.content.count - 1] = .text(open)
            } else {
                self.content.append(.text(text))
            }
        case .thinkingDelta(let text):
            guard let text = self.kept(text) else { return }
            if case .thinking(var open) = self.content.last, open.signature == nil {
                open.text += text
                self.content[self.content.count - 1] = .thinking(open)
            } else {
                self.content.append(.thinking(ChatThinking(text: text)))
            }
        case .thinkingSignature(let signature):
            if case .thinking(var open) = self.content.last {
                open.signature = signature
                self.content[self.content.count - 1] = .thinking(open)
            }
        case .refusalDelta(let text):
            guard let text = self.kept(text) else { return }
            if case .refusal(let open) = self.content.last {
                self.content[self.content.count - 1] = .refusal(open + text)
            } else {
                self.content.append(.refusal(text))
            }
        case .toolCallStart(let index, let id, let name):
            self.toolCalls[index] = self.content.count
            self.content.append(.toolCall(ChatToolCall(id: id, name: name, arguments: "")))
        case .toolCallArgumentsDelta(let index, let delta):
            guard let position = self.toolCalls[index], case .toolCall(var call) = self.content[position],
                let delta = self.kept(delta)
            else { return }
            call.arguments += delta
            self.content[position] = .toolCall(call)
        case .stop(let reason, _):
            self.stopReason = reason
        case .start, .redactedThinking, .usage, .error:
            break
        }
    }

    /// Takes the content of a complete answer.
    public mutating func add(_ response: ChatResponse) {
        for part in response.content {
            switch part {
            case .text(let text): self.add(.textDelta(text.text))
            case .thinking(let thinking): self.add(.thinkingDelta(thinking.text))
            case .refusal(let text): self.add(.refusalDelta(text))
            case .toolCall(let call):
                let index = self.toolCalls.count
                self.add(.toolCallStart(index: index, id: call.id, name: call.name))
                self.add(.toolCallArgumentsDelta(index: index, call.arguments))
            case .image, .toolResult:
                break
            }
        }
        self.stopReason = response.stopReason
    }

    /// `text` when it fits in what is left of the limit, else what fits (`nil` when nothing).
    private mutating func kept(_ text: String) -> String? {
        guard !text.isEmpty else { return nil }
        var budget = GenAIMessages.Budget(bytes: self.remaining)
        let kept = budget.take(text)
        self.remaining = budget.remaining
        if budget.truncated { self.truncated = true }
        return kept.isEmpty ? nil : kept
    }
}
