public import NIOCore

/// A JSON-RPC message an MCP client posts (Streamable HTTP transport), as the MCP gateway reads
/// it: what it asks for and, for `tools/call`, the tool and its arguments. The bytes go to the
/// server as they came; only `tools/list` answers are rewritten.
///
/// Source: https://modelcontextprotocol.io/specification/2025-06-18/basic/transports and
/// https://modelcontextprotocol.io/specification/2025-06-18/server/tools
public struct MCPMessage: Sendable, Equatable {
    /// The request's id (a string or a number); `nil` for a notification or a response.
    public var id: JSONValue?
    /// `nil` for a response (to a request of the server's).
    public var method: String?
    /// `tools/call`: `params.name`.
    public var toolName: String?
    /// `tools/call`: `params.arguments`.
    public var arguments: JSONValue?

    public init(id: JSONValue? = nil, method: String? = nil, toolName: String? = nil, arguments: JSONValue? = nil) {
        self.id = id
        self.method = method
        self.toolName = toolName
        self.arguments = arguments
    }

    public var isRequest: Bool { self.id != nil && self.method != nil }

    /// The messages of a POST body: one JSON-RPC object, or a batch (an array of them, as the
    /// 2025-03-26 revision allows).
    ///
    /// - Throws: 400 `invalid_request` when the body is not JSON, an element is not an object with
    ///   `"jsonrpc":"2.0"`, a batch is empty, or a `tools/call` has no tool name.
    public static func parse(
        _ body: ByteBuffer,
        maxDepth: Int
    ) throws(KeelError) -> (messages: [MCPMessage], batch: Bool) {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: body, maxDepth: maxDepth)
        } catch {
            throw .invalidRequest("The body is not a JSON-RPC message: \(error).")
        }
        if let elements = value.array {
            guard !elements.isEmpty else { throw .invalidRequest("A JSON-RPC batch must not be empty.") }
            var messages: [MCPMessage] = []
            for element in elements { messages.append(try Self.message(element)) }
            return (messages, true)
        }
        return ([try Self.message(value)], false)
    }

    private static func message(_ value: JSONValue) throws(KeelError) -> MCPMessage {
        guard value.members != nil, value["jsonrpc"]?.string == "2.0" else {
            throw .invalidRequest(#"Each JSON-RPC message must be an object with "jsonrpc": "2.0"."#)
        }
        let id = value["id"].flatMap { $0.isNull ? nil : $0 }
        guard let method = value["method"] else { return MCPMessage(id: id) }
        guard let name = method.string else { throw .invalidRequest("A JSON-RPC 'method' must be a string.") }
        var message = MCPMessage(id: id, method: name)
        if name == "tools/call" {
            guard let tool = value["params"]?["name"]?.string, !tool.isEmpty else {
                throw .invalidRequest(
                    "A 'tools/call' request needs 'params.name', the tool to call.",
                    param: "params.name"
                )
            }
            message.toolName = tool
            message.arguments = value["params"]?["arguments"]
        }
        return message
    }

    /// A JSON-RPC error answer to the request `id` (`null` when unknown), with Keel's error code
    /// and the request's record id in `data`.
    public static func errorResponse(id: JSONValue?, code: Int, message: String, data: [JSONValue.Member]) -> String {
        JSONValue.object([
            .init(key: "jsonrpc", value: .string("2.0")),
            .init(key: "id", value: id ?? .null),
            .init(
                key: "error",
                value: .object([
                    .init(key: "code", value: .int(code)),
                    .init(key: "message", value: .string(message)),
                    .init(key: "data", value: .object(data)),
                ])
            ),
        ]).jsonText
    }

    /// JSON-RPC's error code for what Keel refuses: -32600 for a malformed message, -32601 for a
    /// method the gateway does not relay, -32001 for a refusal by Keel's rules (scope,
    /// suspension, budget, loop, approval), -32603 when the server could not be reached.
    public static func errorCode(for error: KeelError) -> Int {
        switch error.code {
        case .invalidRequest, .payloadTooLarge: -32600
        case .notFound: -32601
        case .upstreamUnavailable, .upstreamTimeout, .upstreamBadResponse, .upstreamRejected, .upstreamRateLimited,
            .streamInterrupted, .internalError, .overloaded:
            -32603
        default: -32001
        }
    }
}

/// A `tools/list` answer held to a scope: the tools it lists that the agent may not use are taken
/// out, so the agent does not see them.
public enum MCPToolList {
    /// One tool as listed: its name and its definition's JSON (name, description, schemas).
    public struct Tool: Sendable, Equatable {
        public var name: String
        public var definition: JSONValue
    }

    /// The tools of `answer`, a JSON-RPC response whose `result.tools` is a list; `nil` when it
    /// is not one.
    public static func tools(in answer: JSONValue) -> [Tool]? {
        guard let tools = answer["result"]?["tools"]?.array else { return nil }
        return tools.compactMap { tool in tool["name"]?.string.map { Tool(name: $0, definition: tool) } }
    }

    /// `answer` with only the tools (definitions, each with its `name`) `keep` says yes to; `nil`
    /// when it keeps them all (the bytes then go as they came) or is not a `tools/list` answer.
    public static func filtered(_ answer: JSONValue, keep: (JSONValue) -> Bool) -> JSONValue? {
        guard case .object(let members) = answer, let result = answer["result"],
            case .object(let resultMembers) = result,
            let tools = result["tools"]?.array
        else { return nil }
        let kept = tools.filter { tool in tool["name"]?.string != nil && keep(tool) }
        guard kept.count < tools.count else { return nil }
        let newResult = JSONValue.object(
            resultMembers.map { $0.key == "tools" ? .init(key: "tools", value: .array(kept)) : $0 }
        )
        return .object(members.map { $0.key == "result" ? .init(key: "result", value: newResult) : $0 })
    }
}
