import Hummingbird
import KeelCore
import KeelStorage

extension AdminAPI {
    /// One pinned MCP tool of an agent, as the admin API shows it: `{server, tool, state
    /// (pinned | changed), sha256, definition, pending_sha256, pending_definition, first_seen_at,
    /// changed_at}`, times in Unix seconds.
    static func toolPinJSON(_ pin: ToolPin) -> JSONValue {
        func definition(_ text: String?) -> JSONValue { text.flatMap { try? JSONValue(parsing: $0) } ?? .null }
        return .object([
            "server": .string(pin.server),
            "tool": .string(pin.tool),
            "state": .string(pin.isPending ? "changed" : "pinned"),
            "sha256": .string(pin.sha256),
            "definition": definition(pin.definition),
            "pending_sha256": pin.pendingSHA256.map(JSONValue.string) ?? .null,
            "pending_definition": definition(pin.pendingDefinition),
            "first_seen_at": .int(pin.firstSeenAt / 1_000_000),
            "changed_at": .int(pin.changedAt / 1_000_000),
        ])
    }

    /// `GET /admin/v1/agents/{id}/tools`: the MCP tool definitions the agent pinned, and those
    /// changed since (`state: changed`), awaiting approval.
    func listToolPins(_ request: Request, id: String) async throws -> Response {
        let caller = try self.authenticate(request, .read, .agent)
        let agent = try await self.existingAgent(id)
        try self.require(caller, .read, .agent, in: Self.scope(of: agent))
        let pins = try await self.stores.agents.toolPins().filter { $0.agentID == id }
        return Gateway.json(JSONValue.object(["data": .array(pins.map(Self.toolPinJSON))]).jsonText)
    }

    /// `POST /admin/v1/agents/{id}/tools/approve` with `{"server","tool"}`: the changed
    /// definition becomes the pinned one, and the agent sees and may call the tool again.
    func approveToolPin(_ request: Request, id: String, book: AgentBook) async throws -> Response {
        let caller = try self.authenticate(request, .update, .agent)
        let agent = try await self.existingAgent(id)
        try self.require(caller, .update, .agent, in: Self.scope(of: agent))
        let body = try await Self.agentBody(from: request, allowEmpty: false)
        guard let server = try body.optionalString("server"), let tool = try body.optionalString("tool") else {
            throw KeelError.invalidRequest("Name the tool to approve: {\"server\", \"tool\"}.", param: "tool")
        }
        guard
            let pin = try await self.stores.agents.approveTool(
                agentID: id,
                server: server,
                tool: tool,
                at: WallClock.unixMicros()
            )
        else {
            throw KeelError.conflict(
                "The tool '\(server)/\(tool)' of agent '\(id)' has no changed definition awaiting approval."
            )
        }
        try await book.reload()
        await book.resolveChangedTool(pin, now: WallClock.unixMicros())
        return Gateway.json(Self.toolPinJSON(pin).jsonText)
    }
}
