/// The definition of one MCP tool as an agent first saw it: the defence against a tool that
/// changes under an agent (a "rug pull": a harmless description swapped for instructions).
///
/// The first `tools/list` that shows an agent a tool pins its definition (trust on first use). A
/// later listing with another definition leaves the approved one in place and holds the new one
/// as ``pendingSHA256``: until a reviewer approves it, the tool is left out of the agent's
/// listings and its calls are refused.
public struct ToolPin: Sendable, Equatable {
    public var agentID: String
    public var server: String
    public var tool: String
    /// The approved definition's digest and canonical JSON.
    public var sha256: String
    public var definition: String
    /// A changed definition awaiting approval.
    public var pendingSHA256: String?
    public var pendingDefinition: String?
    /// Unix µs.
    public var firstSeenAt: Int64
    /// When it was last pinned, changed or approved (Unix µs).
    public var changedAt: Int64

    public init(
        agentID: String,
        server: String,
        tool: String,
        sha256: String,
        definition: String,
        pendingSHA256: String? = nil,
        pendingDefinition: String? = nil,
        firstSeenAt: Int64,
        changedAt: Int64
    ) {
        self.agentID = agentID
        self.server = server
        self.tool = tool
        self.sha256 = sha256
        self.definition = definition
        self.pendingSHA256 = pendingSHA256
        self.pendingDefinition = pendingDefinition
        self.firstSeenAt = firstSeenAt
        self.changedAt = changedAt
    }

    public var isPending: Bool { self.pendingSHA256 != nil }

    /// What of a listed tool is pinned: `name`, `title`, `description`, `inputSchema`,
    /// `outputSchema` and `annotations` (what tells a model what the tool does and takes), as
    /// canonical JSON (RFC 8785), and its SHA-256 in hex. `nil` when it cannot be canonicalised.
    public static func digest(of tool: JSONValue) -> (sha256: String, definition: String)? {
        let pinned = ["name", "title", "description", "inputSchema", "outputSchema", "annotations"]
        let members = (tool.members ?? []).filter { pinned.contains($0.key) }
        guard let bytes = try? CanonicalJSON.encode(.object(members)) else { return nil }
        return (SHA256Hex.of(bytes), String(decoding: bytes, as: UTF8.self))
    }
}
