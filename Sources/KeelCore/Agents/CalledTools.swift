public import NIOCore

/// The tools a model's answer calls, read from a complete body or from one stream event in the
/// client's dialect: how an agent's `tools` are held on the answer side.
///
/// - OpenAI: `choices[].message.tool_calls[]` (`function.name`, `custom.name`) and the legacy
///   `function_call.name`; in a stream, the first delta of each call carries its name the same way.
/// - Anthropic: `content[]` blocks of type `tool_use`, `server_tool_use` and `mcp_tool_use`
///   (`name`; an `mcp_tool_use` also names its `server_name`); in a stream, their
///   `content_block_start`.
public enum CalledTools {
    /// One tool call: the tool's name, and the MCP server it belongs to when the answer says so.
    public struct Call: Sendable, Equatable {
        public var name: String
        public var server: String?

        public init(name: String, server: String? = nil) {
            self.name = name
            self.server = server
        }
    }

    /// The tool calls of `body`, a complete answer in `dialect`, in order; empty when it calls
    /// none or is not JSON.
    public static func calls(inAnswer body: ByteBuffer, dialect: APIDialect) -> [Call] {
        guard Self.mayCall(body, dialect: dialect), let answer = try? JSONValue(parsing: body) else { return [] }
        switch dialect {
        case .anthropic:
            return (answer["content"]?.array ?? []).compactMap(Self.anthropicCall)
        default:
            return (answer["choices"]?.array ?? []).flatMap { Self.openAICalls($0["message"]) }
        }
    }

    /// The tool calls of a complete answer with their arguments (OpenAI's `arguments` string
    /// parsed when it is JSON; Anthropic's `input`).
    public static func callsWithArguments(
        inAnswer body: ByteBuffer,
        dialect: APIDialect
    ) -> [(call: Call, arguments: JSONValue?)] {
        guard Self.mayCall(body, dialect: dialect), let answer = try? JSONValue(parsing: body) else { return [] }
        switch dialect {
        case .anthropic:
            return (answer["content"]?.array ?? []).compactMap { block in
                Self.anthropicCall(block).map { ($0, block["input"]) }
            }
        default:
            return (answer["choices"]?.array ?? []).flatMap { choice -> [(call: Call, arguments: JSONValue?)] in
                (choice["message"]?["tool_calls"]?.array ?? []).compactMap { call in
                    let function = call["function"] ?? call["custom"]
                    guard let name = function?["name"]?.string else { return nil }
                    let text = function?["arguments"]?.string ?? function?["input"]?.string
                    return (Call(name: name), text.map { (try? JSONValue(parsing: $0)) ?? .string($0) })
                }
            }
        }
    }

    /// The tool calls that start in one stream event's `data`, in `dialect`.
    public static func calls(inEvent data: UnsafeRawBufferPointer, dialect: APIDialect) -> [Call] {
        switch dialect {
        case .anthropic:
            guard ByteSearch.firstIndex(of: "content_block_start", in: data) != nil,
                let event = try? JSONValue(parsing: data),
                let call = event["content_block"].flatMap(Self.anthropicCall)
            else { return [] }
            return [call]
        default:
            guard
                ByteSearch.firstIndex(of: "tool_calls", in: data) != nil
                    || ByteSearch.firstIndex(of: "function_call", in: data) != nil,
                let event = try? JSONValue(parsing: data)
            else { return [] }
            return (event["choices"]?.array ?? []).flatMap { Self.openAICalls($0["delta"]) }
        }
    }

    /// Whether the body names a tool call at all: a byte search, so an answer of text is not parsed.
    private static func mayCall(_ body: ByteBuffer, dialect: APIDialect) -> Bool {
        body.withUnsafeReadableBytes { bytes in
            switch dialect {
            case .anthropic: ByteSearch.firstIndex(of: "tool_use", in: bytes) != nil
            default:
                ByteSearch.firstIndex(of: "tool_calls", in: bytes) != nil
                    || ByteSearch.firstIndex(of: "function_call", in: bytes) != nil
            }
        }
    }

    private static func openAICalls(_ message: JSONValue?) -> [Call] {
        guard let message else { return [] }
        var calls = (message["tool_calls"]?.array ?? []).compactMap { call in
            (call["function"]?["name"]?.string ?? call["custom"]?["name"]?.string).map { Call(name: $0) }
        }
        if let legacy = message["function_call"]?["name"]?.string { calls.append(Call(name: legacy)) }
        return calls
    }

    private static func anthropicCall(_ block: JSONValue) -> Call? {
        switch block["type"]?.string {
        case "tool_use", "server_tool_use": block["name"]?.string.map { Call(name: $0) }
        case "mcp_tool_use": block["name"]?.string.map { Call(name: $0, server: block["server_name"]?.string) }
        default: nil
        }
    }
}

/// The tool calls of a streamed answer in the client's dialect, assembled event by event: each
/// call's name from the event that starts it, its arguments from the deltas that follow (OpenAI
/// `tool_calls[].function.arguments` pieces by `index`; Anthropic `input_json_delta`
/// `partial_json` pieces by content block `index`).
public struct StreamedToolCalls: Sendable {
    public struct Call: Sendable, Equatable {
        public var name: String
        public var server: String?
        /// The arguments' JSON text as streamed.
        public var arguments: String
    }

    public let dialect: APIDialect
    /// The calls, in the order they started.
    public private(set) var calls: [Call] = []
    private var positions: [Int: Int] = [:]

    public init(dialect: APIDialect) {
        self.dialect = dialect
    }

    /// Reads one event's `data`.
    public mutating func read(_ data: UnsafeRawBufferPointer) {
        switch self.dialect {
        case .anthropic:
            // A call's start, or a piece of its arguments: text deltas are not parsed.
            guard
                ByteSearch.firstIndex(of: "content_block_start", in: data) != nil
                    || ByteSearch.firstIndex(of: "input_json_delta", in: data) != nil,
                let event = try? JSONValue(parsing: data),
                let index = event["index"]?.int
            else { return }
            if let block = event["content_block"],
                let started = CalledTools.calls(inEvent: data, dialect: .anthropic).first
            {
                let input = block["input"].flatMap { $0.members?.isEmpty == false ? $0.jsonText : nil } ?? ""
                self.positions[index] = self.calls.count
                self.calls.append(Call(name: started.name, server: started.server, arguments: input))
            } else if let piece = event["delta"]?["partial_json"]?.string, let position = self.positions[index] {
                self.calls[position].arguments += piece
            }
        default:
            guard ByteSearch.firstIndex(of: "tool_calls", in: data) != nil, let event = try? JSONValue(parsing: data)
            else { return }
            for choice in event["choices"]?.array ?? [] {
                let choiceIndex = choice["index"]?.int ?? 0
                for call in choice["delta"]?["tool_calls"]?.array ?? [] {
                    let key = choiceIndex << 16 | (call["index"]?.int ?? 0)
                    let function = call["function"] ?? call["custom"]
                    if let name = function?["name"]?.string {
                        self.positions[key] = self.calls.count
                        self.calls.append(Call(name: name, server: nil, arguments: ""))
                    }
                    if let piece = function?["arguments"]?.string ?? function?["input"]?.string,
                        let position = self.positions[key]
                    {
                        self.calls[position].arguments += piece
                    }
                }
            }
        }
    }

    /// The calls whose arguments read as JSON have them parsed; others as a string.
    public static func arguments(_ call: Call) -> JSONValue? {
        guard !call.arguments.isEmpty else { return nil }
        return (try? JSONValue(parsing: call.arguments)) ?? .string(call.arguments)
    }
}
