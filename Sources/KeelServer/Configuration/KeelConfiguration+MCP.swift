public import KeelCore

extension KeelConfiguration {
    /// `mcp:` — the MCP servers Keel fronts at `/mcp/{name}` (see docs/adr/0015-mcp-gateway.md).
    public struct MCP: Sendable, Equatable {
        public var servers: [MCPServer]

        public init(servers: [MCPServer] = []) {
            self.servers = servers
        }
    }

    /// One MCP server reached over the Streamable HTTP transport, with Keel's own credentials
    /// for it: an agent's token is never sent to it.
    public struct MCPServer: Sendable, Equatable {
        /// Its path segment (`/mcp/{name}`) and the server part of agents' `tools` patterns.
        public var name: String
        /// Its MCP endpoint, e.g. `https://mcp.example.com/mcp`.
        public var url: String
        /// Headers sent with every request to it: its credentials (`Authorization`, an API key).
        public var headers: [String: Secret<String>]
        /// How long one exchange may take, its stream included.
        public var timeoutMs: Int
        /// A PEM file of extra certificate authorities to trust for it.
        public var tlsCAFile: String?

        public init(
            name: String,
            url: String,
            headers: [String: Secret<String>] = [:],
            timeoutMs: Int = 300_000,
            tlsCAFile: String? = nil
        ) {
            self.name = name
            self.url = url
            self.headers = headers
            self.timeoutMs = timeoutMs
            self.tlsCAFile = tlsCAFile
        }
    }

    /// Reads `mcp:` {`servers`: [{`name`, `url`, `headers` (mapping, secret), `timeout_ms`
    /// (300000, 100 to 3600000), `tls_ca_file`}]}; names are unique ``ChosenID``s
    /// (letters, digits, `.`, `_`, `-`); URLs are `http(s)://host[:port][/path]`.
    static func readMCP(_ node: ConfigNode) -> MCP {
        node.expectKeys(["servers"])
        var servers: [MCPServer] = []
        for entry in node.child("servers").elements {
            entry.expectKeys(["name", "url", "headers", "timeout_ms", "tls_ca_file"])
            guard let name = entry.child("name").requiredString(), let url = entry.child("url").requiredString() else {
                continue
            }
            guard ChosenID.isValid(name) else {
                entry.context.report(
                    entry.child("name").path,
                    "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit, got '\(name)'"
                )
                continue
            }
            guard !servers.contains(where: { $0.name == name }) else {
                entry.context.report(entry.child("name").path, "names the MCP server '\(name)' twice")
                continue
            }
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                entry.context.report(
                    entry.child("url").path,
                    "must be an http(s)://host[:port][/path] URL, got '\(url)'"
                )
                continue
            }
            var headers: [String: Secret<String>] = [:]
            for header in entry.child("headers").mappingKeys {
                if let value = entry.child("headers").child(header).text {
                    headers[header.lowercased()] = Secret(value)
                }
            }
            servers.append(
                MCPServer(
                    name: name,
                    url: url,
                    headers: headers,
                    timeoutMs: entry.child("timeout_ms").int(default: 300_000, range: 100...3_600_000),
                    tlsCAFile: entry.child("tls_ca_file").text
                )
            )
        }
        return MCP(servers: servers)
    }
}
