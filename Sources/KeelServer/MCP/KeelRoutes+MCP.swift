import Hummingbird

extension KeelRoutes {
    /// The MCP gateway: `/mcp/{server}` (POST messages, DELETE a session, GET answered 405) and
    /// each server's protected-resource metadata (RFC 9728).
    static func addMCP(to router: Router<BasicRequestContext>, gateway: MCPGateway) {
        router.post("mcp/{server}") { request, context in
            await gateway.post(request, server: try context.parameters.require("server"))
        }
        router.delete("mcp/{server}") { request, context in
            await gateway.delete(request, server: try context.parameters.require("server"))
        }
        router.get("mcp/{server}") { request, context in
            gateway.get(request, server: try context.parameters.require("server"))
        }
        router.get(".well-known/oauth-protected-resource/mcp/{server}") { request, context in
            gateway.resourceMetadata(request, server: try context.parameters.require("server"))
        }
    }
}
