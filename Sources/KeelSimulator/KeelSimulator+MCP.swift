import Hummingbird
import KeelCore
import NIOCore

extension KeelSimulator {
    /// The simulated MCP server at `POST /mcp`: the Streamable HTTP transport without sessions,
    /// JSON answers. Tools: `echo` (`{text}` → the text), `search` (`{query}` → a line of
    /// results), `sleep` (`{ms}` → answers after that long, at most 60 s). It answers `initialize`,
    /// `ping`, `tools/list` and `tools/call`; notifications and responses get 202; another method
    /// gets JSON-RPC's -32601.
    func mcp(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 4 << 20)
        self.counter.record(path: request.uri.path, model: nil)
        guard let message = try? JSONValue(parsing: body), message["jsonrpc"]?.string == "2.0" else {
            return Response.json(Self.mcpError(id: .null, code: -32700, message: "Parse error"), status: .badRequest)
        }
        guard let method = message["method"]?.string, let id = message["id"], !id.isNull else {
            return Response(status: .accepted)
        }
        let params = message["params"]
        let result: JSONValue
        switch method {
        case "initialize":
            result = .object([
                "protocolVersion": .string(params?["protocolVersion"]?.string ?? "2025-06-18"),
                "capabilities": .object(["tools": .object(["listChanged": .bool(false)])]),
                "serverInfo": .object(["name": .string("keel-simulator"), "version": .string("1")]),
            ])
        case "ping":
            result = .object([])
        case "tools/list":
            result = .object(["tools": .array(Self.mcpTools)])
        case "tools/call":
            let arguments = params?["arguments"]
            let text: String
            switch params?["name"]?.string {
            case "echo":
                text = arguments?["text"]?.string ?? ""
            case "search":
                text = "3 results for \(arguments?["query"]?.string ?? "")"
            case "sleep":
                let ms = min(max(arguments?["ms"]?.int ?? 0, 0), 60_000)
                try await Task.sleep(for: .milliseconds(ms))
                text = "slept \(ms) ms"
            default:
                return Response.json(
                    Self.mcpError(id: id, code: -32602, message: "Unknown tool: \(params?["name"]?.string ?? "")")
                )
            }
            result = .object([
                "content": .array([.object(["type": .string("text"), "text": .string(text)])]), "isError": .bool(false),
            ])
        default:
            return Response.json(Self.mcpError(id: id, code: -32601, message: "Method not found: \(method)"))
        }
        return Response.json(JSONValue.object(["jsonrpc": .string("2.0"), "id": id, "result": result]).jsonText)
    }

    static let mcpTools: [JSONValue] = [
        KeelSimulator.mcpTool("echo", "Returns its text.", property: "text", type: "string"),
        KeelSimulator.mcpTool("search", "Searches a simulated index.", property: "query", type: "string"),
        KeelSimulator.mcpTool("sleep", "Answers after `ms` milliseconds.", property: "ms", type: "integer"),
    ]

    private static func mcpTool(_ name: String, _ description: String, property: String, type: String) -> JSONValue {
        .object([
            "name": .string(name),
            "description": .string(description),
            "inputSchema": .object([
                "type": .string("object"),
                "properties": .object([property: .object(["type": .string(type)])]),
                "required": .array([.string(property)]),
            ]),
        ])
    }

    static func mcpError(id: JSONValue, code: Int, message: String) -> String {
        JSONValue.object([
            "jsonrpc": .string("2.0"), "id": id, "error": .object(["code": .int(code), "message": .string(message)]),
        ]).jsonText
    }
}
