import KeelCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The agent registry in `agent`, `agent_version` and `agent_hold`, on either backend.
///
/// An agent's settings are kept as its JSON document (`definition`); the columns beside it are
/// those queries and other tables need (owner, state, version).
struct SQLAgentStore: AgentStore {
    let database: any SQLDatabase

    private static let columns: SQLStatement = "definition\(sqlite: "", postgres: "::text") AS definition"

    func agents() async throws -> [Agent] {
        try await self.database.rows("SELECT \(Self.columns) FROM agent ORDER BY id", Self.agent(from:))
    }

    func agent(id: String) async throws -> Agent? {
        try await self.database.row("SELECT \(Self.columns) FROM agent WHERE id = \(id)", Self.agent(from:))
    }

    func insert(_ agent: Agent) async throws {
        let definition = try Self.definition(of: agent)
        try await self.database.transaction { tx in
            try await tx.run(
                """
                INSERT INTO agent (id, org_id, team_id, version, state, definition, created_at, updated_at)
                VALUES (\(agent.id), \(agent.orgID), \(agent.teamID), \(agent.version), \(agent.state.rawValue), \
                \(json: definition), \(agent.createdAt), \(agent.updatedAt))
                """
            )
            try await tx.run(
                """
                INSERT INTO agent_version (agent_id, version, since) VALUES (\(agent.id), \(agent.version), \(agent.createdAt))
                ON CONFLICT (agent_id, version, since) DO NOTHING
                """
            )
        }
    }

    func update(_ agent: Agent) async throws -> Bool {
        let definition = try Self.definition(of: agent)
        return try await self.database.transaction { tx in
            let previous = try await tx.row("SELECT version FROM agent WHERE id = \(agent.id)") { row in
                try row.decode("version") as String
            }
            guard let previous else { return false }
            try await tx.run(
                """
                UPDATE agent SET org_id = \(agent.orgID), team_id = \(agent.teamID), version = \(agent.version), \
                state = \(agent.state.rawValue), definition = \(json: definition), updated_at = \(agent.updatedAt)
                WHERE id = \(agent.id)
                """
            )
            if previous != agent.version {
                try await tx.run(
                    """
                    INSERT INTO agent_version (agent_id, version, since) VALUES (\(agent.id), \(agent.version), \(agent.updatedAt))
                    ON CONFLICT (agent_id, version, since) DO NOTHING
                    """
                )
            }
            return true
        }
    }

    func delete(id: String) async throws -> Bool {
        try await self.database.run("DELETE FROM agent WHERE id = \(id)") > 0
    }

    func versions(of agentID: String) async throws -> [AgentVersion] {
        try await self.database.rows(
            "SELECT agent_id, version, since FROM agent_version WHERE agent_id = \(agentID) ORDER BY since, version"
        ) { row in
            AgentVersion(
                agentID: try row.decode("agent_id"),
                version: try row.decode("version"),
                since: try row.decode("since")
            )
        }
    }

    func holds() async throws -> [AgentHold] {
        try await self.database.rows("SELECT scope, team_id, reason, created_at FROM agent_hold ORDER BY scope") {
            row in
            AgentHold(
                teamID: try row.decode("team_id"),
                reason: try row.decode("reason"),
                createdAt: try row.decode("created_at")
            )
        }
    }

    func setHold(_ hold: AgentHold) async throws {
        try await self.database.run(
            """
            INSERT INTO agent_hold (scope, team_id, reason, created_at) VALUES (\(hold.scope), \(hold.teamID), \(hold.reason), \(hold.createdAt))
            ON CONFLICT (scope) DO UPDATE SET reason = excluded.reason, created_at = excluded.created_at
            """
        )
    }

    func removeHold(teamID: TeamID?) async throws -> Bool {
        let scope = AgentHold(teamID: teamID, reason: nil, createdAt: 0).scope
        return try await self.database.run("DELETE FROM agent_hold WHERE scope = \(scope)") > 0
    }

    func toolPins() async throws -> [ToolPin] {
        try await self.database.rows(
            """
            SELECT agent_id, server, tool, sha256, definition, pending_sha256, pending_definition, first_seen_at, changed_at
            FROM agent_tool_pin ORDER BY agent_id, server, tool
            """
        ) { row in
            ToolPin(
                agentID: try row.decode("agent_id"),
                server: try row.decode("server"),
                tool: try row.decode("tool"),
                sha256: try row.decode("sha256"),
                definition: try row.decode("definition"),
                pendingSHA256: try row.decode("pending_sha256"),
                pendingDefinition: try row.decode("pending_definition"),
                firstSeenAt: try row.decode("first_seen_at"),
                changedAt: try row.decode("changed_at")
            )
        }
    }

    func pinIfAbsent(_ pin: ToolPin) async throws -> Bool {
        try await self.database.run(
            """
            INSERT INTO agent_tool_pin (agent_id, server, tool, sha256, definition, first_seen_at, changed_at)
            VALUES (\(pin.agentID), \(pin.server), \(pin.tool), \(pin.sha256), \(pin.definition), \(pin.firstSeenAt), \(pin.changedAt))
            ON CONFLICT (agent_id, server, tool) DO NOTHING
            """
        ) > 0
    }

    func holdChangedTool(
        agentID: String,
        server: String,
        tool: String,
        sha256: String,
        definition: String,
        at: Int64
    )
        async throws
    {
        try await self.database.run(
            """
            UPDATE agent_tool_pin SET pending_sha256 = \(sha256), pending_definition = \(definition), changed_at = \(at)
            WHERE agent_id = \(agentID) AND server = \(server) AND tool = \(tool) AND sha256 <> \(sha256)
            AND (pending_sha256 IS NULL OR pending_sha256 <> \(sha256))
            """
        )
    }

    func approveTool(agentID: String, server: String, tool: String, at: Int64) async throws -> ToolPin? {
        let changed = try await self.database.run(
            """
            UPDATE agent_tool_pin SET sha256 = pending_sha256, definition = pending_definition, pending_sha256 = NULL,
            pending_definition = NULL, changed_at = \(at)
            WHERE agent_id = \(agentID) AND server = \(server) AND tool = \(tool) AND pending_sha256 IS NOT NULL
            """
        )
        guard changed > 0 else { return nil }
        return try await self.toolPins().first { $0.agentID == agentID && $0.server == server && $0.tool == tool }
    }

    func stamp() async throws -> String {
        // Every change of an agent sets its updated_at; a hold set again gets a new created_at; a
        // pin's every change sets its changed_at.
        try await self.database.row(
            """
            SELECT (SELECT COUNT(*) FROM agent) AS agents, (SELECT COALESCE(MAX(updated_at), 0) FROM agent) AS changed,
            (SELECT COUNT(*) FROM agent_hold) AS holds, (SELECT COALESCE(MAX(created_at), 0) FROM agent_hold) AS held,
            (SELECT COUNT(*) FROM agent_tool_pin) AS pins, (SELECT COALESCE(MAX(changed_at), 0) FROM agent_tool_pin) AS pinned
            """
        ) { row in
            "\(try row.decode("agents") as Int)|\(try row.decode("changed") as Int64)|\(try row.decode("holds") as Int)|"
                + "\(try row.decode("held") as Int64)|\(try row.decode("pins") as Int)|\(try row.decode("pinned") as Int64)"
        } ?? ""
    }

    private static func definition(of agent: Agent) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(agent), as: UTF8.self)
    }

    private static func agent(from row: SQLRow) throws -> Agent {
        let text: String = try row.decode("definition")
        return try JSONDecoder().decode(Agent.self, from: Data(text.utf8))
    }
}
