import HTTPTypes
import Hummingbird
import KeelCore
import KeelProviders
import NIOCore
import NIOHTTP1

/// The MCP gateway: Keel fronts the configured MCP servers at `/mcp/{server}` over the Streamable
/// HTTP transport, so an agent reaches its tools through it.
///
/// A client authenticates with its Keel key (the token's audience is Keel; it is never sent on):
/// the server gets Keel's own credentials for it. Each POST is one admitted request and leaves one
/// record (`mcp.<method>`, the server as provider, `tool_name` for a call). `tools/list` answers
/// show only the tools the agent may use; a `tools/call` outside them, of a suspended agent, or
/// beyond its task's `tool_calls` budget is answered with a JSON-RPC error the agent can act on
/// (HTTP 200, so MCP clients read its message; the record keeps the refusal's status), and is
/// not sent. Bodies go to the server as they came; answers come back as they arrive (an SSE
/// answer streams), except `tools/list` answers held to a scope, which are rewritten.
final class MCPGateway: Sendable {
    let gateway: Gateway
    let servers: [String: MCPServerClient]
    /// Where calls of gated tools wait for reviewers; `nil` gates nothing.
    let escalations: EscalationDesk?

    init(gateway: Gateway, servers: [MCPServerClient], escalations: EscalationDesk? = nil) {
        self.gateway = gateway
        self.escalations = escalations
        self.servers = Dictionary(servers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The longest answer read whole: a JSON answer, or an SSE answer that is rewritten.
    static let maxCollected = 64 << 20

    /// `POST /mcp/{server}`: one JSON-RPC message or batch.
    func post(_ request: Request, server name: String) async -> Response {
        let started = ContinuousClock.now
        let principal: Principal
        var record: RequestRecord
        switch self.admit(request, server: name, operation: "mcp") {
        case .success(let admitted): (principal, record) = admitted
        case .failure(let refused): return refused.response
        }
        var requestIDs: [JSONValue] = []
        var trace: RequestTrace?
        var flight: AgentFlight?
        do {
            try self.gateway.applyTagHeader(request, to: &record)
            _ = try self.gateway.applyAgentHeaders(request, principal: principal, to: &record)
            let body = try await self.gateway.readBody(request)
            let (messages, batch) = try MCPMessage.parse(body, maxDepth: self.gateway.limits.maxJSONDepth)
            record.operation = batch ? "mcp.batch" : "mcp." + (messages[0].method ?? "response")
            requestIDs = messages.compactMap { $0.isRequest ? $0.id : nil }
            trace = self.gateway.tracing?.startRequest(request, operation: record.operation)
            guard let server = self.servers[name] else {
                throw KeelError.notFound("No MCP server '\(name)' is configured.")
            }
            let calls = messages.filter { $0.method == "tools/call" }
            record.toolName = calls.first?.toolName
            // Only a tool call is a step of its task.
            if calls.isEmpty { record.taskID = nil }
            var agent: Agent?
            if let agentID = record.agentID, let agents = self.gateway.agents {
                (agent, flight) = try agents.admit(agentID: agentID, principal: principal, model: nil)
            }
            if let agent {
                for call in calls where !agent.mayUse(tool: call.toolName ?? "", server: name) {
                    throw KeelError.agentScopeViolation(
                        "The agent '\(agent.id)' may not call the tool '\(call.toolName ?? "")' of the MCP server '\(name)'.",
                        param: "params.name"
                    )
                }
                for call in calls {
                    guard let tool = call.toolName,
                        let pin = self.gateway.agents?.pendingPin(agentID: agent.id, server: name, tool: tool)
                    else { continue }
                    throw KeelError.toolDefinitionChanged(
                        "The definition of the tool '\(tool)' of the MCP server '\(name)' changed since the agent '\(agent.id)' "
                            + "first saw it (\(pin.sha256.prefix(12)) → \(pin.pendingSHA256?.prefix(12) ?? "")); its calls are "
                            + "refused until a reviewer approves the new definition."
                    )
                }
            }
            if let taskID = record.taskID, let tasks = self.gateway.tasks {
                if agent != nil, !calls.isEmpty { try tasks.refuseIfHalted(taskID) }
                for _ in calls { try tasks.admit(taskID: taskID, agent: agent, now: record.startedAt, call: .tool) }
            }
            // A call of a gated tool waits here for reviewers; denied or undecided, it is not sent.
            if let agent, let policy = agent.approvals, let desk = self.escalations {
                for call in calls where policy.gates(tool: call.toolName ?? "", server: name) {
                    _ = try await desk.holdToolCall(
                        agent: agent,
                        server: name,
                        tool: call.toolName ?? "",
                        arguments: call.arguments,
                        taskID: record.taskID,
                        orgID: principal.orgID,
                        teamID: principal.teamID,
                        flight: flight
                    )
                }
            }
            let scope = agent.flatMap { $0.tools == nil ? nil : $0 }
            let lists = messages.contains { $0.method == "tools/list" }
            // A registered agent's listing is held to its tools and to the definitions it pinned.
            var filter: (@Sendable (JSONValue) -> Bool)?
            if lists, let agent, let agents = self.gateway.agents {
                let now = record.startedAt
                filter = { tool in
                    guard let toolName = tool["name"]?.string else { return false }
                    if let scope, !scope.mayUse(tool: toolName, server: name) { return false }
                    return agents.screenListedTool(agentID: agent.id, server: name, tool: tool, now: now)
                }
            }
            // A tool's answer passes the content guard (indirect injection) where a policy has
            // content rules: the policies of the key's org, team and key that name no model.
            var screen: (@Sendable (ByteBuffer) -> ContentGuard.Screening)?
            let policy =
                calls.isEmpty
                ? EffectivePolicy([])
                : self.gateway.policies?.currentIfAny?.effective(
                    org: principal.orgID,
                    team: principal.teamID,
                    key: principal.keyID,
                    model: ""
                ) ?? EffectivePolicy([])
            if !policy.rules.isEmpty {
                let (contentGuard, maxDepth) = (self.gateway.contentGuard, self.gateway.limits.maxJSONDepth)
                screen = { message in
                    contentGuard.screen(
                        message,
                        shape: .mcpToolResult,
                        policy: policy,
                        answers: false,
                        maxDepth: maxDepth
                    )
                }
            }
            var exchange = MCPExchange(
                record: record,
                started: started,
                server: server,
                requestIDs: requestIDs,
                filter: filter,
                screen: screen,
                trace: trace,
                flight: flight,
                gateway: self.gateway
            )
            // A registered agent's tool call of a task goes through the loop detectors once its
            // result is in: the same call getting the same result again is a loop.
            if let agent, agent.loops != .off, let taskID = record.taskID, let tasks = self.gateway.tasks,
                calls.count == 1, let call = calls.first
            {
                let (requestID, now) = (record.id.rawValue, record.startedAt)
                let arguments = call.arguments?.jsonText ?? ""
                exchange.onResult = { result in
                    var hasher = Hasher()
                    hasher.combine(name)
                    hasher.combine(call.toolName ?? "")
                    hasher.combine(arguments)
                    hasher.combine(result)
                    tasks.observeToolCall(
                        taskID: taskID,
                        agent: agent,
                        fingerprint: UInt64(bitPattern: Int64(hasher.finalize())),
                        requestID: requestID,
                        now: now
                    )
                }
            }
            return try await exchange.run(body: body, forwarded: Self.forwardedHeaders(request))
        } catch let failure as MCPExchange.Failure {
            return failure.response
        } catch {
            let failure = (error as? KeelError) ?? flight?.haltError ?? .clientDisconnected
            await self.gateway.recordFailure(
                &record,
                error: failure,
                started: started,
                trace: trace,
                inFlight: flight?.haltError != nil
            )
            return Self.errorResponse(failure, ids: requestIDs, requestID: record.id.rawValue)
        }
    }

    /// `DELETE /mcp/{server}`: ends the client's session on the server.
    func delete(_ request: Request, server name: String) async -> Response {
        let started = ContinuousClock.now
        let principal: Principal
        var record: RequestRecord
        switch self.admit(request, server: name, operation: "mcp.session/delete") {
        case .success(let admitted): (principal, record) = admitted
        case .failure(let refused): return refused.response
        }
        do {
            try self.gateway.applyTagHeader(request, to: &record)
            _ = try self.gateway.applyAgentHeaders(request, principal: principal, to: &record)
            record.taskID = nil
            guard let server = self.servers[name] else {
                throw KeelError.notFound("No MCP server '\(name)' is configured.")
            }
            let (head, body) = try await server.send(
                .DELETE,
                body: ByteBuffer(),
                forwarded: Self.forwardedHeaders(request)
            )
            _ = await body.errorBody()
            record.status = Int(head.status.code)
            record.outcome = record.status < 400 ? .success : .error
            if record.status >= 400 { record.errorClass = "upstream_rejected" }
            record.totalMicros = (ContinuousClock.now - started).microseconds
            await self.gateway.recorder.record(record)
            var headers = HTTPFields()
            headers[.keelRequestID] = record.id.rawValue
            return Response(status: .init(code: record.status), headers: headers)
        } catch {
            let failure = (error as? KeelError) ?? .clientDisconnected
            await self.gateway.recordFailure(&record, error: failure, started: started)
            return Self.errorResponse(failure, ids: [], requestID: record.id.rawValue)
        }
    }

    /// `GET /mcp/{server}`: the transport's stream of server-initiated messages, which Keel does
    /// not relay (the transport allows 405); answers to a POST still stream.
    func get(_ request: Request, server name: String) -> Response {
        do {
            _ = try self.gateway.authenticate(request)
        } catch {
            return self.unauthorized(request, server: name, error: error)
        }
        var headers = HTTPFields()
        headers[.allow] = "POST, DELETE"
        return Response(status: .methodNotAllowed, headers: headers)
    }

    /// `GET /.well-known/oauth-protected-resource/mcp/{server}` (RFC 9728): the resource an
    /// MCP client's token must be meant for, and how to present it.
    func resourceMetadata(_ request: Request, server name: String) -> Response {
        guard self.servers[name] != nil else {
            return Response(status: .notFound)
        }
        let resource = Self.resourceURL(request, server: name)
        let json = JSONValue.object([
            .init(key: "resource", value: .string(resource)),
            .init(key: "bearer_methods_supported", value: .array([.string("header")])),
            .init(key: "resource_name", value: .string("Keel MCP gateway: \(name)")),
        ]).jsonText
        return Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: json))
        )
    }

    // MARK: Helpers

    private struct Refused: Error {
        let response: Response
    }

    /// The principal of the request's key and its new record (the server as its provider), or
    /// the 401 for a request without a Keel key (not admitted: no record).
    private func admit(
        _ request: Request,
        server name: String,
        operation: String
    ) -> Result<(Principal, RequestRecord), Refused> {
        do {
            let principal = try self.gateway.authenticate(request)
            var record = self.gateway.newRecord(
                operation: operation,
                principal: principal,
                request: request,
                startedAt: WallClock.unixMicros()
            )
            record.provider = name
            return .success((principal, record))
        } catch {
            return .failure(Refused(response: self.unauthorized(request, server: name, error: error)))
        }
    }

    /// The client headers the server needs: what it accepts, its session and protocol version, and
    /// where to resume a stream. Nothing else, the client's token above all, goes on.
    static func forwardedHeaders(_ request: Request) -> [(name: String, value: String)] {
        var forwarded: [(name: String, value: String)] = []
        for name in [HTTPField.Name.accept, .mcpSessionID, .mcpProtocolVersion, .lastEventID] {
            if let value = request.headers[name] { forwarded.append((name.canonicalName, value)) }
        }
        if request.headers[.accept] == nil { forwarded.append(("accept", "application/json, text/event-stream")) }
        return forwarded
    }

    /// The URL this server is reached at through Keel, from the request's own host.
    static func resourceURL(_ request: Request, server name: String) -> String {
        Self.origin(request) + "/mcp/\(name)"
    }

    /// `scheme://host[:port]` of the request, as the client addressed Keel.
    static func origin(_ request: Request) -> String {
        "\(request.head.scheme ?? "http")://\(request.head.authority ?? "localhost")"
    }

    /// 401 with the challenge MCP clients follow (`WWW-Authenticate` naming the resource's
    /// metadata), and the reason as a JSON-RPC error. No record: the request was not admitted.
    private func unauthorized(_ request: Request, server name: String, error: any Error) -> Response {
        let failure = (error as? KeelError) ?? .unauthenticated()
        var response = Self.errorResponse(failure, ids: [], requestID: nil)
        let metadata = Self.origin(request) + "/.well-known/oauth-protected-resource/mcp/\(name)"
        response.headers[.wwwAuthenticate] = #"Bearer resource_metadata="\#(metadata)""#
        return response
    }

    /// A JSON-RPC error answering each of `ids` (one with a `null` id when there is none): HTTP
    /// 200 for a refusal of requests the client can read, the error's status otherwise.
    static func errorResponse(_ error: KeelError, ids: [JSONValue], requestID: String?) -> Response {
        let code = MCPMessage.errorCode(for: error)
        var data: [JSONValue.Member] = [.init(key: "type", value: .string(error.code.rawValue))]
        if let requestID { data.append(.init(key: "request_id", value: .string(requestID))) }
        let answers = (ids.isEmpty ? [JSONValue.null] : ids).map { id in
            MCPMessage.errorResponse(id: id, code: code, message: error.message, data: data)
        }
        let text = answers.count == 1 ? answers[0] : "[" + answers.joined(separator: ",") + "]"
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if let requestID { headers[.keelRequestID] = requestID }
        let readable = !ids.isEmpty && ![.unauthenticated, .invalidRequest, .payloadTooLarge].contains(error.code)
        return Response(
            status: readable ? .ok : .init(code: error.httpStatus),
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }
}

extension HTTPField.Name {
    static let mcpSessionID = Self("mcp-session-id")!
    static let mcpProtocolVersion = Self("mcp-protocol-version")!
    static let lastEventID = Self("last-event-id")!
}
