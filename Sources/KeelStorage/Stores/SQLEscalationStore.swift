import KeelCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Escalations in `escalation`, on either backend; votes are a JSON array beside the columns.
struct SQLEscalationStore: EscalationStore {
    let database: any SQLDatabase

    private static let columns: SQLStatement = """
        id, kind, state, agent_id, org_id, team_id, task_id, server, tool, arguments_sha256, arguments, question, quorum, \
        \(sqlite: "votes", postgres: "votes::text AS votes"), created_at, expires_at, decided_at, consumed_at
        """

    func insert(_ escalation: Escalation) async throws {
        try await self.database.run(
            """
            INSERT INTO escalation (id, kind, state, agent_id, org_id, team_id, task_id, server, tool, arguments_sha256, \
            arguments, question, quorum, votes, created_at, expires_at, decided_at, consumed_at)
            VALUES (\(escalation.id), \(escalation.kind.rawValue), \(escalation.state.rawValue), \(escalation.agentID), \
            \(escalation.orgID), \(escalation.teamID), \(escalation.taskID), \(escalation.server), \(escalation.tool), \
            \(escalation.argumentsSHA256), \(escalation.arguments), \(escalation.question), \(Int64(escalation.quorum)), \
            \(json: try Self.votesJSON(escalation.votes)), \(escalation.createdAt), \(escalation.expiresAt), \(escalation.decidedAt), \
            \(escalation.consumedAt))
            """
        )
    }

    func escalation(id: String) async throws -> Escalation? {
        try await self.database.row("SELECT \(Self.columns) FROM escalation WHERE id = \(id)", Self.escalation(from:))
    }

    func escalations(matching query: EscalationQuery) async throws -> [Escalation] {
        var conditions: [SQLStatement] = []
        if let state = query.state { conditions.append("state = \(state.rawValue)") }
        if let agent = query.agentID { conditions.append("agent_id = \(agent)") }
        if let task = query.taskID { conditions.append("task_id = \(task)") }
        if let team = query.teamID { conditions.append("team_id = \(team)") }
        let filter: SQLStatement =
            conditions.isEmpty ? "" : "WHERE \(SQLStatement.joined(conditions, separator: " AND "))"
        return try await self.database.rows(
            "SELECT \(Self.columns) FROM escalation \(filter) ORDER BY created_at DESC, id DESC LIMIT \(Int64(query.limit))",
            Self.escalation(from:)
        )
    }

    func vote(id: String, _ vote: Escalation.Vote, usableFor: Int64) async throws -> Escalation? {
        try await self.database.transaction { tx in
            try await tx.lock("escalation")
            guard
                let current = try await tx.row(
                    "SELECT \(Self.columns) FROM escalation WHERE id = \(id)",
                    Self.escalation(from:)
                )
            else { return nil }
            guard current.state == .pending, current.expiresAt > vote.at else {
                throw StorageError.conflict(table: "escalation", constraint: "decided")
            }
            guard !current.votes.contains(where: { $0.reviewer == vote.reviewer }) else {
                throw StorageError.conflict(table: "escalation", constraint: "one_vote_per_reviewer")
            }
            let next = current.counting(vote, usableFor: usableFor)
            try await tx.run(
                """
                UPDATE escalation SET state = \(next.state.rawValue), votes = \(json: try Self.votesJSON(next.votes)), \
                expires_at = \(next.expiresAt), decided_at = \(next.decidedAt) WHERE id = \(id)
                """
            )
            return next
        }
    }

    func expireIfDue(id: String, now: Int64) async throws -> Escalation? {
        try await self.database.run(
            "UPDATE escalation SET state = 'expired', decided_at = expires_at WHERE id = \(id) AND state = 'pending' AND expires_at <= \(now)"
        )
        return try await self.escalation(id: id)
    }

    func openCall(
        agentID: String,
        server: String?,
        tool: String,
        argumentsSHA256: String,
        taskID: String?,
        now: Int64
    )
        async throws -> Escalation?
    {
        let task: SQLStatement = taskID.map { "task_id = \($0)" } ?? "task_id IS NULL"
        let server: SQLStatement = server.map { "server = \($0)" } ?? "server IS NULL"
        return try await self.database.row(
            """
            SELECT \(Self.columns) FROM escalation
            WHERE kind = 'tool_call' AND agent_id = \(agentID) AND tool = \(tool) AND arguments_sha256 = \(argumentsSHA256) \
            AND \(server) AND \(task) AND state IN ('pending', 'approved') AND consumed_at IS NULL AND expires_at > \(now)
            ORDER BY created_at DESC LIMIT 1
            """,
            Self.escalation(from:)
        )
    }

    func consume(id: String, now: Int64) async throws -> Bool {
        try await self.database.run(
            """
            UPDATE escalation SET consumed_at = \(now)
            WHERE id = \(id) AND state = 'approved' AND consumed_at IS NULL AND expires_at > \(now)
            """
        ) > 0
    }

    private static func votesJSON(_ votes: [Escalation.Vote]) throws -> String {
        String(decoding: try JSONEncoder().encode(votes), as: UTF8.self)
    }

    private static func escalation(from row: SQLRow) throws -> Escalation {
        let kindText: String = try row.decode("kind")
        let stateText: String = try row.decode("state")
        guard let kind = Escalation.Kind(rawValue: kindText) else {
            throw StorageError.invalidStoredValue(table: "escalation", column: "kind")
        }
        guard let state = Escalation.State(rawValue: stateText) else {
            throw StorageError.invalidStoredValue(table: "escalation", column: "state")
        }
        let votesText: String = try row.decode("votes")
        let votes: [Escalation.Vote]
        do {
            votes = try JSONDecoder().decode([Escalation.Vote].self, from: Data(votesText.utf8))
        } catch {
            throw StorageError.invalidStoredValue(table: "escalation", column: "votes")
        }
        let quorum: Int = try row.decode("quorum")
        return Escalation(
            id: try row.decode("id"),
            kind: kind,
            state: state,
            agentID: try row.decode("agent_id"),
            orgID: try row.decode("org_id"),
            teamID: try row.decode("team_id"),
            taskID: try row.decode("task_id"),
            server: try row.decode("server"),
            tool: try row.decode("tool"),
            argumentsSHA256: try row.decode("arguments_sha256"),
            arguments: try row.decode("arguments"),
            question: try row.decode("question"),
            quorum: quorum,
            votes: votes,
            createdAt: try row.decode("created_at"),
            expiresAt: try row.decode("expires_at"),
            decidedAt: try row.decode("decided_at"),
            consumedAt: try row.decode("consumed_at")
        )
    }
}
