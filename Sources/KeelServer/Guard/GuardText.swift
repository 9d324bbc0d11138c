import KeelCore

/// A piece of text in a request or answer body that the content guard reads: where its JSON
/// string literal lies (quotes included) and who wrote it.
struct GuardText: Sendable, Equatable {
    var range: Range<Int>
    var role: ContentRole

    /// The bodies whose text the guard knows how to find.
    enum Shape: Sendable {
        /// OpenAI `/v1/chat/completions`: `messages[].content` (a string, or `text` parts);
        /// `system` and `developer` messages are the system's, `tool` and `function` messages
        /// tool results.
        case openAIChat
        /// Anthropic `/v1/messages` and `count_tokens`: `system` (a string or text blocks) and
        /// `messages[].content` (a string, `text` blocks, and `tool_result` blocks whose
        /// content is the tool's).
        case anthropicMessages
        /// OpenAI `/v1/embeddings`: `input` (a string or strings), as the user's.
        case openAIEmbeddings
        /// An MCP `tools/call` answer: `result.content[]` text blocks, as the tool's (what an
        /// indirect injection rides in on).
        case mcpToolResult
    }

    /// The texts of `bytes`, a body of `shape` already validated by its ingress, in order.
    static func texts(
        in bytes: UnsafeRawBufferPointer,
        shape: Shape,
        maxDepth: Int
    ) throws(JSONScanner.SyntaxError) -> [GuardText] {
        var texts: [GuardText] = []
        var reader = JSONReader(bytes, maxDepth: maxDepth)
        try reader.enterObject()
        while let key = try reader.nextMember() {
            switch shape {
            case .openAIChat where reader.key(key, is: "messages"):
                try Self.messages(&reader, into: &texts, content: Self.openAIContent)
            case .anthropicMessages where reader.key(key, is: "messages"):
                try Self.messages(&reader, into: &texts, content: Self.anthropicContent)
            case .anthropicMessages where reader.key(key, is: "system"):
                try Self.anthropicContent(&reader, role: .system, into: &texts)
            case .openAIEmbeddings where reader.key(key, is: "input"):
                try Self.strings(&reader, role: .user, into: &texts)
            case .mcpToolResult where reader.key(key, is: "result"):
                guard try reader.enterObjectIfAny() else { continue }
                while let member = try reader.nextMember() {
                    guard reader.key(member, is: "content"), try reader.peek() == .array else {
                        try reader.skipValue()
                        continue
                    }
                    try reader.forEachElement { reader throws(JSONScanner.SyntaxError) in
                        if let text = try Self.textPart(&reader, accepting: ["text"]) {
                            texts.append(GuardText(range: text, role: .tool))
                        }
                    }
                }
            default:
                try reader.skipValue()
            }
        }
        return texts
    }

    private typealias ContentReader = (inout JSONReader, ContentRole, inout [GuardText]) throws(JSONScanner.SyntaxError)
        -> Void

    /// `[{"role": …, "content": …}, …]`: the role may come after the content, so the texts of a
    /// message get its role once the message is read.
    private static func messages(
        _ reader: inout JSONReader,
        into texts: inout [GuardText],
        content: ContentReader
    ) throws(JSONScanner.SyntaxError) {
        try reader.forEachElement { reader throws(JSONScanner.SyntaxError) in
            guard try reader.enterObjectIfAny() else { return }
            let first = texts.count
            var role = ContentRole.user
            while let key = try reader.nextMember() {
                if reader.key(key, is: "role") {
                    role = Self.role(named: try reader.readString())
                } else if reader.key(key, is: "content") {
                    try content(&reader, .user, &texts)
                } else {
                    try reader.skipValue()
                }
            }
            // Content is read as the user's; Anthropic tool results come back as the tool's and
            // keep it.
            for index in first..<texts.count where texts[index].role != .tool {
                texts[index].role = role
            }
        }
    }

    private static func role(named name: String?) -> ContentRole {
        switch name {
        case "system", "developer": .system
        case "assistant": .assistant
        case "tool", "function": .tool
        default: .user
        }
    }

    /// A string, given to `string`; or an array, each of whose elements `element` reads.
    private static func stringOrArray(
        _ reader: inout JSONReader,
        string: (Range<Int>) -> Void,
        element: (inout JSONReader) throws(JSONScanner.SyntaxError) -> Void
    ) throws(JSONScanner.SyntaxError) {
        if try reader.peek() == .string {
            string(try reader.skipValue())
        } else {
            try reader.forEachElement(element)
        }
    }

    /// OpenAI content: a string, or parts of which `{"type":"text","text":…}` are read.
    private static func openAIContent(
        _ reader: inout JSONReader,
        role: ContentRole,
        into texts: inout [GuardText]
    ) throws(JSONScanner.SyntaxError) {
        try Self.stringOrArray(&reader, string: { texts.append(GuardText(range: $0, role: role)) }) {
            reader throws(JSONScanner.SyntaxError) in
            if let text = try Self.textPart(&reader, accepting: ["text"]) {
                texts.append(GuardText(range: text, role: role))
            }
        }
    }

    /// Anthropic content: a string, or blocks: `text` blocks, and `tool_result` blocks whose
    /// own content (a string or text blocks) is the tool's.
    private static func anthropicContent(
        _ reader: inout JSONReader,
        role: ContentRole,
        into texts: inout [GuardText]
    ) throws(JSONScanner.SyntaxError) {
        try Self.stringOrArray(&reader, string: { texts.append(GuardText(range: $0, role: role)) }) {
            reader throws(JSONScanner.SyntaxError) in
            guard try reader.enterObjectIfAny() else { return }
            var type: String?
            var text: Range<Int>?
            var toolTexts: [GuardText] = []
            while let key = try reader.nextMember() {
                if reader.key(key, is: "type") {
                    type = try reader.readString()
                } else if reader.key(key, is: "text"), try reader.peek() == .string {
                    text = try reader.skipValue()
                } else if reader.key(key, is: "content") {
                    try Self.anthropicContent(&reader, role: .tool, into: &toolTexts)
                } else {
                    try reader.skipValue()
                }
            }
            if type == "text", let text { texts.append(GuardText(range: text, role: role)) }
            if type == "tool_result" { texts += toolTexts }
        }
    }

    /// A string, or an array of which the strings are read.
    private static func strings(
        _ reader: inout JSONReader,
        role: ContentRole,
        into texts: inout [GuardText]
    ) throws(JSONScanner.SyntaxError) {
        try Self.stringOrArray(&reader, string: { texts.append(GuardText(range: $0, role: role)) }) {
            reader throws(JSONScanner.SyntaxError) in
            if try reader.peek() == .string {
                texts.append(GuardText(range: try reader.skipValue(), role: role))
            } else {
                try reader.skipValue()
            }
        }
    }

    /// The `text` string of an object part whose `type` is one of `types`; `nil` for any other
    /// value (which is skipped).
    static func textPart(
        _ reader: inout JSONReader,
        accepting types: Set<String>
    ) throws(JSONScanner.SyntaxError) -> Range<Int>? {
        guard try reader.enterObjectIfAny() else { return nil }
        var type: String?
        var text: Range<Int>?
        while let key = try reader.nextMember() {
            if reader.key(key, is: "type") {
                type = try reader.readString()
            } else if reader.key(key, is: "text"), try reader.peek() == .string {
                text = try reader.skipValue()
            } else {
                try reader.skipValue()
            }
        }
        guard let type, types.contains(type) else { return nil }
        return text
    }
}

extension JSONReader {
    /// Opens the next value when it is an object (read its members with `nextMember()`);
    /// otherwise steps over it and returns `false`.
    mutating func enterObjectIfAny() throws(JSONScanner.SyntaxError) -> Bool {
        guard try self.peek() == .object else {
            try self.skipValue()
            return false
        }
        try self.enterObject()
        return true
    }

    /// Calls `element` for each element of the next value when it is an array (each call must
    /// read or skip its element); otherwise steps over the value.
    mutating func forEachElement(
        _ element: (inout JSONReader) throws(JSONScanner.SyntaxError) -> Void
    ) throws(JSONScanner.SyntaxError) {
        guard try self.peek() == .array else {
            try self.skipValue()
            return
        }
        try self.enterArray()
        while try self.nextElement() { try element(&self) }
    }
}
